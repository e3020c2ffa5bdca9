"""`build.py serve`: serves the deck on 127.0.0.1, rebuilds on changes, makes browsers reload."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deckbuild.chromium import CHROMIUM_ARGS, chromium_path
from tests.presenting import ROOT, require

BUILD_SECONDS = 120  # a one-cell deck builds in seconds; the bound is for a loaded CI machine
TINY_DECK = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={{"slide_type": "slide"}}
# # Tiny deck

# %%
print("{marker}")
"""


class Server:
    """A running `build.py serve` on a tiny one-slide deck."""

    def __init__(self, process: subprocess.Popen[str], url: str, slide: Path, out: Path) -> None:
        self.process = process
        self.url = url
        self.slide = slide
        self.out = out

    def get(self, path: str = "") -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            body: bytes = response.read()
        return body.decode("utf-8")

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.get("__deck_version__"))
        return state

    def write_slide(self, marker: str) -> None:
        self.slide.write_text(TINY_DECK.format(marker=marker), encoding="utf-8")


def wait_for(condition: Callable[[], object], what: str, seconds: float = BUILD_SECONDS) -> None:
    """Poll condition until it holds; fail naming what did not happen in time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`build.py serve SLIDE --port 0` on a free port; stopped with Ctrl-C (SIGINT) at the end."""
    folder = tmp_path_factory.mktemp("serve")
    slides = folder / "slides"
    slides.mkdir()
    slide = slides / "01_tiny.py"
    slide.write_text(TINY_DECK.format(marker="FIRST-VERSION"), encoding="utf-8")
    out = folder / "build"
    log = folder / "serve.log"
    command = [sys.executable, str(ROOT / "build.py"), "serve", str(slide)]
    with log.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [*command, "--port", "0", "--out", str(out)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=folder,
        )
    try:
        found: list[str] = []

        def announced() -> bool:
            match = re.search(r"at (http://127\.0\.0\.1:\d+/)", log.read_text(encoding="utf-8"))
            found.extend([match[1]] if match else [])
            return match is not None or process.poll() is not None

        wait_for(announced, "serve to print its address", seconds=30)
        assert found, log.read_text(encoding="utf-8")
        running = Server(process, found[0], slide, out)
        first = running.state
        wait_for(lambda: first()["version"].endswith(".1") or first()["error"], "the first build")
        assert first()["error"] is None
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        print(log.read_text(encoding="utf-8"))
    assert code == 0


def test_serves_the_deck_with_a_reload_script_the_built_file_lacks(server: Server) -> None:
    """The served page polls the version endpoint; out/index.html stays exactly as built."""
    served = server.get()
    assert "FIRST-VERSION" in served
    assert "__deck_version__" in served
    built = (server.out / "index.html").read_text(encoding="utf-8")
    assert "__deck_version__" not in built
    assert server.state()["error"] is None


def test_a_foreign_host_name_is_refused(server: Server) -> None:
    """A page of another site that rebinds its name to 127.0.0.1 cannot read the deck."""
    port = urllib.parse.urlsplit(server.url).port
    request = urllib.request.Request(server.url, headers={"Host": f"evil.example:{port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()  # the refusal is a response too: close its socket
    assert refused.value.code == 403
    assert "FIRST-VERSION" in server.get()  # the address serve printed still works


def test_a_changed_slide_is_rebuilt_and_the_version_changes(server: Server) -> None:
    """Editing a slide file triggers a rebuild, a new version, and the new text is served."""
    before = server.state()["version"]
    server.write_slide("SECOND-VERSION")
    wait_for(lambda: server.state()["version"] != before, "a rebuild after the edit")
    assert "SECOND-VERSION" in server.get()
    assert server.state()["error"] is None


def test_a_failed_build_is_reported_and_the_last_deck_stays(server: Server) -> None:
    """A slide that fails to build leaves the last good deck served and reports the error."""
    before = server.state()["version"]
    server.slide.write_text(TINY_DECK.format(marker="BROKEN") + "1 / 0\n", encoding="utf-8")
    wait_for(lambda: server.state()["error"] is not None, "the failed build to be reported")
    assert server.state()["version"] == before
    assert "01_tiny.py" in server.state()["error"]
    assert "SECOND-VERSION" in server.get()
    server.write_slide("THIRD-VERSION")
    wait_for(lambda: server.state()["error"] is None, "the fixed slide to build")


def test_an_open_browser_reloads_after_a_rebuild(server: Server) -> None:
    """A page open in Chromium reloads by itself and shows the edited slide."""
    chromium = chromium_path()
    require(chromium, "Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(server.url)
            page.wait_for_function("() => window.Reveal !== undefined && Reveal.isReady()")
            server.write_slide("RELOADED-VERSION")
            reloaded = page.locator("pre", has_text="RELOADED-VERSION").first
            reloaded.wait_for(timeout=BUILD_SECONDS * 1000)
        finally:
            browser.close()
