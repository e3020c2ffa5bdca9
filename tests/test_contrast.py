"""Readable from the back row, in both themes: contrast, code size, and a look at designed slides.

The deck's executed notebooks (build/notebooks/, from the build `make test` runs first) are
rendered again in each theme, executing nothing, and opened in Chromium at 1280x720. Every
text on every slide must reach WCAG's 4.5:1 against what is behind it, code tokens 7:1 (AAA);
code and outputs must be 20 px on the main path after the fit-to-slide zoom, 16 px in backup.
Screenshots of the title, a section, a code slide and a traceback in each theme are kept in
screenshots/themes/ next to the deck for a human to look at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import wcag_contrast_ratio  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from deckbuild.chromium import CHROMIUM_ARGS
from deckbuild.render import merge, render
from deckbuild.settings import DeckSettings
from deckbuild.theme import THEMES
from tests.presenting import read_notebook, require_deck_and_chromium, source_paths

VIEWPORT = {"width": 1280, "height": 720}
READY = "() => window.Reveal !== undefined && Reveal.isReady()"
TEXT_FLOOR = 4.5  # WCAG 2 AA for normal text
CODE_FLOOR = 7.0  # WCAG 2 AAA: code tokens are read letter by letter
SIZE_FLOOR = {"main": 20.0, "backup": 16.0}  # px of code and outputs after the fit's zoom
Colour = tuple[float, float, float, float]


def composite(top: Colour, bottom: tuple[float, float, float]) -> tuple[float, float, float]:
    """top painted over an opaque bottom, by its alpha, 0-255 channels."""
    alpha = top[3]
    return (
        top[0] * alpha + bottom[0] * (1 - alpha),
        top[1] * alpha + bottom[1] * (1 - alpha),
        top[2] * alpha + bottom[2] * (1 - alpha),
    )


def ratio(ink: Colour, paper: tuple[float, float, float]) -> float:
    """WCAG's contrast ratio of ink (with its alpha) on an opaque paper."""
    seen = composite(ink, paper)
    return float(
        wcag_contrast_ratio.rgb(tuple(c / 255 for c in seen), tuple(c / 255 for c in paper))
    )


def ink_of(values: list[float]) -> Colour:
    """A colour as the page reported it, [r, g, b, alpha]."""
    return (values[0], values[1], values[2], values[3])


def hex_colour(colour: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in colour[:3])


def test_the_contrast_arithmetic_matches_wcag() -> None:
    """#777 on white is just below 4.5:1, black on white 21:1, half-transparent black is grey."""
    white = (255.0, 255.0, 255.0)
    assert ratio((119, 119, 119, 1), white) == pytest.approx(4.48, abs=0.01)
    assert ratio((0, 0, 0, 1), white) == pytest.approx(21.0)
    assert ratio((0, 0, 0, 0.5), white) == pytest.approx(ratio((128, 128, 128, 1), white), 0.02)


# For each leaf slide, every element with text of its own: its colour, the backgrounds behind it
# (innermost first, with alpha), whether it is code, and its font size after the fit's zoom.
HELPERS = """
  const colour = (text) => {
    const m = text.match(/^rgba?\\(([^)]*)\\)$/);
    if (!m) return null;
    const parts = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const backgrounds = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const c = colour(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break;
    }
    let page = colour(getComputedStyle(document.querySelector('.reveal-viewport')
      || document.body).backgroundColor);
    if (!page || page[3] < 1) page = [255, 255, 255, 1];  /* the browser's canvas is white */
    if (!layers.length || layers[layers.length - 1][3] < 1) layers.push(page);
    return layers;
  };
  const zoomOf = (el) => {
    let zoom = 1;
    for (let node = el; node; node = node.parentElement) {
      zoom *= parseFloat(node.style.zoom || '1');
    }
    return zoom;
  };
"""
TEXTS = (
    "() => {"
    + HELPERS
    + """
  const found = [];
  const slides = Array.from(document.querySelectorAll('.reveal .slides section'))
    .filter((s) => !s.querySelector('section'));
  slides.forEach((slide, number) => {
    const {h, v} = Reveal.getIndices(slide);
    Reveal.slide(h, v || 0, slide.querySelectorAll('.fragment').length - 1);
    const path = slide.dataset.visibility === 'uncounted' ? 'backup' : 'main';
    const title = (slide.querySelector('h1, h2, h3') || slide).textContent
      .replace('¶', '').trim().split('\\n')[0].slice(0, 40);
    for (const el of slide.querySelectorAll('*')) {
      const own = Array.from(el.childNodes)
        .filter((n) => n.nodeType === Node.TEXT_NODE && n.data.trim()).map((n) => n.data);
      if (!own.length || el.closest('aside.notes') || el.closest('.deck-dim')) continue;
      if (!el.getClientRects().length) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden') continue;
      const code = el.closest('.jp-InputArea-editor') !== null;
      const block = el.closest('pre') !== null;
      found.push({
        slide: `${number + 1} (${h}/${v || 0}) ${title}`, path,
        text: own.join('').trim().slice(0, 30),
        ink: colour(style.color), inkText: style.color,
        papers: backgrounds(el), code, block,
        size: parseFloat(style.fontSize) * zoomOf(el),
      });
    }
  });
  return found;
}"""
)


