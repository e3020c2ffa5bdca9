"""What `serve` adds to the pages it sends, checked without starting a server or a kernel."""

from __future__ import annotations

from pathlib import Path

from deckbuild.rebuild import Rebuilder
from deckbuild.serve import RELOAD_SCRIPT, VERSION_PATH, Server, inline


def server(out: Path) -> Server:
    return Server(out, Rebuilder([], out, timeout=60, cache=out / "cache"), live=None)


def test_the_reload_script_goes_just_before_the_body_ends(tmp_path: Path) -> None:
    """The page keeps its content and ends with the script that polls the deck's version."""
    page = server(tmp_path).inject("<html><body><p>deck</p></body></html>")
    assert page == f"<html><body><p>deck</p>{RELOAD_SCRIPT}</body></html>"
    assert VERSION_PATH in RELOAD_SCRIPT


def test_a_page_without_a_body_end_gets_the_script_at_its_end(tmp_path: Path) -> None:
    """A fragment (or the placeholder while building) still reloads when the deck is ready."""
    assert server(tmp_path).inject("<p>building</p>") == "<p>building</p>" + RELOAD_SCRIPT


def test_serve_alone_adds_no_live_parts(tmp_path: Path) -> None:
    """Without present, the page gets no kernels' socket, no token and no live front-end."""
    page = server(tmp_path).inject("<body></body>")
    assert "DECK_LIVE" not in page
    assert "__live__" not in page


def test_inlined_text_cannot_close_its_tag() -> None:
    """A script that mentions </script is escaped so the page's structure survives."""
    assert inline("script", 'x = "</script>"') == '<script>x = "<\\/script>"</script>'
    assert inline("style", "/* </style> */") == "<style>/* <\\/style> */</style>"
