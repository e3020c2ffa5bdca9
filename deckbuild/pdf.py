"""Printing the built deck to PDF through reveal.js's print view in headless Chromium."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from deckbuild.chromium import CHROMIUM_ARGS, STAGE_HEIGHT, STAGE_WIDTH, find_chromium
from deckbuild.errors import WARNING_PREFIX, BuildError
from deckbuild.paths import DEFAULT_OUT, display_path
from deckbuild.sources import resolve_sources


def print_pdf(out: Path) -> Path:
    """Print out/index.html through reveal.js's print view into out/talk.pdf: a page per slide,
    and a page per step for a slide whose stepped code does not fit its page whole."""
    index = out / "index.html"
    if not index.is_file():
        raise BuildError(f"{display_path(index)}: no deck to print; run `python build.py build`")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import Route, sync_playwright
    except ImportError:
        raise BuildError("playwright is not installed: pip install -e '.[dev]'") from None
    stale = [p for p in resolve_sources([]) if p.stat().st_mtime > index.stat().st_mtime]
    if out.resolve() == DEFAULT_OUT and stale:
        warning = f"{WARNING_PREFIX} {display_path(stale[0])} is newer than the deck"
        print(warning, file=sys.stderr)
    chromium = find_chromium()
    pdf = out / "talk.pdf"
    partial = out / ".talk.pdf.partial"
    outside: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": STAGE_WIDTH, "height": STAGE_HEIGHT})
                page.route("**/*", offline)
                page.goto(index.resolve().as_uri() + "?print-pdf")
                # the template's fit script sets data-deck-print once reveal.js's pages are laid
                # out, fitted and split (a page per step for stepped code too long for one)
                ready = "() => document.documentElement.dataset.deckPrint === 'ready'"
                page.wait_for_function(ready, timeout=60_000)
                page.evaluate("() => document.fonts.ready")
                page.pdf(path=str(partial), prefer_css_page_size=True, print_background=True)
            finally:
                browser.close()
    except PlaywrightError as error:
        partial.unlink(missing_ok=True)
        raise BuildError(f"printing {display_path(index)} failed: {error.message}") from None
    if outside:
        partial.unlink(missing_ok=True)
        raise BuildError(f"the deck tried to load {outside[0]} while printing")
    os.replace(partial, pdf)
    return pdf
