"""What the slide sources declare, and how the tests reach the deck and Chromium.

Shared by the browser, PDF and serve tests. The deck is $DECK_HTML (default build/index.html);
the sources it was built from are $DECK_SOURCES (paths separated by the OS path separator) or,
by default, the executed notebooks that the same build wrote next to it, in notebooks/.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import jupytext
import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.filters import markdown2html
from nbformat import NotebookNode

from deckbuild.chromium import CHROMIUM_ARGS, chromium_path
from deckbuild.mainpath import arrange

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
LOCAL_SCHEMES = ("file:", "data:", "blob:")


@dataclasses.dataclass
class Subslide:
    """One reveal.js slide (a leaf <section>): its indices, fragments and speaker notes."""

    h: int
    v: int
    fragments: int = 0
    notes: list[str] = dataclasses.field(default_factory=list)  # each notes cell, as plain text
    backup: bool = False  # after the main path, uncounted (tags=["backup"])


def deck_path() -> Path:
    return Path(os.environ.get("DECK_HTML", ROOT / "build" / "index.html")).resolve()


def source_paths(deck: Path) -> list[Path]:
    """The files the deck was built from: $DECK_SOURCES, else the build's executed notebooks."""
    listed = os.environ.get("DECK_SOURCES")
    if listed:
        return [Path(path) for path in listed.split(os.pathsep) if path]
    return sorted((deck.parent / "notebooks").glob("*.ipynb"))  # build.py keeps only its own


def source_file(folder: Path, text: str, name: str = "deck.py") -> Path:
    """A slide file of text written into folder."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def read_error(path: Path) -> str:
    """The BuildError read_source must raise for path, as its message."""
    from deckbuild.errors import BuildError
    from deckbuild.sources import read_source

    with pytest.raises(BuildError) as error:
        read_source(path)
    return str(error.value)


def read_notebook(path: Path) -> NotebookNode:
    if path.suffix == ".ipynb":
        notebook: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
        return notebook
    text: NotebookNode = jupytext.read(path, fmt="py:percent")
    return text


def plain_text(html: str) -> str:
    """The words of some HTML, whitespace collapsed: how notes are compared."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text().split())


def declared_slides(notebooks: Sequence[NotebookNode]) -> list[Subslide]:
    """The slides nbconvert makes of the notebooks, merged in order, as build.py merges them.

    nbconvert's rules: remove-cell cells are dropped first; the first cell that is neither
    skip nor notes starts a slide whatever its type; slide starts a new horizontal slide,
    subslide a new slide below it; fragment steps; notes go to the current slide's notes.
    Ours: a shown code cell with steps="a|b|c" adds one fragment per step after the first, and
    backup slides come after the main path (deckbuild.mainpath.arrange, tested on its own), a
    section's time budget first in its notes.
    """
    cells = [
        cell for cell in arrange(notebooks) if "remove-cell" not in cell.metadata.get("tags", [])
    ]
    slides: list[Subslide] = []
    for cell in cells:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-") or "-"
        if not slides:
            if kind in {"skip", "notes"}:
                continue
            kind = "slide"
        deck = cell.metadata.get("deck", {})
        if kind == "slide":
            slides.append(Subslide(h=slides[-1].h + 1 if slides else 0, v=0))
        elif kind == "subslide":
            slides.append(Subslide(h=slides[-1].h, v=slides[-1].v + 1))
        if kind in {"slide", "subslide"}:
            slides[-1].backup = bool(deck.get("uncounted"))
            if "budget" in deck:
                slides[-1].notes.append(f"⏱ {deck['budget']}")
        elif kind == "fragment":
            slides[-1].fragments += 1
        elif kind == "notes":
            source = cell.source
            html = markdown2html(source) if cell.cell_type == "markdown" else source
            slides[-1].notes.append(plain_text(html))
        if kind not in {"skip", "notes"} and cell.cell_type == "code":
            slides[-1].fragments += str(cell.metadata.get("steps", "")).count("|")
    return slides


def require(condition: object, reason: str) -> None:
    """Skip with the reason outside CI; in CI (env CI set) a missing prerequisite fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this cannot be skipped)")
    pytest.skip(reason)


def require_deck_and_chromium() -> tuple[Path, str]:
    deck = deck_path()
    chromium = chromium_path()
    require(chromium, "Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    require(deck.is_file(), f"no deck at {deck}: run `python build.py build` (or set DECK_HTML)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "playwright is not installed: pip install -e '.[dev]'")
    assert chromium is not None
    return deck, chromium


def build_deck(source: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """`build.py build` of one source into folder, with an execution cache of its own."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", str(source), "--out", str(folder)],
        capture_output=True,
        text=True,
        env=dict(os.environ, BUILD_CACHE_DIR=str(folder / "cache")),
        timeout=300,
        check=False,
    )


@contextlib.contextmanager
def stage_page() -> Iterator[Page]:
    """A 1280x720 Chromium page, for decks opened from file://."""
    chromium = chromium_path()
    require(chromium, "Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 720})
        finally:
            browser.close()
