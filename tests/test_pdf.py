"""`build.py pdf`: the deck printed through reveal.js's print view, one page per slide."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from deckbuild.chromium import CHROMIUM_ARGS, STAGE_HEIGHT, STAGE_WIDTH
from tests.presenting import (
    ROOT,
    declared_slides,
    read_notebook,
    require_deck_and_chromium,
    source_paths,
)

# A page object's dictionary says /Type /Page; the page tree's nodes say /Type /Pages.
PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b")
BAND_WIDTH = 20  # px: the theme's band down the left edge of a designed slide (deck.css)


def count_pages(pdf: bytes) -> int:
    """Page objects in a PDF that keeps them uncompressed, as Chromium's printer does."""
    assert b"/ObjStm" not in pdf, "objects are compressed: count pages with pypdf instead"
    return len(PAGE_OBJECT.findall(pdf))


def test_page_counter_tells_pages_from_the_page_tree() -> None:
    """The counter counts /Type /Page objects and never the /Type /Pages tree nodes."""
    pdf = b"1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> 2 0 obj << /Type /Page >> 3 0 obj"
    assert count_pages(pdf + b" << /Type/Page /Parent 1 0 R >>") == 2


def test_pdf_has_one_page_per_slide(tmp_path: Path) -> None:
    """`build.py pdf` prints a copy of the deck with exactly one page per slide of the sources."""
    deck, _ = require_deck_and_chromium()
    slides = declared_slides([read_notebook(path) for path in source_paths(deck)])
    shutil.copy(deck, tmp_path / "index.html")  # the deck is one self-contained file
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "pdf", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = (tmp_path / "talk.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert count_pages(pdf) == len(slides)
    assert not (tmp_path / ".talk.pdf.partial").exists()


def test_pdf_without_a_deck_says_what_to_do(tmp_path: Path) -> None:
    """With no built deck, `build.py pdf` exits 1 with one line telling how to build it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "pdf", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "no deck to print" in result.stderr
    assert "build.py build" in result.stderr


def test_designed_slides_keep_their_design_in_the_print_view() -> None:
    """reveal.js's print view zeroes every slide's padding (`padding: 0 !important`): the title
    and section slides keep theirs, so that their heading is not printed under the band."""
    from playwright.sync_api import sync_playwright

    deck, chromium = require_deck_and_chromium()
    measure = """() => Array.from(document.querySelectorAll(
            '.reveal .slides section.deck-title, .reveal .slides section.deck-section'))
        .map(section => {
            const heading = section.querySelector('h1, h2');
            return {
                id: section.id,
                padding: getComputedStyle(section).paddingLeft,
                gap: heading.getBoundingClientRect().left - section.getBoundingClientRect().left,
            };
        })"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": STAGE_WIDTH, "height": STAGE_HEIGHT})
            page.goto(deck.resolve().as_uri())
            page.wait_for_function("() => window.Reveal?.isReady()")
            on_screen = {found["id"]: found for found in page.evaluate(measure)}
            page.goto(deck.resolve().as_uri() + "?print-pdf")
            page.wait_for_function("() => document.querySelector('.pdf-page')")
            printed = {found["id"]: found for found in page.evaluate(measure)}
        finally:
            browser.close()
    assert on_screen, "no designed slide in the deck"
    assert printed.keys() == on_screen.keys()
    for name, found in printed.items():
        assert found["padding"] == on_screen[name]["padding"], name
        assert found["gap"] >= BAND_WIDTH + 16, f"{name}: the heading is {found['gap']} px in"