@dataclasses.dataclass
class Themed:
    """One theme's deck, opened at 1280x720, and what it measured."""

    theme: str
    page: Page
    texts: list[dict[str, Any]]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _, chromium = require_deck_and_chromium()
    driver: Playwright
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The built deck's notebooks rendered in each theme (rendering only: nothing executes)."""
    deck, _ = require_deck_and_chromium()
    notebooks = [read_notebook(path) for path in source_paths(deck)]
    assert notebooks, f"no executed notebooks next to {deck}: run `python build.py build`"
    folder = tmp_path_factory.mktemp("themes")
    decks: dict[str, Path] = {}
    for name, theme in THEMES.items():
        path = folder / f"{name}.html"
        path.write_text(
            render(merge(notebooks, "Themes"), DeckSettings().assets(), theme=theme), "utf-8"
        )
        decks[name] = path
    return decks


@pytest.fixture(scope="module", params=sorted(THEMES))
def themed(
    request: pytest.FixtureRequest, browser: Browser, rendered: dict[str, Path]
) -> Iterator[Themed]:
    theme: str = request.param
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(rendered[theme].as_uri())
    page.wait_for_function(READY, timeout=30_000)
    page.evaluate("() => document.fonts.ready")
    yield Themed(theme, page, page.evaluate(TEXTS))
    context.close()


def test_every_text_is_measured(themed: Themed) -> None:
    """The measurement sees prose, code tokens and outputs, each with a colour it can read."""
    assert any(t["code"] for t in themed.texts)
    assert any(t["block"] and not t["code"] for t in themed.texts)
    assert any(not t["block"] for t in themed.texts)
    unread = {t["inkText"] for t in themed.texts if t["ink"] is None}
    assert not unread, f"colours the check cannot read: {unread}"


def test_every_text_has_contrast(themed: Themed) -> None:
    """Text at least 4.5:1 against its background, code tokens 7:1, named by slide and colours."""
    failures: dict[tuple[str, str, str, float], list[str]] = {}
    for text in themed.texts:
        paper = paper_of(text["papers"])
        floor = CODE_FLOOR if text["code"] else TEXT_FLOOR
        got = ratio(ink_of(text["ink"]), paper)
        if got < floor:
            pair = (hex_colour(text["ink"]), hex_colour(paper), "code" if text["code"] else "text")
            failures.setdefault((*pair, round(got, 2)), []).append(
                f"slide {text['slide']}: {text['text']!r}"
            )
    report = [
        f"{ink} on {paper} ({kind}): {got}:1, below {CODE_FLOOR if kind == 'code' else TEXT_FLOOR}"
        f":1, {len(where)} times, first on {where[0]}"
        for (ink, paper, kind, got), where in sorted(failures.items())
    ]
    assert not report, f"{themed.theme} theme:\n" + "\n".join(report)


def test_code_and_outputs_are_large_enough(themed: Themed) -> None:
    """Code and outputs: 20 px on the main path after the fit-to-slide zoom, 16 px in backup."""
    small: dict[str, float] = {}
    for text in themed.texts:
        if text["block"] and text["size"] < SIZE_FLOOR[text["path"]] - 0.01:
            where = f"{text['path']} slide {text['slide']}"
            small[where] = min(small.get(where, 99.0), text["size"])
    report = [
        f"{where}: {size:.1f} px, below {SIZE_FLOOR[where.split()[0]]:g}"
        for where, size in small.items()
    ]
    assert not report, f"{themed.theme} theme:\n" + "\n".join(report)


