"""`build.py pdf`: the deck printed through reveal.js's print view, one page per slide, and one
per step for a slide whose stepped code does not fit its page whole."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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
# Per printed slide with stepped code (its first page; the fit script's copies for later steps are
# left out): how many steps its blocks add, and whether the slide, every block uncut and nothing
# zoomed, is taller than its page, which is when it prints a page per step.
STEPPED_SLIDES = """() => Array.from(document.querySelectorAll('.pdf-page > section'))
  .filter((slide) => slide.querySelector('.deck-steps')
    && !(slide.dataset.deckStep > 0))
  .map((slide) => {
    for (const part of slide.children) part.style.zoom = '1';
    for (const pre of slide.querySelectorAll('.deck-steps pre')) pre.style.maxHeight = 'none';
    return {
      more: Array.from(slide.querySelectorAll('.deck-steps[data-steps]'),
        (block) => block.dataset.steps.split('|').length - 1).reduce((a, b) => a + b, 0),
      tall: slide.scrollHeight > slide.clientHeight + 1,
    };
  })"""


def count_pages(pdf: bytes) -> int:
    """Page objects in a PDF that keeps them uncompressed, as Chromium's printer does."""
    assert b"/ObjStm" not in pdf, "objects are compressed: count pages with pypdf instead"
    return len(PAGE_OBJECT.findall(pdf))


def test_page_counter_tells_pages_from_the_page_tree() -> None:
    """The counter counts /Type /Page objects and never the /Type /Pages tree nodes."""
    pdf = b"1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> 2 0 obj << /Type /Page >> 3 0 obj"
    assert count_pages(pdf + b" << /Type/Page /Parent 1 0 R >>") == 2


def extra_step_pages(deck: Path, chromium: str) -> int:
    """The pages the deck's stepped slides add to one per slide: a step after the first of each
    slide that, at full size and with its stepped code whole, is taller than its printed page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": STAGE_WIDTH, "height": STAGE_HEIGHT})
            page.goto(deck.resolve().as_uri() + "?print-pdf")
            page.wait_for_function("() => document.documentElement.dataset.deckPrint === 'ready'")
            stepped: list[dict[str, Any]] = page.evaluate(STEPPED_SLIDES)
        finally:
            browser.close()
    assert any(slide["tall"] for slide in stepped), "no stepped slide needs a page per step"
    assert not all(slide["tall"] for slide in stepped), "no stepped slide prints whole"
    return sum(slide["more"] for slide in stepped if slide["tall"])


def test_pdf_has_one_page_per_slide(tmp_path: Path) -> None:
    """`build.py pdf` prints a copy of the deck with one page per slide of the sources, and one
    more per step after the first of a slide whose stepped code does not fit its page whole."""
    deck, chromium = require_deck_and_chromium()
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
    assert count_pages(pdf) == len(slides) + extra_step_pages(deck, chromium)
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
