"""`build.py present` in Chromium: code cells edited in place, run, interrupted, restarted.

Each module fixture runs the real `build.py present` (tests.live_client.Presenter) on a deck in
a temporary folder, with its cache and --out there too, and the tests drive the page it serves
at 1280x720 as a presenter would: clicks and keys. Outside CI they skip, saying why, when
Chromium or Playwright is missing; with CI set they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    WebSocketRoute,
    expect,
    sync_playwright,
)

from deckbuild.chromium import CHROMIUM_ARGS, chromium_path
from tests.live_client import Presenter, presenting
from tests.presenting import ROOT, require

WAIT_MS = 120_000  # any one step on a loaded machine; a passing run takes a fraction of this
VIEWPORT = {"width": 1280, "height": 720}  # the projector the deck is made for
READY = "() => window.Reveal !== undefined && Reveal.isReady()"
DECK = """\
# %% [markdown] slideshow={"slide_type": "slide"}
# # Live fixture

# %%
def fibonacci(n: int) -> list[int]:
    x, y = 0, 1
    numbers = []
    for _ in range(n):
        numbers.append(y)
        x, y = y, x + y
    return numbers


print(fibonacci(5))

# %% [markdown] slideshow={"slide_type": "slide"}
# # Streaming

# %%
import asyncio

for number in range(4):
    print(f"line {number}")
    await asyncio.sleep(0.3)

# %% [markdown] slideshow={"slide_type": "slide"}
# # Raising

# %% tags=["raises-exception"]
raise ValueError("on purpose")

# %% [markdown] slideshow={"slide_type": "slide"}
# # Sleeping

# %% tags=["skip-execution"]
await asyncio.sleep(60)

# %% [markdown] slideshow={"slide_type": "slide"}
# # Dying

# %% tags=["skip-execution"]
import os

os._exit(1)

# %%
6 * 7

# %% [markdown] slideshow={"slide_type": "slide"}
# # Output only

# %%
word = "built"

# %% tags=["remove-input"]
print(f"the word is {word}")
"""
FIBONACCI, STREAM, RAISE, SLEEP, EXIT, ANSWER, WORD, HIDDEN = (
    f"01_live-{index}" for index in (1, 3, 5, 7, 9, 10, 12, 13)
)
CODE_CELLS = 8

# Records, per cell, when a run began (the cell turned pending or running), when it started
# running, when its output first held a given text while running, and when it was done.
RECORD = """([id, needle]) => {
  const cell = document.getElementById(`cell-id=${id}`);
  const record = {busy: null, started: null, seen: null, done: null};
  (window.liveRecords ??= {})[id] = record;
  const observer = new MutationObserver(() => {
    const now = performance.now();
    const busy = cell.matches(".live-pending, .live-running");
    if (busy && record.busy === null) record.busy = now;
    if (cell.matches(".live-running") && record.started === null) record.started = now;
    const output = cell.querySelector(".jp-OutputArea");
    if (record.started !== null && record.seen === null && needle && output
        && output.textContent.includes(needle)) record.seen = now;
    if (!busy && record.busy !== null && record.done === null) {
      record.done = now;
      observer.disconnect();
    }
  });
  observer.observe(cell, {attributes: true, attributeFilter: ["class"], subtree: true,
                          childList: true, characterData: true});
}"""


@dataclasses.dataclass
class Deck:
    """The served deck in one tab, and what the tab complained about."""

    page: Page
    presenter: Presenter
    errors: list[str] = dataclasses.field(default_factory=list)

    def cell(self, cell_id: str) -> Locator:
        return self.page.locator(f'[id="cell-id={cell_id}"]')

    def output(self, cell_id: str) -> str:
        return self.cell(cell_id).locator(".jp-OutputArea").inner_text()

    def show(self, cell_id: str) -> None:
        """Go to the slide holding the cell."""
        self.page.evaluate(
            """id => {
              const slide = document.getElementById(`cell-id=${id}`).closest("section");
              const {h, v} = Reveal.getIndices(slide);
              const shown = Array.from(slide.querySelectorAll(".fragment"), (fragment) =>
                Number(fragment.dataset.fragmentIndex));
              Reveal.slide(h, v, Math.max(-1, ...shown));  /* every fragment shown */
            }""",
            cell_id,
        )

    def wait_idle(self) -> None:
        """Wait until the current slide's kernel has replayed its file and runs nothing."""
        self.page.wait_for_selector('.live-indicator[data-state="idle"]', state="attached")

    def record(self, cell_id: str, needle: str = "") -> None:
        self.page.evaluate(RECORD, [cell_id, needle])

    def times(self, cell_id: str) -> dict[str, float | None]:
        times: dict[str, float | None] = self.page.evaluate("id => window.liveRecords[id]", cell_id)
        return times

    def wait_done(self, cell_id: str) -> None:
        self.page.wait_for_function(
            "id => window.liveRecords[id].done !== null", arg=cell_id, timeout=WAIT_MS
        )

    def run(self, cell_id: str, needle: str = "") -> None:
        """Focus the cell, press Shift+Enter, and wait until its run is done."""
        self.show(cell_id)
        self.record(cell_id, needle)
        self.cell(cell_id).locator(".jp-Cell-inputWrapper").focus()
        self.page.keyboard.press("Shift+Enter")
        self.wait_done(cell_id)

    def click_run(self, cell_id: str) -> None:
        """Hover the cell, click its ▶ control, and wait until its run is done."""
        self.show(cell_id)
        self.record(cell_id)
        self.cell(cell_id).hover()
        self.cell(cell_id).locator(".live-run").click()
        self.wait_done(cell_id)

    def edit(self, cell_id: str) -> Locator:
        """Click the cell's code; the editor that opens."""
        self.show(cell_id)
        self.cell(cell_id).locator(".jp-InputArea-editor pre").click()
        editor = self.cell(cell_id).locator("textarea.live-editor")
        editor.wait_for()
        return editor

    def indices(self) -> dict[str, Any]:
        indices: dict[str, Any] = self.page.evaluate("() => Reveal.getIndices()")
        return indices


