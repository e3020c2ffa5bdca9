"""The authoring loop in Chromium: opening the deck, and from saving a slide to seeing it in serve.

    python -m benchmarks.authoring [--repeats N]

On a snapshot of slides/ (as benchmarks.build), after one build fills a temporary cache:
build/index.html opened from file:// until reveal.js is ready (the fit script measures the shown
slide at once, the others in idle time), then `build.py serve` with the page open: a prose edit
and a code edit saved, until the new text or output shows on the current slide.
"""

import argparse
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from playwright.sync_api import Error, Page, sync_playwright

from benchmarks.build import CODE_MARKER, MARKDOWN_MARKER, Bench, editable
from benchmarks.common import PYTHON, ROOT, median, run_main, seconds, table
from deckbuild.chromium import CHROMIUM_ARGS, STAGE_HEIGHT, STAGE_WIDTH, find_chromium

DESCRIPTION = "The authoring loop: deck ready in Chromium, save to visible under serve."
READY = "() => window.Reveal !== undefined && Reveal.isReady()"
FITTED_ALL = "() => document.documentElement.dataset.deckFitted === 'all'"
SHOWN = """(marker) => window.Reveal !== undefined && Reveal.isReady()
  && Reveal.getCurrentSlide().textContent.includes(marker)"""  # Reveal is undefined mid-reload
SERVING = re.compile(r"serving \S+ at (http://127\.0\.0\.1:\d+/)")
EXECUTED = re.compile(r"^executed (\S+): \d+ code cells? in ([0-9.]+) s$", re.MULTILINE)
REBUILT = re.compile(r"^serve: rebuilt the deck in ([0-9.]+) s$", re.MULTILINE)
Edit = tuple[float, float, int, float]  # save to visible, executing, files executed, rebuilding