# The slides a human should look at in each theme: found by what is on them.
DESIGNED = """() => {
  const slides = Array.from(document.querySelectorAll('.reveal .slides section'))
    .filter((s) => !s.querySelector('section'));
  const main = slides.filter((s) => s.dataset.visibility !== 'uncounted');
  const stderr = '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]';
  const pick = (test) => {
    const slide = main.find(test);
    return slide ? Reveal.getIndices(slide) : null;
  };
  return {
    title: pick((s) => s.classList.contains('deck-title')),
    section: pick((s) => s.classList.contains('deck-section')),
    code: pick((s) => s.querySelector('.jp-InputArea-editor') && !s.querySelector(stderr)
      && !s.querySelector('.deck-steps') && s.querySelectorAll('.deck-line, pre').length > 1),
    traceback: pick((s) => s.querySelector(`${stderr} .ansi-red-fg`) !== null),
  };
}"""


@pytest.fixture(scope="module")
def screenshots() -> Path:
    deck, _ = require_deck_and_chromium()
    folder = deck.parent / "screenshots" / "themes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshots_of_designed_slides(themed: Themed, screenshots: Path) -> None:
    """The title, a section, a code slide and a traceback, as 1280x720 PNGs for a human."""
    found: dict[str, dict[str, int] | None] = themed.page.evaluate(DESIGNED)
    missing = [name for name, where in found.items() if where is None]
    assert not missing, f"the deck has no {', '.join(missing)} slide on its main path"
    for name, where in found.items():
        assert where is not None
        themed.page.evaluate("([h, v]) => Reveal.slide(h, v, 99)", [where["h"], where["v"] or 0])
        themed.page.evaluate("() => new Promise(requestAnimationFrame)")
        path = screenshots / f"{themed.theme}-{name}.png"
        themed.page.screenshot(path=path, animations="disabled")
        assert path.stat().st_size > 10_000, path  # a real picture, not a blank page


# Every text of the speaker view's own page (notes, clock, timer, labels): the previews in its
# frames are the deck, checked above.
SPEAKER_TEXTS = (
    "() => {"
    + HELPERS
    + """
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes)
      .filter((n) => n.nodeType === Node.TEXT_NODE && n.data.trim()).map((n) => n.data);
    if (!own.length || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || parseFloat(style.opacity) === 0) continue;
    found.push({text: own.join('').trim().slice(0, 30), ink: colour(style.color),
                inkText: style.color, papers: backgrounds(el),
                notes: el.closest('.speaker-controls-notes') !== null});
  }
  return found;
}"""
)


def paper_of(papers: list[list[float]]) -> tuple[float, float, float]:
    """The opaque colour behind a text: its background layers composited, innermost last."""
    paper = (papers[-1][0], papers[-1][1], papers[-1][2])
    for layer in reversed(papers[:-1]):
        paper = composite((layer[0], layer[1], layer[2], layer[3]), paper)
    return paper


def test_the_speaker_view_has_contrast(themed: Themed) -> None:
    """S opens the speaker view: its notes, clock and labels are 4.5:1 against their backgrounds."""
    slide = themed.page.evaluate(
        """() => { const s = Array.from(document.querySelectorAll('.reveal .slides section'))
              .find((s) => !s.querySelector('section') && s.querySelector('aside.notes'));
              return Reveal.getIndices(s); }"""
    )
    themed.page.evaluate("([h, v]) => Reveal.slide(h, v)", [slide["h"], slide["v"] or 0])
    with themed.page.context.expect_page(timeout=10_000) as popup_info:
        themed.page.keyboard.press("s")
    popup = popup_info.value
    try:
        popup.wait_for_load_state()
        popup.locator(".speaker-controls-notes").wait_for(timeout=10_000)
        popup.wait_for_function(
            "() => document.querySelector('.speaker-controls-notes').textContent.trim() !== ''"
        )
        texts: list[dict[str, Any]] = popup.evaluate(SPEAKER_TEXTS)
    finally:
        popup.close()
    assert any(t["notes"] for t in texts), "the speaker view shows no notes to measure"
    unread = {t["inkText"] for t in texts if t["ink"] is None}
    assert not unread, f"colours the check cannot read: {unread}"
    report: set[str] = set()
    for text in texts:
        ink, paper = ink_of(text["ink"]), paper_of(text["papers"])
        if ratio(ink, paper) < TEXT_FLOOR:
            report.add(
                f"{hex_colour(ink)} on {hex_colour(paper)}: {ratio(ink, paper):.2f}:1, "
                f"below {TEXT_FLOOR}:1 ({text['text']!r})"
            )
    assert not report, f"{themed.theme} theme, speaker view:\n" + "\n".join(sorted(report))