def require_chromium() -> str:
    chromium = chromium_path()
    require(chromium, "Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    assert chromium is not None
    return chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_chromium()
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def presenter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Presenter]:
    """`build.py present` on the fixture deck, its kernel replayed; Ctrl-C at the end."""
    require_chromium()
    with presenting(tmp_path_factory.mktemp("present-browser"), {"01_live.py": DECK}) as running:
        yield running


@contextlib.contextmanager
def open_deck(
    browser: Browser, presenter: Presenter, socket: Callable[[WebSocketRoute], None] | None = None
) -> Iterator[Deck]:
    """A new tab on the served deck, its kernel idle; no console error may happen in it.

    socket, if given, handles the page's WebSocket (Playwright's route_web_socket).
    """
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    deck = Deck(page, presenter)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            deck.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: deck.errors.append(str(error)))
    page.set_default_timeout(WAIT_MS)
    if socket is not None:
        page.route_web_socket(re.compile(r".*/__live__.*"), socket)
    page.goto(f"{presenter.base}/?token={presenter.token}")
    page.wait_for_function(READY)
    deck.wait_idle()
    yield deck
    context.close()
    assert deck.errors == []


@pytest.fixture
def deck(browser: Browser, presenter: Presenter) -> Iterator[Deck]:
    """A fresh tab on the served deck (open_deck)."""
    with open_deck(browser, presenter) as opened:
        yield opened


def test_every_code_cell_has_controls_hidden_until_hovered(deck: Deck) -> None:
    """Each shown code cell gets run/reset controls, invisible until the cell is hovered."""
    assert deck.page.locator(".live-cell .live-controls").count() == CODE_CELLS
    controls = deck.cell(FIBONACCI).locator(".live-controls")
    assert controls.evaluate("node => getComputedStyle(node).opacity") == "0"
    deck.cell(FIBONACCI).hover()
    expect(controls).to_have_css("opacity", "1")
    box = controls.bounding_box()
    assert box is not None
    assert box["height"] <= 30  # small: a projector's slide is 720 px high


