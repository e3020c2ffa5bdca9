"""The built deck as a presenter meets it: Debian's Chromium, from file://, no network.

The deck is $DECK_HTML (default build/index.html, which `make test` builds first). Outside
CI the tests skip, saying why, when Chromium or the deck is missing; with CI set they fail.
Screenshots of a few key slides are kept in screenshots/ next to the deck for a human to see.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    Route,
    sync_playwright,
)

from deckbuild.alttext import NO_ALT
from deckbuild.chromium import CHROMIUM_ARGS
from tests.presenting import (
    LOCAL_SCHEMES,
    Subslide,
    declared_slides,
    plain_text,
    read_notebook,
    require,
    require_deck_and_chromium,
    source_paths,
)

VIEWPORT = {"width": 1280, "height": 720}  # a projector's resolution, and the deck's own size
READY = "() => window.Reveal !== undefined && Reveal.isReady()"
# Where code and its output live on a slide: none of them may need a horizontal scroll bar.
SCROLLERS = "pre, code, .jp-InputArea-editor, .highlight, .jp-OutputArea-output, table"


@dataclasses.dataclass
class Session:
    """One page showing the deck, and everything it asked for or complained about."""

    page: Page
    context: BrowserContext
    deck: Path
    outside: list[str] = dataclasses.field(default_factory=list)
    console_errors: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)

    def go(self, slide: Subslide, fragment: int = -1) -> None:
        """Show slide with its first `fragment + 1` fragments (-1: none) and wait a frame."""
        self.page.evaluate("([h, v, f]) => Reveal.slide(h, v, f)", [slide.h, slide.v, fragment])
        self.page.evaluate("() => new Promise(requestAnimationFrame)")

    def indices(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("() => Reveal.getIndices()")
        return result


def refuse_outside(outside: list[str], route: Route) -> None:
    """Let local loads through; refuse and record anything that would go to a network."""
    if route.request.url.startswith(LOCAL_SCHEMES):
        route.continue_()
    else:
        outside.append(route.request.url)
        route.abort()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    require_deck_and_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    _, chromium = require_deck_and_chromium()
    launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def declared() -> list[Subslide]:
    """The slides the deck's sources declare."""
    deck, _ = require_deck_and_chromium()
    paths = source_paths(deck)
    assert paths, f"no sources for {deck}: set DECK_SOURCES or build with build.py (notebooks/)"
    return declared_slides([read_notebook(path) for path in paths])


# Every leaf slide in order, main path then backup: Reveal.getSlides() leaves out uncounted ones.
ALL_SLIDES = """() => {
  window.allSlides = () => Array.from(document.querySelectorAll(".reveal .slides section"))
    .filter((s) => !s.querySelector("section"));
}"""


@pytest.fixture(scope="module")
def session(browser: Browser) -> Iterator[Session]:
    """The deck opened from file:// at 1280x720, every outside request refused and recorded."""
    deck, _ = require_deck_and_chromium()
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    opened = Session(page, context, deck)
    context.route("**/*", functools.partial(refuse_outside, opened.outside))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            opened.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
    page.goto(deck.as_uri())
    page.wait_for_function(READY, timeout=20_000)
    page.evaluate(ALL_SLIDES)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def screenshots(session: Session) -> Path:
    folder = session.deck.parent / "screenshots"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def test_reveal_is_ready(session: Session) -> None:
    """reveal.js initialised the deck from file:// without the network."""
    assert session.page.evaluate(READY)


def test_slide_count_matches_the_sources(session: Session, declared: list[Subslide]) -> None:
    """The deck has one slide per slide/subslide the sources declare, nbconvert's way."""
    horizontal = len({slide.h for slide in declared})
    assert session.page.evaluate("() => Reveal.getHorizontalSlides().length") == horizontal
    assert session.page.evaluate("() => allSlides().length") == len(declared)
    # backup slides are uncounted: slide numbers and progress count the main path only
    main = [slide for slide in declared if not slide.backup]
    assert session.page.evaluate("() => Reveal.getTotalSlides()") == len(main)
    assert declared[: len(main)] == main, "a backup slide comes before the end of the main path"


