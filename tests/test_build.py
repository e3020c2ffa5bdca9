"""The build pipeline: percent-format decks in, one offline reveal.js deck out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import SlidesExporter

from deckbuild.errors import ERROR_PREFIX
from deckbuild.execute import ProjectKernelManager, execute, execute_in_worker
from deckbuild.machinepaths import shorten
from deckbuild.pipeline import worker_pool
from deckbuild.sources import read_source
from tests.deckcheck import outside_urls, slide_sections

ROOT = Path(__file__).resolve().parents[1]
DECKS = Path(__file__).resolve().parent / "decks"
GOOD = [DECKS / "good" / "01_first.py", DECKS / "good" / "02_second.py"]


def run_build(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "build.py"), "build", *map(str, args)]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(ERROR_PREFIX)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good fixture deck, built with a stale user kernelspec that points at no Python."""
    out = tmp_path_factory.mktemp("deck")
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    stale = ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": stale, "display_name": "stale", "language": "python"})
    )
    env = dict(os.environ, JUPYTER_PATH=str(jupyter), JUPYTER_DATA_DIR=str(jupyter))
    env["BUILD_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))  # --no-cache still stores
    (out / "notebooks").mkdir()
    (out / "notebooks" / "from_an_older_deck.ipynb").write_text("{}")
    result = run_build(*GOOD, "--out", out, "--no-cache", env=env)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def deck(built: Path) -> str:
    return (built / "index.html").read_text(encoding="utf-8")


def test_deck_renders_all_sources_in_order(deck: str) -> None:
    """Both sources land in one deck, the first file's slides before the second's."""
    assert 0 < deck.index("Fixture deck") < deck.index("Second file, tags")


def test_slides_and_subslides_nest_as_nbconvert_defines(deck: str) -> None:
    """Each slide is a top-level section; a subslide is a sibling section inside it."""
    slides = slide_sections(deck)
    assert len(slides) == 2
    assert len(slides[0].find_all("section", recursive=False)) == 2
    assert len(slides[1].find_all("section", recursive=False)) == 1


def test_fragments_become_reveal_fragments(deck: str) -> None:
    """Cells with slide_type fragment are wrapped in reveal.js fragments."""
    fragments = BeautifulSoup(deck, "html.parser").select(".slides .fragment")
    assert len(fragments) == 2
    assert "interpreter:" in fragments[0].get_text()


def test_notes_go_to_the_speaker_view_only(deck: str) -> None:
    """Notes cells render inside <aside class="notes">, which reveal.js hides from the slide."""
    soup = BeautifulSoup(deck, "html.parser")
    notes = soup.select("aside.notes")
    assert len(notes) == 1
    assert "SPEAKER-NOTE-ONE" in notes[0].get_text()
    assert deck.count("SPEAKER-NOTE-ONE") == 1
    assert "RevealNotes" in deck


def test_skip_cells_are_left_out(deck: str) -> None:
    """A skip cell never reaches the deck."""
    assert "SKIPPED-PROSE" not in deck


def test_cell_tags_remove_what_they_say(deck: str) -> None:
    """remove-input, remove-output, remove-cell and skip-execution behave as in nbconvert."""
    text = BeautifulSoup(deck, "html.parser").get_text()
    assert "OUTPUT-WITHOUT-INPUT" in text
    assert 'print("OUTPUT-WITHOUT-INPUT")' not in text
    assert text.count("HIDDEN-OUTPUT") == 1  # the code, not its output
    assert "HIDDEN_CELL_MARKER" not in text
    assert 'raise RuntimeError("never executed")' in text
    assert "Traceback" not in text.split("never executed")[1]


def test_expected_error_is_shown(deck: str) -> None:
    """A raises-exception cell that raises what it declares is rendered with its error."""
    assert "ZeroDivisionError" in deck


def test_top_level_await_runs_and_cwd_is_the_source_folder(deck: str) -> None:
    """Top-level await works as in Jupyter and cells run in their source file's folder."""
    assert "top-level await works" in deck
    assert "cwd: good" in deck


def test_kernel_runs_the_projects_interpreter(built: Path) -> None:
    """The stale kernelspec is ignored: cells ran under the interpreter that ran the build."""
    notebook = nbformat.read(built / "notebooks" / "01_first.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    outputs = [o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", [])]
    assert f"interpreter: {shorten(sys.executable)}\n" in outputs


def test_executed_notebooks_are_written(built: Path) -> None:
    """Readers get one executed notebook per source, and none left from an older deck."""
    assert sorted(p.name for p in (built / "notebooks").iterdir()) == [
        "01_first.ipynb",
        "02_second.ipynb",
    ]