def open_times(page: Page, url: str, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from navigating to reveal.js ready, and to every slide fitted, per opening."""
    ready: list[float] = []
    fitted: list[float] = []
    for _ in range(repeats + 1):  # the first opening warms Chromium's caches: not counted
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function(READY, polling="raf")
        ready.append(time.perf_counter() - started)
        page.wait_for_function(FITTED_ALL, polling="raf", timeout=30_000)
        fitted.append(time.perf_counter() - started)
    return ready[1:], fitted[1:]


def shown_after(page: Page, marker: str, limit: float) -> float:
    """Wait, across the page's reload, until marker is on the current slide; when that was."""
    deadline = time.monotonic() + limit
    while True:
        try:
            page.wait_for_function(SHOWN, arg=marker, polling="raf", timeout=limit * 1000)
            return time.perf_counter()
        except Error as error:  # the page reloaded while we asked: ask the new one
            if time.monotonic() > deadline or "destroyed" not in str(error):
                raise
            # ... "Execution context was destroyed": the reload began while the predicate ran


def go_to_text(page: Page, text: str) -> None:
    """Show the slide that holds text (its first line), so that its edit shows there."""
    found = page.evaluate(
        """(text) => {
          const slide = Reveal.getSlides().find(s => s.textContent.includes(text));
          if (!slide) return false;
          const {h, v} = Reveal.getIndices(slide);
          Reveal.slide(h, v || 0);
          return true;
        }""",
        text,
    )
    if not found:
        raise RuntimeError(f"no slide shows {text!r}")


def edited(path: Path, marker: re.Pattern[str], make: str, text: str) -> tuple[str, str]:
    """The file with text in its first plain cell under marker, and what that cell's slide shows.

    A prose edit appends text to the cell's first line; a code edit adds a print(text) above it.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines[:-1]):
        if not marker.match(line) or "tags=" in line or re.search(r'"(skip|notes)"', line):
            continue
        following = lines[index + 1]
        if make == "prose" and following.startswith("# ") and following.strip() != "#":
            shown = following[2:].lstrip("#").strip()
            lines[index + 1] = following.rstrip("\n") + f" {text}\n"
        elif make == "code" and following.strip() and not following.startswith(("# %", "%")):
            shown = following.strip()
            lines.insert(index + 1, f'print("{text}")  # a code edit\n')
        else:
            continue
        return "".join(lines), re.split(r"[`*_\[<&]", shown)[0][:25]
    raise ValueError(f"{path.name}: no cell for a {make} edit")


def save_and_see(page: Page, path: Path, make: str, text: str, limit: float) -> float:
    """Show the slide of the cell to edit, save the edit, return seconds until it shows there."""
    marker = CODE_MARKER if make == "code" else MARKDOWN_MARKER
    new, shown = edited(path, marker, make, text)
    go_to_text(page, shown)
    saved = time.perf_counter()
    path.write_text(new, encoding="utf-8")
    return shown_after(page, text, limit) - saved


def measure(repeats: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-authoring-") as scratch:
        bench = Bench(Path(scratch))
        bench.build()  # fills the cache: serve starts warm, as it does for an author
        deck = bench.scratch / f"out{bench.runs}" / "index.html"
        prose_file = editable(bench.sources, MARKDOWN_MARKER, "prose")
        code_file = editable(bench.sources, CODE_MARKER, "code")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=find_chromium(), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": STAGE_WIDTH, "height": STAGE_HEIGHT})
            ready, fitted = open_times(page, deck.as_uri(), repeats)
            yield table(
                "Opening build/index.html in Chromium (file://)",
                ["until", "median", "ratio", "target", "openings"],
                [
                    [
                        "reveal.js ready, the shown slide fitted",
                        seconds(median(ready)),
                        "",
                        "<= 0.5 s",
                        str(len(ready)),
                    ],
                    [
                        "every slide fitted (idle time; what ready waited for before)",
                        seconds(median(fitted)),
                        f"ready is {median(ready) / median(fitted):.2f}x of it",
                        "",
                        str(len(fitted)),
                    ],
                ],
            )
            yield from serve_loop(bench, page, prose_file, code_file, repeats)
            browser.close()


def serve_loop(
    bench: Bench, page: Page, prose_file: Path, code_file: Path, repeats: int
) -> Iterator[str]:
    """`build.py serve` on the snapshot with the page open; edits saved, until they show."""
    command = [PYTHON, str(ROOT / "build.py"), "serve", *map(str, bench.sources), "--port", "0"]
    command += ["--out", str(bench.out())]
    env = {"BUILD_CACHE_DIR": str(bench.cache), "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
        try:
            url = wait_for(log, SERVING, process)[1]
            wait_for(log, re.compile(r"serve: rebuilt the deck"), process)
            page.goto(url)
            page.wait_for_function(READY, polling="raf")
            prose: list[Edit] = []
            for number in range(1, repeats + 1):
                before = len(text_of(log))
                visible = save_and_see(page, prose_file, "prose", f"PROSE-EDIT-{number}", 60)
                prose.append((visible, *executions(text_of(log)[before:])))
            code: list[Edit] = []
            for number in range(1, max(2, repeats // 2) + 1):
                before = len(text_of(log))
                visible = save_and_see(page, code_file, "code", f"CODE-EDIT-{number}", 300)
                code.append((visible, *executions(text_of(log)[before:])))
        finally:
            process.terminate()
            process.wait(timeout=60)
    yield table(
        "Under `build.py serve`, the page open in Chromium: from saving a file to seeing the edit",
        [
            "edit",
            "median",
            "of which executing",
            "after execution",
            "serve's rebuild",
            "target",
            "files executed",
            "runs",
        ],
        [
            edit_row(f"prose-only (a markdown line of {prose_file.name})", prose, "<= 1.0 s"),
            edit_row(
                f"one code cell (in {code_file.name}): a print() added",
                code,
                "only that file executes; shown as soon as it is done",
            ),
        ],
        [
            "Save to visible: from writing the file to the text on the current slide of the "
            "reloaded page (watchfiles' event, the rebuild in serve's warm process, the page's "
            "waiting request answered, the reload, reveal.js ready). Serve's rebuild is its own "
            "report (`rebuilt the deck in N s`): the rest is watching, answering and the page's "
            "reload. Each code edit is a new print(), so the file runs again.",
        ],
    )


def executions(log: str) -> tuple[float, int, float]:
    """From serve's output: the seconds its kernels took, how many files ran, the rebuild's time."""
    found = [float(match[2]) for match in EXECUTED.finditer(log)]
    rebuilt = [float(match[1]) for match in REBUILT.finditer(log)]
    return sum(found), len(found), sum(rebuilt)


def edit_row(name: str, runs: Sequence[Edit], target: str) -> list[str]:
    """A row: save to visible, the kernels' share of it, the rest, serve's rebuild, the target."""
    visible = median([run[0] for run in runs])
    executing = median([run[1] for run in runs])
    rest = median([run[0] - run[1] for run in runs])
    rebuilding = median([run[3] for run in runs])
    executed = "/".join(sorted({str(run[2]) for run in runs}))
    return [
        name,
        seconds(visible),
        seconds(executing),
        seconds(rest),
        seconds(rebuilding),
        target,
        executed,
        str(len(runs)),
    ]


def wait_for(
    log: IO[str], pattern: re.Pattern[str], process: "subprocess.Popen[bytes]"
) -> re.Match[str]:
    """The first match of pattern in serve's output, once it is there."""
    deadline = time.monotonic() + 300
    while (found := pattern.search(text_of(log))) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"serve: no {pattern.pattern!r}:\n{text_of(log)[-3000:]}")
        time.sleep(0.02)
    return found


def text_of(log: IO[str]) -> str:
    log.seek(0)
    return log.read()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--repeats", type=int, default=5, help="edits of each kind (default 5)")
    args = parser.parse_args(argv)
    run_main("The authoring loop", measure(args.repeats))


if __name__ == "__main__":
    main()
