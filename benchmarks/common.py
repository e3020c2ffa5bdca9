"""What every benchmark shares: medians, percentiles, markdown tables, local subprocesses."""

import contextlib
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # `make bench` runs the project's .venv/bin/python
Row = Sequence[str]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def table(title: str, header: Row, rows: Sequence[Row], notes: Sequence[str] = ()) -> str:
    """A markdown table with a title, and notes under it."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(" --- " for _ in header) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", *notes] if notes else []
    return "\n".join(lines) + "\n"


def load() -> str:
    """The load averages, to tell a quiet machine from a busy one next to the numbers."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


class NullWriter(io.TextIOBase):
    """A stdout that drops everything: the examples narrate each request, the timings should not."""

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(NullWriter()):
        yield


@contextlib.contextmanager
def serving_subprocess(
    args: Sequence[str], ready: str, env: dict[str, str] | None = None, startup: float = 60.0
) -> Iterator[re.Match[str]]:
    """Run `python ARGS` until the block ends; yield the match of `ready` in its output.

    Its output goes to a file, never a pipe that could fill up and stall it.
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
        process = subprocess.Popen(
            [PYTHON, *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + startup
            while (found := re.search(ready, read_all(output))) is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{' '.join(args)} did not start:\n{read_all(output)}")
                time.sleep(0.05)
            yield found
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def read_all(handle: io.TextIOBase) -> str:
    handle.seek(0)
    return handle.read()


def run_main(title: str, tables: Iterator[str]) -> None:
    """Print each table as soon as it is measured."""
    print(f"## {title}\n\n{load()}\n", flush=True)
    for text in tables:
        print(text, flush=True)
    print(f"({load()} at the end)\n", flush=True)