def test_deeper_links_lead_to_backup_slides_and_back(
    session: Session, declared: list[Subslide]
) -> None:
    """A main slide's "deeper" link shows its backup slides; their "back" link returns."""
    links = session.page.evaluate(
        "() => Array.from(document.querySelectorAll('a.deck-deeper'), a => a.getAttribute('href'))"
    )
    backups = session.page.evaluate(
        "() => document.querySelectorAll('section[data-visibility=uncounted] > a.deck-back').length"
    )
    assert backups == sum(slide.backup for slide in declared)
    require(links, "the deck has no backup slides")
    parent = session.page.locator("a.deck-deeper").first.locator("xpath=..")
    parent_id = parent.get_attribute("id")
    session.page.evaluate("(id) => { location.hash = '#/' + id; }", parent_id)
    session.page.wait_for_function("(id) => Reveal.getCurrentSlide().id === id", arg=parent_id)
    session.page.locator(f"section#{parent_id} > a.deck-deeper").first.click()
    session.page.wait_for_function(
        "() => Reveal.getCurrentSlide().dataset.visibility === 'uncounted'"
    )
    assert session.page.evaluate("() => Reveal.getCurrentSlide().id") == links[0].removeprefix("#/")
    session.page.locator("section.present > a.deck-back").first.click()
    session.page.wait_for_function("(id) => Reveal.getCurrentSlide().id === id", arg=parent_id)


def test_fragments_match_the_sources(session: Session, declared: list[Subslide]) -> None:
    """Every slide has as many fragments as the sources declare for it."""
    counts = session.page.evaluate(
        "() => allSlides().map(s => s.querySelectorAll('.fragment').length)"
    )
    assert counts == [slide.fragments for slide in declared]


def test_arrow_keys_move_between_slides(session: Session, declared: list[Subslide]) -> None:
    """Right goes to the next slide and Left comes back, from the keyboard."""
    start = next(s for s in declared if s.v == 0 and s.fragments == 0 and s.h < declared[-1].h)
    session.go(start)
    session.page.keyboard.press("ArrowRight")
    assert session.indices()["h"] == start.h + 1
    session.page.keyboard.press("ArrowLeft")
    assert session.indices()["h"] == start.h


def test_space_and_right_step_through_fragments(session: Session, declared: list[Subslide]) -> None:
    """On a slide with fragments, Space and Right reveal one fragment per press, in order."""
    slide = next(s for s in declared if s.fragments >= 2)
    session.go(slide)
    visible = "() => Reveal.getCurrentSlide().querySelectorAll('.fragment.visible').length"
    assert session.page.evaluate(visible) == 0
    for step, key in enumerate(["Space", "ArrowRight"]):
        session.page.keyboard.press(key)
        assert session.indices() == {"h": slide.h, "v": slide.v, "f": step}
        assert session.page.evaluate(visible) == step + 1


def test_speaker_notes_match_the_notes_cells(session: Session, declared: list[Subslide]) -> None:
    """Reveal.getSlideNotes gives each slide exactly the text of its notes cells."""
    notes = session.page.evaluate("() => allSlides().map(s => Reveal.getSlideNotes(s))")
    shown = [plain_text(html or "") for html in notes]
    assert len(shown) == len(declared)
    expected = [" ".join(slide.notes) for slide in declared]
    mismatched = [
        f"slide {s.h}/{s.v}: {got[:60]!r} != {want[:60]!r}"
        for s, got, want in zip(declared, shown, expected, strict=True)
        if got != want
    ]
    assert mismatched == []


def test_the_pacing_timer_is_set_from_the_section_budgets(session: Session) -> None:
    """totalTime is the sum of the main slides' data-timing, and every main slide has its share."""
    total = session.page.evaluate("() => Reveal.getConfig().totalTime")
    require(total, "the deck has no `minutes` budgets")
    timings = session.page.evaluate(
        "() => Reveal.getSlides().map(s => parseInt(s.dataset.timing || '0', 10))"
    )
    assert total == sum(timings)
    assert all(seconds > 0 for seconds in timings), "a main slide without time"


def test_s_opens_the_speaker_view(session: Session, declared: list[Subslide]) -> None:
    """Pressing S opens the notes plugin's speaker view, showing the current slide's notes."""
    slide = next((s for s in declared if s.notes), None)
    require(slide, "no slide has speaker notes")
    assert slide is not None
    session.go(slide)
    with session.context.expect_page(timeout=10_000) as popup_info:
        session.page.keyboard.press("s")
    popup = popup_info.value
    try:
        popup.wait_for_load_state()
        words = slide.notes[0].split()[:6]
        notes = popup.locator(".speaker-controls-notes")
        notes.get_by_text(" ".join(words)[:40]).first.wait_for(timeout=10_000)
        assert "Speaker" in popup.title()
        if session.page.evaluate("() => Reveal.getConfig().totalTime"):
            # the section budgets set the pacing timer, which the notes plugin shows only then
            popup.locator(".speaker-controls-time .pacing").wait_for(
                state="visible", timeout=10_000
            )
    finally:
        popup.close()