def test_an_edited_cell_runs_with_shift_enter_and_shows_its_new_output(deck: Deck) -> None:
    """Typing in the editor and Shift+Enter runs the new code: new output, highlighted code."""
    editor = deck.edit(FIBONACCI)
    assert editor.evaluate("node => node === document.activeElement")
    deck.page.keyboard.press("Control+End")  # after `print(fibonacci(5))`
    deck.page.keyboard.press("ArrowLeft")
    deck.page.keyboard.press("ArrowLeft")
    deck.page.keyboard.press("Backspace")
    deck.page.keyboard.type("10")
    deck.record(FIBONACCI)
    deck.page.keyboard.press("Shift+Enter")
    deck.wait_done(FIBONACCI)
    assert "[1, 1, 2, 3, 5, 8, 13, 21, 34, 55]" in deck.output(FIBONACCI)
    assert deck.cell(FIBONACCI).locator("textarea").count() == 0
    code = deck.cell(FIBONACCI).locator(".jp-InputArea-editor .highlight pre")
    assert "print(fibonacci(10))" in code.inner_text()
    assert code.locator("span.nf").first.inner_text() == "fibonacci"  # pygments' markup


def test_reset_brings_back_the_built_code_and_output(deck: Deck) -> None:
    """After a run of edited code, the reset control restores the cell as it was built."""
    built_code = deck.cell(FIBONACCI).locator("pre").first.inner_text()
    built_output = deck.output(FIBONACCI)
    editor = deck.edit(FIBONACCI)
    editor.fill('print("edited")')
    deck.record(FIBONACCI)
    deck.page.keyboard.press("Shift+Enter")
    deck.wait_done(FIBONACCI)
    assert deck.output(FIBONACCI).strip() == "edited"
    deck.cell(FIBONACCI).hover()
    deck.cell(FIBONACCI).locator(".live-reset").click()
    assert deck.cell(FIBONACCI).locator("pre").first.inner_text() == built_code
    assert deck.output(FIBONACCI) == built_output


def test_an_output_only_cell_runs_from_its_control_and_shift_enter(deck: Deck) -> None:
    """A remove-input cell shows no code; ▶ and Shift+Enter run its own, reset and 0,0 work."""
    hidden = deck.cell(HIDDEN)
    assert deck.output(HIDDEN).strip() == "the word is built"
    editor = deck.edit(WORD)
    editor.fill('word = "live"')
    deck.record(WORD)
    editor.press("Shift+Enter")
    deck.wait_done(WORD)
    deck.click_run(HIDDEN)
    assert deck.output(HIDDEN).strip() == "the word is live"
    assert hidden.locator(".jp-InputArea, textarea, .highlight").count() == 0
    hidden.locator(".live-reset").click()
    assert deck.output(HIDDEN).strip() == "the word is built"
    hidden.focus()
    deck.page.keyboard.press("0")  # 0,0 from the focused cell restarts its file's kernel:
    deck.page.keyboard.press("0")  # the replay sets word = "built" again
    deck.record(HIDDEN)
    deck.page.keyboard.press("Shift+Enter")
    deck.wait_done(HIDDEN)
    assert deck.output(HIDDEN).strip() == "the word is built"  # not "live": the kernel restarted
    assert hidden.locator(".jp-InputArea, textarea, .highlight, .live-note").count() == 0


def test_output_streams_in_while_the_cell_still_runs(deck: Deck) -> None:
    """The first printed line shows long before the cell ends: output is not held back."""
    deck.run(STREAM, needle="line 0")
    times = deck.times(STREAM)
    busy, seen, done = times["busy"], times["seen"], times["done"]
    assert None not in (busy, seen, done), times
    assert busy is not None
    assert seen is not None
    assert done is not None
    # three 0.3 s sleeps come after the first line: it must arrive in the first half of the run
    assert seen - busy < (done - busy) / 2, times
    assert deck.output(STREAM).split() == ["line", "0", "line", "1", "line", "2", "line", "3"]


def test_a_traceback_renders_as_error_output(deck: Deck) -> None:
    """A raise shows the traceback in the deck's red stderr block, its ANSI colours kept."""
    editor = deck.edit(RAISE)
    editor.press("Control+a")
    editor.press_sequentially('raise KeyError("raised live")')
    deck.record(RAISE)
    editor.press("Shift+Enter")
    deck.wait_done(RAISE)
    error = deck.cell(RAISE).locator('.jp-OutputArea [data-mime-type$="stderr"]')
    assert "KeyError: 'raised live'" in error.inner_text()
    assert error.locator(".ansi-red-fg").count() > 0


