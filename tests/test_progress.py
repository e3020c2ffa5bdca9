"""What a build prints: a line per source as it finishes, a summary, -q for errors only."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deckbuild.paths import display_path
from deckbuild.progress import Live, Progress, Quiet, count_slides, progress_for
from deckbuild.sources import read_source
from tests.presenting import ROOT, declared_slides, read_notebook

GOOD = [ROOT / "tests" / "decks" / "good" / name for name in ("01_first.py", "02_second.py")]
BAD = ROOT / "tests" / "decks" / "bad" / "wrong_error.py"
RISE = ROOT / "tests" / "decks" / "rise" / "rise.py"  # builds with four warnings
EXECUTED = r"executed (?P<name>\S+): (?P<cells>\d+) code cells? in (?P<seconds>\d+\.\d) s"
REUSED = r"reused (?P<name>\S+) from the cache: (?P<cells>\d+) code cells? in \d+\.\d s"
SUMMARY = r"wrote (?P<index>\S+): (?P<slides>\d+) slides?, (?P<size>[\d.]+ [kM]B), in [\d.]+ s"


def build_environment(cache: Path) -> dict[str, str]:
    """As a user runs the build: not in asyncio's debug mode, which `make test` runs tests in
    and which logs every slow callback of nbclient's own loop to stderr."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONASYNCIODEBUG"}
    return dict(environment, BUILD_CACHE_DIR=str(cache))


def run_build(*args: str | Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", *map(str, args)],
        capture_output=True,
        text=True,
        env=build_environment(cache),
        timeout=300,
        check=False,
    )


def test_slides_are_counted_as_the_deck_has_them() -> None:
    """count_slides agrees with the tests' own model of nbconvert's slides."""
    for path in GOOD:
        notebook = read_source(path).notebook
        assert count_slides(notebook) == len(declared_slides([read_notebook(path)]))
    assert count_slides(read_source(GOOD[0]).notebook) == 2


def test_a_build_reports_each_source_then_the_deck(tmp_path: Path) -> None:
    """Cold: a line per executed source with its cells and seconds; warm: reused from the cache."""
    out = tmp_path / "out"
    cold = run_build(*GOOD, "--out", out, "--jobs", "2", cache=tmp_path / "cache")
    assert cold.returncode == 0, cold.stderr
    lines = cold.stderr.splitlines()
    assert len(lines) == 3, cold.stderr
    found = [re.fullmatch(EXECUTED, line) for line in lines[:2]]
    executed = sorted((m["name"], m["cells"]) for m in found if m)
    assert executed == [(display_path(GOOD[0]), "3"), (display_path(GOOD[1]), "5")]
    summary = re.fullmatch(SUMMARY, lines[2])
    assert summary is not None, lines[2]
    assert Path(summary["index"]).resolve() == (out / "index.html").resolve()
    assert summary["slides"] == str(len(declared_slides([read_notebook(p) for p in GOOD])))
    assert summary["size"] == f"{(out / 'index.html').stat().st_size / 1e6:.1f} MB"

    warm = run_build(*GOOD, "--out", out, cache=tmp_path / "cache")
    assert warm.returncode == 0, warm.stderr
    lines = warm.stderr.splitlines()
    reused = [re.fullmatch(REUSED, line) for line in lines[:2]]
    assert [m["name"] if m else line for m, line in zip(reused, lines, strict=False)] == [
        display_path(path) for path in GOOD
    ]
    assert re.fullmatch(SUMMARY, lines[2])


def test_quiet_prints_nothing_but_errors(tmp_path: Path) -> None:
    """-q: a good build prints nothing, not even warnings; a failed one prints its error line."""
    good = run_build(*GOOD, "-q", "--out", tmp_path / "out", cache=tmp_path / "cache")
    assert good.returncode == 0
    assert good.stderr == ""
    warned = run_build(RISE, "-q", "--out", tmp_path / "rise", cache=tmp_path / "cache")
    assert warned.returncode == 0
    assert warned.stderr == ""
    bad = run_build(BAD, "-q", "--out", tmp_path / "bad", cache=tmp_path / "cache")
    assert bad.returncode == 1
    assert len(bad.stderr.splitlines()) == 1
    assert bad.stderr.startswith("build.py: error: ")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_live_display_and_a_pipe_plain_lines() -> None:
    """progress_for picks rich's live bar for a terminal, plain lines for a pipe, none for -q."""
    assert type(progress_for(False, io.StringIO())) is Progress
    assert type(progress_for(True, Terminal())) is Quiet
    terminal = Terminal()
    live = progress_for(False, terminal)
    assert isinstance(live, Live)
    source = read_source(GOOD[0])
    live.executing([source])
    live.finished(source, True, 1.25)
    live.close()
    assert f"executed {source.name}: 3 code cells in 1.2 s" in " ".join(terminal.getvalue().split())


def test_quiet_progress_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """The -q progress object swallows the lines the plain one prints."""
    source = read_source(GOOD[0])
    Progress().finished(source, False, 0.01)
    Quiet().finished(source, False, 0.01)
    assert (
        capsys.readouterr().err == f"reused {source.name} from the cache: 3 code cells in 0.0 s\n"
    )
