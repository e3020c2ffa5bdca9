"""Bad input and interruptions: one clear message, no kernel left behind, the old deck intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "decks" / "bad"
PREVIOUS = b"<!DOCTYPE html><title>the previous deck</title>"


def processes_with(marker: str) -> list[int]:
    """Live processes (kernels, pool workers) whose environment carries this run's marker."""
    needle = f"BUILD_TEST_MARKER={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                continue
    return found


class Run:
    """One build in a folder that already holds a deck, with a marker to find its processes."""

    def __init__(self, folder: Path) -> None:
        self.out = folder / "out"
        self.out.mkdir()
        (self.out / "index.html").write_bytes(PREVIOUS)
        self.started = folder / "started"
        self.started.mkdir()
        self.marker = uuid.uuid4().hex
        self.env = dict(
            os.environ,
            BUILD_TEST_MARKER=self.marker,
            BUILD_TEST_STARTED=str(self.started),
            BUILD_CACHE_DIR=str(folder / "cache"),
        )

    def command(self, *sources: str | Path, extra: tuple[str, ...] = ()) -> list[str]:
        return [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            *map(str, sources),
            "--out",
            str(self.out),
            *extra,
        ]

    def build(self, *sources: str | Path, extra: tuple[str, ...] = ()) -> tuple[int, list[str]]:
        result = subprocess.run(
            self.command(*sources, extra=extra),
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        errors = [line for line in result.stderr.splitlines() if line.startswith("build.py:")]
        return result.returncode, errors

    def assert_nothing_left(self) -> None:
        assert (self.out / "index.html").read_bytes() == PREVIOUS
        assert sorted(p.name for p in self.out.iterdir()) == ["index.html"]
        assert processes_with(self.marker) == []


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path)


@pytest.mark.parametrize(
    ("sources", "extra", "expected"),
    [
        (["hangs.py"], ("--timeout", "2"), "hangs.py:4: cell 2: timed out after 2 s"),
        (["kills_kernel.py"], (), "kills_kernel.py:4: cell 2: the kernel died"),
        (["prints_10mb.py"], (), "prints_10mb.py:4: cell 2: printed 10.0 MB of text"),
        (
            ["tagged_await.py"],
            (),
            "tagged_await.py:7: cell 2: 'await' outside function (top-level await belongs",
        ),
        (
            ["conflict_a.py", "conflict_b.py"],
            (),
            "conflict_b.py:5: cell 2: examples/shared.py would get `helper` twice; "
            "it is already defined at",
        ),
        (["no_such_deck.py"], (), "no_such_deck.py: no such file"),
        (
            ["misspelt_tag.py"],
            (),
            "misspelt_tag.py:4: cell 2: unknown tag 'remove_cell' (did you mean remove-cell?)",
        ),
    ],
)
def test_bad_deck_fails_with_one_clear_message(
    run: Run, sources: list[str], extra: tuple[str, ...], expected: str
) -> None:
    """Each bad deck exits 1 with one line naming file and line; nothing else changes."""
    status, errors = run.build(*(BAD / name for name in sources), extra=extra)
    assert status == 1
    assert len(errors) == 1
    assert expected in errors[0]
    run.assert_nothing_left()


def test_undecodable_bytes_are_reported_with_their_line(run: Run, tmp_path: Path) -> None:
    """A source that is not UTF-8 names the line of the first bad byte."""
    source = tmp_path / "latin1.py"
    source.write_bytes(b"# %% [markdown]\n# # Caf\xe9\n")
    status, errors = run.build(source)
    assert status == 1
    assert errors == [
        "build.py: error: " + f"{source}:2: not valid UTF-8 (invalid continuation byte)"
    ]
    run.assert_nothing_left()


def test_an_empty_source_is_refused(run: Run, tmp_path: Path) -> None:
    """An empty file is a mistake, not an empty deck."""
    source = tmp_path / "empty.py"
    source.write_text("")
    status, errors = run.build(source)
    assert (status, errors) == (1, [f"build.py: error: {source}: the file is empty"])
    run.assert_nothing_left()


def test_an_output_folder_that_cannot_be_written_is_refused(run: Run, tmp_path: Path) -> None:
    """--out under a regular file fails before any kernel starts."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, errors = run.build(BAD / "only_prose.py", extra=("--out", str(blocker / "deck")))
    assert status == 1
    assert errors == [
        f"build.py: error: {blocker / 'deck'}: cannot write the output folder (Not a directory)"
    ]
    run.assert_nothing_left()


def test_a_deck_with_only_prose_builds(run: Run) -> None:
    """Prose alone is a valid talk: it builds, with no kernel needed for its output."""
    status, errors = run.build(BAD / "only_prose.py")
    assert (status, errors) == (0, [])
    assert "Not a line of code" in (run.out / "index.html").read_text()
    assert processes_with(run.marker) == []


def test_output_that_looks_like_markup_is_escaped(run: Run) -> None:
    """A cell printing </section><script> neither breaks the deck nor runs a script."""
    status, _ = run.build(BAD / "escapes.py")
    assert status == 0
    soup = BeautifulSoup((run.out / "index.html").read_text(), "html.parser")
    scripts = soup.find_all("script")
    assert not any("PWNED" in script.get_text() for script in scripts)
    slides = soup.select("div.reveal > div.slides > section")
    assert len(slides) == 1
    assert "</section></div><script>window.PWNED = 1</script>" in slides[0].get_text()


@pytest.mark.parametrize(
    "sources", [["interrupt_me.py"], ["interrupt_me.py", "interrupt_me_too.py"]]
)
def test_ctrl_c_shuts_kernels_down_and_writes_nothing(run: Run, sources: list[str]) -> None:
    """Ctrl-C (SIGINT to the process group) exits 130, kills no deck and leaves no kernel."""
    process = subprocess.Popen(
        run.command(*(BAD / name for name in sources), extra=("--jobs", "2")),
        env=run.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    deadline = time.monotonic() + 120
    while len(list(run.started.iterdir())) < len(sources):  # every kernel is inside its cell
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the cells never started"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    run.assert_nothing_left()
