"""Outputs name this machine's folders by what they are, in the built deck and live alike.

A traceback through aiohttp printed the checkout's absolute path; in a checkout six characters
deeper its line no longer fitted its slide, and CI failed on the size of its code.
"""

from __future__ import annotations

import asyncio
import json
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from deckbuild.execute import ANSI, execute
from deckbuild.machinepaths import ELLIPSIS, shorten, shorten_output
from deckbuild.outputs import Run
from deckbuild.paths import ROOT
from deckbuild.sources import read_source

PATHS_DECK = ROOT / "tests" / "decks" / "paths" / "01_paths.py"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
MACHINE_FOLDERS = (ROOT, STDLIB, SITE_PACKAGES, Path.home())


def test_each_kind_of_folder_gets_its_short_name() -> None:
    assert shorten(f"{SITE_PACKAGES}/aiohttp/client.py:1707") == (
        f"{ELLIPSIS}/site-packages/aiohttp/client.py:1707"
    )
    assert shorten(f'File "{asyncio.__file__}"') == (
        f'File "{ELLIPSIS}/{STDLIB.name}/asyncio/__init__.py"'
    )
    assert shorten(f"{ROOT}/examples/echo.py") == "examples/echo.py"
    assert shorten(f"{Path.home()}/notes.txt") == "~/notes.txt"


def test_a_folder_inside_a_longer_path_or_without_its_slash_is_left_alone() -> None:
    elsewhere = f"/elsewhere{ROOT}/x.py and {ROOT}."
    assert shorten(elsewhere) == elsewhere


def test_a_folder_in_ansi_colours_is_found() -> None:
    """IPython colours a traceback's file names: the colour code comes right before the path."""
    coloured = f"\x1b[32m{SITE_PACKAGES}/aiohttp/client.py:1707\x1b[39m"
    assert shorten(coloured) == f"\x1b[32m{ELLIPSIS}/site-packages/aiohttp/client.py:1707\x1b[39m"


def test_the_standard_library_below_home_as_ipython_writes_it() -> None:
    """IPython writes `~/.pyenv/...` for files below the home: that spelling is found too."""
    if not STDLIB.is_relative_to(Path.home()):
        pytest.skip("this interpreter's standard library is not below the home")
    tilde = f"~/{STDLIB.relative_to(Path.home())}/json/decoder.py"
    assert shorten(tilde) == f"{ELLIPSIS}/{STDLIB.name}/json/decoder.py"


def test_text_is_shortened_and_rich_data_left_as_made() -> None:
    path = f"{ROOT}/slides/figures.py"
    result = shorten_output(
        "execute_result",
        {"data": {"text/plain": [path], "text/html": f"<b>{path}</b>"}, "execution_count": 3},
    )
    assert result["data"] == {"text/plain": "slides/figures.py", "text/html": f"<b>{path}</b>"}
    error = shorten_output("error", {"ename": "E", "evalue": path, "traceback": [path]})
    short = "slides/figures.py"
    assert error == {"ename": "E", "evalue": short, "traceback": [short]}


def test_a_built_source_shows_no_absolute_folder_of_this_machine() -> None:
    """Executed, with a traceback through an installed package and the standard library."""
    notebook = execute(read_source(PATHS_DECK), timeout=60).notebook
    printed, raised = [cell.outputs for cell in notebook.cells if cell.cell_type == "code"]
    assert printed[0].text == "here: tests/decks/paths\nhome: ~/notes.txt\n"
    traceback = ANSI.sub("", "\n".join(raised[0].traceback))
    assert f"File {ELLIPSIS}/site-packages/nbformat/reader.py:" in traceback
    assert f"File {ELLIPSIS}/{STDLIB.name}/json/decoder.py:" in traceback
    everything = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
    for folder in MACHINE_FOLDERS:
        assert f"{folder}/" not in everything


def test_a_live_output_is_shortened_as_the_built_one() -> None:
    """present sends a cell's output as it runs: the same short names as the built deck."""
    sent: list[dict[str, Any]] = []
    run = Run("r1", "print(path)", sent.append, cell=0)
    run.forward("stream", {"name": "stdout", "text": f"{SITE_PACKAGES}/aiohttp/client.py\n"})
    run.forward("error", {"ename": "E", "evalue": "", "traceback": [f"{ROOT}/examples/x.py"]})
    run.finish({"status": "error", "ename": "OSError", "evalue": f"{Path.home()}/missing"})
    stream, error = [message for message in sent if message["type"] == "output"]
    assert f"{ELLIPSIS}/site-packages/aiohttp/client.py" in stream["html"]
    assert f"{ELLIPSIS}/site-packages/aiohttp/client.py" in stream["text_html"]
    assert "examples/x.py" in error["html"]
    assert sent[-1]["message"] == "OSError: ~/missing"
    text = json.dumps(sent)
    for folder in MACHINE_FOLDERS:
        assert f"{folder}/" not in text
