"""Live cells under `build.py present`: from Shift+Enter to the first output of `print(1)`.

    python -m benchmarks.present [--runs N]

One `build.py present` serves a one-cell deck from a temporary folder (its own cache and --out).
Two clients time the same round trip, one after the other: Chromium (Debian's, driven by
Playwright) from the Shift+Enter keydown to the output in the page, and a WebSocket client in
Python from sending the run to receiving its first output message, with no browser at all.
"""

import argparse
import asyncio
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from playwright.sync_api import sync_playwright

from benchmarks.common import median, percentile, run_main, seconds, serving_subprocess, table
from deckbuild.chromium import CHROMIUM_ARGS, STAGE_HEIGHT, STAGE_WIDTH, find_chromium

DESCRIPTION = "Shift+Enter to the first output of print(1), in Chromium and over a bare WebSocket."
DECK = """\
# %% [markdown] slideshow={"slide_type": "slide"}
# # Benchmark

# %%
print(1)
"""
CELL = "01_bench-1"  # the print(1) cell: file key, then its index in the file
WARM_UP = 3  # runs not counted: the kernel's first executions import and compile more
READY = re.compile(r"open (http://127\.0\.0\.1:(\d+))/\?token=(\S+)")
WAIT_MS = 60_000

# In the page: the keydown's time (when the browser took the key), when live.js handed the run
# to the WebSocket, when the first output block entered the cell's output area, and the next
# animation frame after that.
RECORD = """(id) => {
  const cell = document.getElementById(`cell-id=${id}`);
  const record = {key: null, sent: null, output: null, frame: null, done: false};
  window.liveRecord = record;
  if (!WebSocket.prototype.benchSend) {
    WebSocket.prototype.benchSend = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (window.liveRecord.sent === null && String(data).includes('"type":"run"')) {
        window.liveRecord.sent = performance.now();
      }
      return this.benchSend(data);
    };
  }
  cell.addEventListener("keydown", (event) => { record.key = event.timeStamp; },
                        {capture: true, once: true});
  const observer = new MutationObserver((mutations) => {
    if (record.output === null && mutations.some((m) => Array.from(m.addedNodes).some(
        (node) => node.nodeType === 1 && node.matches(".jp-OutputArea-child")))) {
      record.output = performance.now();
      requestAnimationFrame(() => { record.frame = performance.now(); });
    }
    if (record.output !== null && !cell.matches(".live-pending, .live-running")) {
      record.done = true;
      observer.disconnect();
    }
  });
  observer.observe(cell, {subtree: true, childList: true, attributes: true,
                          attributeFilter: ["class"]});
}"""


async def websocket_round_trips(base: str, port: int, token: str, runs: int) -> list[float]:
    """Seconds from sending a run to its first output message, a bare WebSocket client's view."""
    loop = asyncio.get_running_loop()
    times = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"{base}/__live__?token={token}", origin=f"http://127.0.0.1:{port}"
        ) as ws,
    ):
        states: dict[str, str] = {}
        while not states or any(state != "idle" for state in states.values()):
            message: dict[str, Any] = await ws.receive_json()
            states.update(message.get("files", {}))
            if message["type"] == "state":
                states[message["file"]] = message["state"]
        for number in range(WARM_UP + runs):
            run_id = f"bench-{number}"
            started = loop.time()
            await ws.send_json({"type": "run", "id": run_id, "cell": CELL, "code": "print(1)"})
            first = None
            while True:
                message = await ws.receive_json()
                if message.get("id") != run_id:
                    continue
                if message["type"] == "output" and first is None:
                    first = loop.time() - started
                if message["type"] == "done":
                    break
            if first is None:
                raise RuntimeError(f"run {run_id} ended without output: {message}")
            if number >= WARM_UP:
                times.append(first)
    return times


def browser_round_trips(url: str, runs: int) -> dict[str, list[float]]:
    """Seconds from the Shift+Enter keydown to the run sent, the output, and the next frame."""
    times: dict[str, list[float]] = {"sent": [], "output": [], "frame": []}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": STAGE_WIDTH, "height": STAGE_HEIGHT})
            page.set_default_timeout(WAIT_MS)
            page.goto(url)
            page.wait_for_function("() => window.Reveal !== undefined && Reveal.isReady()")
            page.wait_for_selector('.live-indicator[data-state="idle"]', state="attached")
            wrapper = page.locator(f'[id="cell-id={CELL}"] .jp-Cell-inputWrapper')
            for number in range(WARM_UP + runs):
                page.evaluate(RECORD, CELL)
                wrapper.focus()
                page.keyboard.press("Shift+Enter")
                page.wait_for_function("() => window.liveRecord.done && window.liveRecord.frame")
                record = page.evaluate("() => window.liveRecord")
                if number >= WARM_UP:
                    for name, values in times.items():
                        values.append((record[name] - record["key"]) / 1000)
        finally:
            browser.close()
    return times


def row(what: str, values: Sequence[float]) -> list[str]:
    return [
        what,
        seconds(median(values)),
        seconds(percentile(values, 0.9)),
        seconds(max(values)),
        str(len(values)),
    ]


def measure(runs: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-present-") as scratch:
        folder = Path(scratch)
        (folder / "slides").mkdir()
        slide = folder / "slides" / "01_bench.py"
        slide.write_text(DECK, encoding="utf-8")
        args = ["build.py", "present", str(slide), "--port", "0", "--out", str(folder / "out")]
        env = {"BUILD_CACHE_DIR": str(folder / "cache")}
        with serving_subprocess(args, READY.pattern, env, startup=180) as found:
            base, port, token = found[1], int(found[2]), found[3]
            python = asyncio.run(websocket_round_trips(base, port, token, runs))
            browser = browser_round_trips(f"{base}/?token={token}", runs)
    yield table(
        "Live cells (`build.py present`): a run of `print(1)` to its first output",
        ["client, from → to", "median", "p90", "max", "runs"],
        [
            row("Python WebSocket client: run sent → first output message", python),
            row("Chromium: Shift+Enter keydown → run sent on the WebSocket", browser["sent"]),
            row("Chromium: Shift+Enter keydown → output in the page", browser["output"]),
            row("Chromium: Shift+Enter keydown → the next frame", browser["frame"]),
        ],
        [
            f"After {WARM_UP} warm-up runs each. Both clients talk to the same server and kernel "
            "on 127.0.0.1; the browser's time includes live.js sending the run and rendering the "
            "output; the frame is the first requestAnimationFrame after the output arrived, "
            "about when it is painted.",
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per client (default 30)")
    args = parser.parse_args(argv)
    run_main("Live cells", measure(args.runs))


if __name__ == "__main__":
    main()