def test_i_i_interrupts_the_running_cell_of_the_slide(deck: Deck) -> None:
    """Pressing i twice, outside the editor, interrupts `await asyncio.sleep(60)`."""
    deck.show(SLEEP)
    deck.record(SLEEP)
    deck.cell(SLEEP).locator(".jp-Cell-inputWrapper").focus()
    deck.page.keyboard.press("Shift+Enter")
    deck.page.wait_for_selector(f'[id="cell-id={SLEEP}"].live-running')
    deck.page.evaluate("() => document.activeElement.blur()")  # keys go to the slide
    deck.page.keyboard.press("i")
    deck.page.keyboard.press("i")
    deck.page.wait_for_function(
        f"() => window.liveRecords['{SLEEP}'].done !== null", timeout=30_000
    )  # well before the 60 s sleep would end on its own
    assert deck.cell(SLEEP).locator(".live-note-interrupted").count() == 1
    deck.wait_idle()


def test_a_dead_kernel_says_so_and_its_restart_button_brings_it_back(deck: Deck) -> None:
    """After os._exit the output says the kernel died; its button restarts it; cells run again."""
    deck.run(EXIT)
    dead = deck.cell(EXIT).locator(".live-note-dead")
    assert "died" in dead.inner_text()
    deck.page.wait_for_selector('.live-indicator[data-state="dead"]', state="attached")
    dead.locator("button.live-restart").click()
    deck.wait_idle()
    deck.run(ANSWER)
    assert deck.output(ANSWER).strip() == "42"
    assert deck.cell(ANSWER).locator(".live-note").count() == 0


def test_0_0_restarts_the_kernel_and_a_run_waits_for_the_replay(deck: Deck) -> None:
    """0,0 restarts the slide's kernel; a cell run meanwhile says it waits, then runs."""
    deck.show(ANSWER)
    deck.page.evaluate("() => document.activeElement.blur()")
    deck.page.keyboard.press("0")
    deck.page.keyboard.press("0")
    deck.record(ANSWER)
    deck.cell(ANSWER).locator(".jp-Cell-inputWrapper").focus()
    deck.page.keyboard.press("Shift+Enter")
    status = deck.cell(ANSWER).locator(".live-status")
    status.wait_for()
    assert re.fullmatch(r"waiting for replay of 01_live\.py…", status.inner_text())
    deck.wait_done(ANSWER)
    assert deck.output(ANSWER).strip() == "42"
    assert status.count() == 0


def test_keys_typed_in_the_editor_never_move_the_slides(deck: Deck) -> None:
    """Arrows, Space, N, P, Page Down and Escape in the editor leave Reveal's indices alone."""
    editor = deck.edit(FIBONACCI)
    before = deck.indices()
    for key in ["ArrowRight", "ArrowDown", "Space", "n", "p", "PageDown", "End", "Home"]:
        deck.page.keyboard.press(key)
        assert deck.indices() == before, key
    assert " np" in editor.input_value()
    deck.page.keyboard.press("Escape")  # leaves the editor, and is not reveal's overview
    assert deck.cell(FIBONACCI).locator("textarea").count() == 0
    assert deck.page.evaluate("() => Reveal.isOverview()") is False
    assert deck.indices() == before
    deck.page.keyboard.press("Enter")  # the cell keeps the focus: Enter edits it again
    assert editor.input_value().startswith("def fibonacci")
    assert " np" in editor.input_value()  # what was typed, not run, is still there


