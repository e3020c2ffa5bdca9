"""The execution cache: reuse outputs exactly when nothing that affects them changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DECK = """\
# %% [markdown]
# # PROSE-ONE

# %%
import random

import helper

print("RUN", random.random(), helper.VALUE, helper.setting())
"""

HELPER = """\
import os

VALUE = "helper-1"


def setting() -> str | None:
    return os.environ.get("CACHE_TEST_SETTING")
"""


class Deck:
    """A one-file deck that imports a local module, built into its own folder and cache."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.source = folder / "deck.py"
        self.helper = folder / "helper.py"
        self.source.write_text(DECK)
        self.helper.write_text(HELPER)
        self.cache = folder / "cache"
        self.out = folder / "out"

    def build(self, *extra: str, **env: str) -> tuple[str, str]:
        """Build once; returns the run marker printed by the deck and the build's stderr."""
        environment = {k: v for k, v in os.environ.items() if k != "CACHE_TEST_SETTING"}
        environment.update(BUILD_CACHE_DIR=str(self.cache), **env)
        command = [sys.executable, str(ROOT / "build.py"), "build", str(self.source)]
        result = subprocess.run(
            [*command, "--out", str(self.out), *extra],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        deck = (self.out / "index.html").read_text()
        marker = deck.split("RUN ", 1)[1].split()[0]
        return marker, result.stderr

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))


@pytest.fixture
def deck(tmp_path: Path) -> Deck:
    return Deck(tmp_path)


def test_no_change_reuses_the_outputs(deck: Deck) -> None:
    """A second build with nothing changed executes nothing and shows the same outputs."""
    first, _ = deck.build()
    second, log = deck.build()
    assert second == first
    assert "reusing cached outputs of" in log


def test_prose_edit_reuses_outputs_and_shows_the_new_prose(deck: Deck) -> None:
    """Editing markdown re-executes nothing, yet the deck has the new text."""
    first, _ = deck.build()
    deck.edit(deck.source, "PROSE-ONE", "PROSE-TWO")
    second, log = deck.build()
    assert second == first
    assert "reusing cached outputs of" in log
    assert "PROSE-TWO" in (deck.out / "index.html").read_text()


def test_code_edit_executes_again(deck: Deck) -> None:
    """Editing a code cell runs the source again."""
    first, _ = deck.build()
    deck.edit(deck.source, 'print("RUN"', 'print( "RUN"')
    second, log = deck.build()
    assert second != first
    assert "executing" in log


def test_editing_an_imported_local_module_executes_again(deck: Deck) -> None:
    """A change to a local module the cells imported invalidates the outputs."""
    first, _ = deck.build()
    deck.edit(deck.helper, "helper-1", "helper-2")
    second, _ = deck.build()
    assert second != first
    assert "helper-2" in (deck.out / "index.html").read_text()


def test_an_environment_variable_the_code_reads_invalidates(deck: Deck) -> None:
    """Setting a variable named in the code (here in the imported module) runs it again."""
    first, _ = deck.build()
    second, _ = deck.build(CACHE_TEST_SETTING="on")
    assert second != first
    assert "helper-1 on" in (deck.out / "index.html").read_text()


def test_no_cache_forces_execution(deck: Deck) -> None:
    """--no-cache executes even when the cache is valid."""
    first, _ = deck.build()
    second, log = deck.build("--no-cache")
    assert second != first
    assert "reusing" not in log


def test_a_corrupt_entry_is_ignored(deck: Deck) -> None:
    """A damaged cache file is reported and the source simply runs again."""
    first, _ = deck.build()
    for entry in deck.cache.iterdir():
        entry.write_text("{not json")
    second, log = deck.build()
    assert second != first
    assert "ignoring a corrupt cache entry" in log