def test_code_and_outputs_fit_their_slides(session: Session) -> None:
    """At 1280x720 nothing scrolls sideways, pokes out of a slide or is silently cut off below."""
    problems = session.page.evaluate(
        """(selector) => {
          const problems = [];
          for (const slide of allSlides()) {
            const {h, v} = Reveal.getIndices(slide);
            Reveal.slide(h, v || 0);
            const where = `slide ${h}/${v || 0}`;
            const box = slide.getBoundingClientRect();
            const scrolls = slide.classList.contains('deck-scroll');
            if (slide.scrollHeight > slide.clientHeight + 1 && !scrolls) {
              problems.push(`${where}: cut off: ${slide.scrollHeight}px in ${
                slide.clientHeight}px`);
            }
            for (const el of slide.querySelectorAll(selector)) {
              if (el.closest('aside.notes') || el.scrollWidth <= el.clientWidth + 1) continue;
              const text = el.textContent.trim().split('\\n')[0].slice(0, 60);
              problems.push(`${where}: <${el.localName}> ${el.scrollWidth}px in ${
                el.clientWidth}px: ${text}`);
            }
            for (const el of slide.querySelectorAll('.jp-Cell, img, svg, table, p, h1, h2, h3')) {
              const r = el.getBoundingClientRect();
              if (r.width > 0 && r.right > box.right + 1) {
                problems.push(`${where}: <${el.localName}> sticks out by ${
                  Math.round(r.right - box.right)}px`);
              }
            }
          }
          return problems;
        }""",
        SCROLLERS,
    )
    assert not problems, "\n".join(problems)


def test_every_image_has_loaded(session: Session) -> None:
    """Every <img> in the deck decoded to a real picture (no broken-image icons on stage)."""
    session.page.wait_for_function(
        "() => Array.from(document.images).every(img => img.complete)", timeout=10_000
    )
    broken = session.page.evaluate(
        """() => Array.from(document.images)
                .filter(img => img.naturalWidth === 0)
                .map(img => `${img.alt || '(no alt)'}: ${img.src.slice(0, 40)}`)"""
    )
    assert broken == []


def test_every_image_says_what_it_shows(session: Session) -> None:
    """Every <img> has alternative text of its own: not none, not nbconvert's stand-in."""
    undescribed = session.page.evaluate(
        """([standIn]) => Array.from(document.images)
                .filter(img => !img.alt.trim() || img.alt === standIn)
                .map(img => `${img.closest('section')?.id}: ${img.src.slice(0, 40)}`)""",
        [NO_ALT],
    )
    assert undescribed == []


def key_slides(session: Session, declared: list[Subslide]) -> dict[str, Subslide]:
    """The slides worth a human look: title, first code output, first image, the fullest, last."""
    found: dict[str, Subslide] = {"title": declared[0], "last": declared[-1]}
    facts = session.page.evaluate(
        """() => allSlides().map(s => ({
              output: s.querySelector('.jp-OutputArea-output pre') !== null,
              image: s.querySelector('.jp-RenderedImage, .jp-RenderedSVG, img') !== null,
              height: Array.from(s.children).reduce((sum, c) => sum + c.offsetHeight, 0),
            }))"""
    )
    for name in ("output", "image"):
        index = next((i for i, fact in enumerate(facts) if fact[name]), None)
        if index is not None:
            found[f"first-{name}"] = declared[index]
    fullest = max(range(len(facts)), key=lambda i: facts[i]["height"])
    found["fullest"] = declared[fullest]
    return found


def test_screenshots_of_key_slides(
    session: Session, declared: list[Subslide], screenshots: Path
) -> None:
    """Key slides, all fragments shown, are saved as 1280x720 PNGs for a human to look at."""
    for name, slide in key_slides(session, declared).items():
        session.go(slide, fragment=slide.fragments - 1)
        path = screenshots / f"{slide.h:03d}-{slide.v}-{name}.png"
        session.page.screenshot(path=path, animations="disabled")
        assert path.stat().st_size > 0