def test_a_dropped_socket_reconnects_and_runs_again(browser: Browser, presenter: Presenter) -> None:
    """When the WebSocket drops, the deck says so, reconnects by itself, and cells run again."""
    routes: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:
        route.connect_to_server()
        routes.append(route)

    with open_deck(browser, presenter, through) as deck:
        assert len(routes) == 1
        deck.page.evaluate(
            """() => {
              const text = document.querySelector(".live-indicator-text");
              window.indicatorTexts = [];
              new MutationObserver(() => indicatorTexts.push(text.textContent))
                .observe(text, {subtree: true, childList: true, characterData: true});
            }"""
        )
        routes[0].close()  # the page's end of the socket, as when the server goes away
        deck.page.wait_for_function("() => indicatorTexts.length > 0")
        deck.wait_idle()
        assert len(routes) == 2
        assert "live: reconnecting…" in deck.page.evaluate("() => indicatorTexts")
        deck.run(ANSWER)
        assert deck.output(ANSWER).strip() == "42"


def test_the_built_file_has_no_live_parts_and_no_console_errors(
    browser: Browser, presenter: Presenter
) -> None:
    """The deck present built, opened from file://, has no live controls and logs no errors."""
    built = presenter.out / "index.html"
    assert "DECK_LIVE" not in built.read_text(encoding="utf-8")
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(built.as_uri())
    page.wait_for_function(READY)
    assert page.locator(".jp-CodeCell").count() == CODE_CELLS
    assert page.locator(".live-controls, .live-indicator, textarea").count() == 0
    page.locator(f'[id="cell-id={FIBONACCI}"] pre').first.click()
    assert page.locator("textarea").count() == 0
    context.close()
    assert errors == []


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Presenter]:
    """`build.py present` on two files of the real talk, replayed: 01_intro and 04_tasks."""
    require_chromium()
    files = [ROOT / "slides" / "01_intro.py", ROOT / "slides" / "04_tasks.py"]
    with presenting(tmp_path_factory.mktemp("present-talk"), files) as running:
        yield running


def test_the_talks_fibonacci_coroutine_carries_on_where_the_replay_left_it(
    browser: Browser, talk: Presenter
) -> None:
    """Re-running the talk's `next(coroutine)` cell goes on with the Fibonacci numbers."""
    with open_deck(browser, talk) as deck:
        cell = deck.page.locator(".live-cell", has_text="next(coroutine)").first
        cell_id = (cell.get_attribute("id") or "").removeprefix("cell-id=")
        built = [int(n) for n in re.findall(r"^\d+$", deck.output(cell_id), re.MULTILINE)]
        assert built, deck.output(cell_id)
        deck.run(cell_id)
        live = [int(n) for n in re.findall(r"^\d+$", deck.output(cell_id), re.MULTILINE)]
        assert live, deck.output(cell_id)
        assert live[0] > max(built)  # the replay already advanced the same coroutine
        fibonacci = [1, 1]
        while fibonacci[-1] <= live[-1]:
            fibonacci.append(fibonacci[-2] + fibonacci[-1])
        assert set(live) <= set(fibonacci)


def test_the_talks_timeline_is_redrawn_from_a_strategy_run_live(
    browser: Browser, talk: Presenter
) -> None:
    """After the gather demo runs again, the timeline's ▶ draws it from the new timings."""
    with open_deck(browser, talk) as deck:
        cell = deck.page.locator('.live-cell.live-output-only[id^="cell-id=04_tasks-"]')
        expect(cell).to_have_count(1)  # the timeline: its code is hidden, `show(...)` of runs
        timeline = (cell.get_attribute("id") or "").removeprefix("cell-id=")
        picture = cell.locator(".jp-OutputArea img")
        built = picture.get_attribute("src")
        deck.click_run(timeline)
        replayed = picture.get_attribute("src")
        assert replayed is not None
        assert replayed.startswith("data:image/svg+xml;base64,")
        assert replayed != built  # the replay timed the requests again
        deck.click_run(timeline)
        assert picture.get_attribute("src") == replayed  # the same timings, the same picture
        demo = deck.page.locator(".live-cell", has_text="cats = await fetch_cats_gather(")
        deck.run((demo.get_attribute("id") or "").removeprefix("cell-id="))
        output = demo.locator(".jp-OutputArea")
        assert re.search(r"^Total \d\.\d\d s$", output.inner_text(), re.MULTILINE)
        assert output.locator('[data-mime-type$="stderr"]').count() == 0  # no traceback
        deck.click_run(timeline)
        assert picture.get_attribute("src") not in (built, replayed)
        assert cell.locator(".jp-InputArea, .live-note").count() == 0
