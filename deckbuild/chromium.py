"""Finding Debian's Chromium and its flags: one definition for pdf, serve, tests and benchmarks."""

from __future__ import annotations

import os
import shutil

from deckbuild.errors import BuildError

# Debian's chromium as everything here drives it: no sandbox (containers), no GPU, no phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STAGE_WIDTH, STAGE_HEIGHT = 1280, 720  # the projector the deck is made for


def chromium_path() -> str | None:
    """$CHROMIUM, else Debian's chromium; Playwright's own browser download is never used."""
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        "chromium",
        "chromium-browser",
    ):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


def find_chromium() -> str:
    """chromium_path(), or a BuildError saying how to get one."""
    found = chromium_path()
    if found is None:
        raise BuildError("Chromium not found: `apt-get install chromium`, or set CHROMIUM=/path")
    return found