def test_markdown_images_are_inlined(deck: str) -> None:
    """A local image referenced from markdown becomes a data URI."""
    images = BeautifulSoup(deck, "html.parser").select(".slides img")
    assert [img["src"][:26] for img in images] == ["data:image/svg+xml;base64,"]


def test_deck_loads_nothing_from_outside(deck: str) -> None:
    """No attribute, stylesheet or script in the deck points at a network address."""
    assert outside_urls(deck) == []
    assert "Reveal.initialize" in deck


def test_outside_url_check_catches_the_stock_template() -> None:
    """The check is able to fail: nbconvert's stock reveal template loads from CDNs."""
    notebook = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    notebook.cells.append(nbformat.v4.new_markdown_cell("# Stock"))  # type: ignore[no-untyped-call]
    body, _ = SlidesExporter().from_notebook_node(notebook)  # type: ignore[no-untyped-call]
    assert len(outside_urls(body)) >= 3


@pytest.mark.parametrize(
    ("deck_name", "expected"),
    [
        (
            "unexpected_error.py",
            "unexpected_error.py:7: cell 2: ZeroDivisionError: division by zero",
        ),
        (
            "missing_error.py",
            "missing_error.py:1: cell 1: tagged raises-exception but raised nothing",
        ),
        ("wrong_error.py", "wrong_error.py:2: cell 1: expected TypeError, got KeyError"),
        ("bad_metadata.py", "bad_metadata.py:4: cell 2: cannot parse the cell metadata"),
        ("unknown_slide_type.py", "unknown_slide_type.py:1: cell 1: unknown slide_type 'slidee'"),
        ("missing_image.py", "missing_image.py:4: cell 1: image 'no_such_image.png' not found"),
    ],
)
def test_a_failed_build_names_the_line_and_keeps_the_previous_deck(
    built: Path, tmp_path: Path, deck_name: str, expected: str
) -> None:
    """Bad input gets one message with file and line; the previous deck stays as it was."""
    out = tmp_path / "out"
    out.mkdir()
    previous = (built / "index.html").read_bytes()
    (out / "index.html").write_bytes(previous)
    cache = dict(os.environ, BUILD_CACHE_DIR=str(tmp_path / "cache"))
    result = run_build(DECKS / "bad" / deck_name, "--out", out, "--no-cache", env=cache)
    assert result.returncode == 1
    errors = error_lines(result)
    assert len(errors) == 1
    assert expected in errors[0]
    assert (out / "index.html").read_bytes() == previous
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_help_explains_each_command() -> None:
    """`build.py --help` lists the commands and each has its own help."""
    help_text = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "build" in help_text
    assert "extract" in help_text


def test_the_page_has_a_title_description_and_language(deck: str) -> None:
    """A published deck names itself: the first heading, [tool.deckbuild]'s description and lang."""
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    soup = BeautifulSoup(deck, "html.parser")
    assert soup.title is not None
    assert soup.title.string == "Fixture deck"
    description = soup.select_one('head meta[name="description"]')
    assert description is not None
    assert description["content"] == table["deckbuild"]["description"]
    assert soup.html is not None
    assert soup.html["lang"] == table["deckbuild"]["lang"]


def test_a_worker_that_ignores_ctrl_c_still_does_after_running_a_kernel() -> None:
    """serve's workers ignore the terminal's Ctrl-C; executing a source must not undo that."""
    with worker_pool(1, quiet=True) as pool:
        assert pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
        pool.submit(execute_in_worker, read_source(GOOD[1]), 60).result()
        assert pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN


def test_kernels_talk_over_unix_sockets_of_their_own(tmp_path: Path) -> None:
    """Not TCP ports, which another kernel starting at the same moment could take first."""
    first, second = ProjectKernelManager(), ProjectKernelManager()
    assert (first.transport, second.transport) == ("ipc", "ipc")
    assert first.ip != second.ip
    assert len(f"{first.ip}-5") <= 107  # the longest path a Unix socket may have on Linux
    source = tmp_path / "01_transport.py"
    source.write_text(
        "# %%\nimport json\nfrom ipykernel import get_connection_info\n\n"
        'info = json.loads(get_connection_info())\nprint(info["transport"], info["ip"])\n',
        encoding="utf-8",
    )
    printed = execute(read_source(source), timeout=60).notebook.cells[0].outputs[0].text
    transport, prefix = printed.split()
    assert transport == "ipc"
    sockets = Path(prefix.replace("~", str(Path.home()), 1))
    assert not list(sockets.parent.glob(f"{sockets.name}-*")), "the sockets outlived the kernel"