FITTED_ALL = "() => document.documentElement.dataset.deckFitted === 'all'"


def test_fitting_in_idle_time_measures_as_fitting_each_slide_shown(session: Session) -> None:
    """The slides fitted ahead, while the browser was idle, get the zoom each gets when shown."""
    session.page.wait_for_function(FITTED_ALL, timeout=20_000)
    ahead, shown = session.page.evaluate(
        """() => {
          const zooms = () => allSlides().map(s => [s.dataset.zoom || '1',
                                                            s.classList.contains('deck-scroll')]);
          const ahead = zooms();
          for (const slide of allSlides()) window.deckFit(slide);
          return [ahead, zooms()];
        }"""
    )
    assert len(ahead) > 1
    assert ahead == shown


MIN_ZOOM = {"main": 0.85, "backup": 0.7}  # below this a slide is too small to read: split it


def test_crowded_slides_are_listed_and_none_too_small(session: Session, screenshots: Path) -> None:
    """Slides the fit script shrank or made scrollable are listed, main or backup, for authors.

    On the main path none may scroll or shrink below 0.85; a backup slide not below 0.7.
    """
    session.page.wait_for_function(FITTED_ALL, timeout=20_000)
    crowded: list[dict[str, Any]] = session.page.evaluate(
        """() => allSlides().filter(s => s.dataset.zoom).map(s => {
              const {h, v} = Reveal.getIndices(s);
              const title = (s.querySelector('h1, h2, h3, p, pre') || s).textContent
                .replace('¶', '').trim().split('\\n')[0].slice(0, 50);
              return {h, v: v || 0, index: allSlides().indexOf(s) + 1, title,
                      zoom: parseFloat(s.dataset.zoom),
                      scrolls: s.classList.contains('deck-scroll'),
                      path: s.dataset.visibility === 'uncounted' ? 'backup' : 'main'};
            })"""
    )
    lines = [
        f"{c['path']} slide {c['h']}/{c['v']} ({c['index']}): zoom {c['zoom']}"
        f"{', and scrolls' if c['scrolls'] else ''}: {c['title']}"
        for c in crowded
    ]
    report = screenshots / "crowded.txt"
    header = (
        "Slides shrunk to fit 1280x720 (zoom < 1), or scrolling, main path or backup: "
        f"the floor is {MIN_ZOOM['main']} on the main path, {MIN_ZOOM['backup']} in backup.\n"
    )
    report.write_text(header + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    too_small = [
        line
        for line, c in zip(lines, crowded, strict=True)
        if c["zoom"] < MIN_ZOOM[c["path"]] or (c["scrolls"] and c["path"] == "main")
    ]
    assert not too_small, "\n".join(too_small)


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the deck's folder under /talk/ only, as a site serving talks at a sub-path would."""

    PREFIX = "/talk/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.PREFIX):
            return str(Path(self.directory) / "no such file")
        return super().translate_path("/" + path[len(self.PREFIX) :])

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_deck_works_from_a_sub_path(browser: Browser) -> None:
    """Served over http under /talk/, the deck initialises and every request it makes succeeds."""
    deck, _ = require_deck_and_chromium()
    handler = functools.partial(SubPathHandler, directory=str(deck.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    failed: list[str] = []
    try:

        def only_this_server(route: Route) -> None:
            if route.request.url.startswith((*LOCAL_SCHEMES, origin + "/")):
                route.continue_()
            else:
                failed.append(f"outside: {route.request.url}")
                route.abort()

        context.route("**/*", only_this_server)
        page = context.new_page()
        page.on("requestfailed", lambda request: failed.append(f"failed: {request.url}"))

        def on_response(response: Response) -> None:
            if response.status >= 400:
                failed.append(f"{response.status}: {response.url}")

        page.on("response", on_response)
        page.on("pageerror", lambda error: failed.append(f"page error: {error}"))
        page.goto(f"{origin}/talk/{deck.name}")
        page.wait_for_function(READY, timeout=20_000)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => location.hash.length > 1")
        assert page.evaluate("() => location.pathname") == f"/talk/{deck.name}"
        assert failed == []
    finally:
        context.close()
        server.shutdown()
        server.server_close()
        thread.join()


def test_no_outside_request_and_no_error(session: Session) -> None:
    """After all of the above, the deck asked the network for nothing and logged no error."""
    assert session.outside == []
    assert session.console_errors == []
    assert session.page_errors == []
