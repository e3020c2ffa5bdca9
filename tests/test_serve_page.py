"""What `serve` adds to the pages it sends, checked without starting a server or a kernel."""

from __future__ import annotations

import asyncio
from pathlib import Path

from watchfiles import Change

from deckbuild.rebuild import Rebuilder, SourceFilter
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


async def test_a_page_waiting_for_the_next_state_is_answered_when_it_changes(
    tmp_path: Path,
) -> None:
    """The long poll answers at once when the page is behind, else at the next rebuild."""
    rebuilder = Rebuilder([], tmp_path, timeout=60, cache=tmp_path / "cache")
    now = rebuilder.state()
    assert (await rebuilder.next_state("an older state"))["state"] == now["state"]
    waiting = asyncio.create_task(rebuilder.next_state(now["state"]))
    await asyncio.sleep(0)
    assert not waiting.done()
    rebuilder.builds += 1
    rebuilder.notify()
    answer = await asyncio.wait_for(waiting, 5)
    assert answer["state"] != now["state"]
    assert answer["version"] != now["version"]


async def test_a_long_poll_gives_up_after_its_limit(tmp_path: Path) -> None:
    """With nothing new, the page gets the same state back and asks again."""
    rebuilder = Rebuilder([], tmp_path, timeout=60, cache=tmp_path / "cache")
    now = rebuilder.state()
    assert await rebuilder.next_state(now["state"], limit=0.01) == now


def test_serve_watches_sources_but_not_what_the_build_writes(tmp_path: Path) -> None:
    """Edits to slides count; the output and cache folders, hidden and swap files do not."""
    slides = tmp_path / ".hidden-home" / "slides"  # a hidden folder above the slides is fine
    watching = SourceFilter([slides], [slides / "build", slides / "cache"])
    assert watching(Change.modified, str(slides / "01_intro.py"))
    assert watching(Change.added, str(slides / "images" / "cat.svg"))
    for ignored in ("build/index.html", "cache/durations.json", ".01_intro.py.swp", ".hide/x"):
        assert not watching(Change.modified, str(slides / ignored)), ignored
