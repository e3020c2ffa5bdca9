"""The slide files open as notebooks in Jupyter (jupytext.toml) and save back unchanged."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from jupytext.config import (
    find_jupytext_configuration_file,
    load_jupytext_configuration_file,
)

from deckbuild.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [
    *sorted((ROOT / "slides").glob("[0-9]*.py")),
    ROOT / "tests" / "decks" / "good" / "01_first.py",
    ROOT / "tests" / "decks" / "math" / "math.py",
    ROOT / "tests" / "decks" / "rise" / "rise.py",
]
# What Jupyter adds to a notebook's metadata when it opens and saves one
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def test_the_project_configuration_is_found_from_the_slides() -> None:
    """jupytext finds jupytext.toml at the top of the repository from slides/ and tests/decks/."""
    for folder in (ROOT / "slides", ROOT / "tests" / "decks" / "rise"):
        assert find_jupytext_configuration_file(str(folder)) == str(ROOT / "jupytext.toml")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_slide_file_saved_from_jupyter_is_unchanged(path: Path) -> None:
    """Read as Jupyter's jupytext reads it, given a kernel, written back: the same text."""
    config = load_jupytext_configuration_file(str(ROOT / "jupytext.toml"))
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="py:percent", config=config)
    notebook.metadata["kernelspec"] = KERNELSPEC
    assert jupytext.writes(notebook, fmt="py:percent", config=config) == text


def test_headings_survive_the_round_trip() -> None:
    """Every slide heading the file shows is a heading in the notebook Jupyter opens.

    jupytext reads a markdown line that looks like an IPython help request (`# # Questions?`)
    as an escaped magic and drops its `#`: such a heading would be lost.
    """
    for path in NOTEBOOKS:
        source = read_source(path)
        lines = path.read_text(encoding="utf-8").splitlines()
        written = [line[4:] for line in lines if line.startswith(("# # ", "# ## "))]
        headings = [
            line.lstrip("# ")
            for cell in source.notebook.cells
            if cell.cell_type == "markdown"
            for line in cell.source.splitlines()
            if line.startswith("#")
        ]
        for heading in written:
            assert heading.lstrip("# ") in headings, f"{path.name}: {heading!r} lost"
