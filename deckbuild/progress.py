"""What a build tells its user: a line per source as it finishes, a summary, a live bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from nbformat import NotebookNode

from deckbuild.paths import display_path
from deckbuild.sources import Source, cell_tags, code_cells

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID


def count_slides(notebook: NotebookNode) -> int:
    """The slides nbconvert makes of a notebook: each slide and subslide, as reveal.js counts."""
    slides = 0
    for cell in notebook.cells:
        if "remove-cell" in cell_tags(cell):
            continue
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-") or "-"
        if kind in {"slide", "subslide"} or (slides == 0 and kind not in {"skip", "notes"}):
            slides += 1
    return slides


def size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


def source_line(source: Source, executed: bool, seconds: float) -> str:
    """`executed slides/01_intro.py: 12 code cells in 3.4 s`, or `reused ... from the cache`."""
    cells = len(code_cells(source.notebook))
    noun = "code cell" if cells == 1 else "code cells"
    state = "executed" if executed else "reused"
    cached = "" if executed else " from the cache"
    return f"{state} {source.name}{cached}: {cells} {noun} in {seconds:.1f} s"


def summary_line(index: Path, slides: int, size: int, seconds: float) -> str:
    """`wrote build/index.html: 153 slides, 2.6 MB, in 42.1 s`."""
    noun = "slide" if slides == 1 else "slides"
    return f"wrote {display_path(index)}: {slides} {noun}, {size_text(size)}, in {seconds:.1f} s"


class Progress:
    """Plain lines on a stream (stderr): one per source as it finishes, then the summary."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()

    def say(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def executing(self, pending: Sequence[Source]) -> None:
        """pending are about to run in kernels (the others were reused)."""

    def finished(self, source: Source, executed: bool, seconds: float) -> None:
        self.say(source_line(source, executed, seconds))

    def rendering(self) -> None:
        """Every source has its outputs; the deck is being rendered."""

    def done(self, index: Path, notebook: NotebookNode) -> None:
        seconds = time.perf_counter() - self.started
        self.say(summary_line(index, count_slides(notebook), index.stat().st_size, seconds))

    def close(self) -> None:
        """Stop any live display; called whether the build succeeded or not."""


class Quiet(Progress):
    """`-q`: nothing but errors."""

    def say(self, line: str) -> None:
        pass


class Live(Progress):
    """On a terminal: the same lines, under them a bar of the sources executed (rich)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self.bar: RichProgress | None = None
        self.task: TaskID | None = None

    def executing(self, pending: Sequence[Source]) -> None:
        if not pending:
            return
        from rich.console import Console  # imported only for a live display
        from rich.progress import BarColumn, Progress, SpinnerColumn, TimeElapsedColumn

        self.bar = Progress(
            SpinnerColumn(),
            "{task.description}",
            BarColumn(),
            "{task.completed}/{task.total}",
            TimeElapsedColumn(),
            console=Console(file=self.stream),
            transient=True,  # the bar goes when the build ends; the lines stay
        )
        self.task = self.bar.add_task("executing", total=len(pending))
        self.bar.start()

    def say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, highlight=False, markup=False)
        else:
            super().say(line)

    def finished(self, source: Source, executed: bool, seconds: float) -> None:
        super().finished(source, executed, seconds)
        if executed and self.bar is not None and self.task is not None:
            self.bar.advance(self.task)

    def rendering(self) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description="rendering", total=None)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def progress_for(quiet: bool, stream: TextIO | None = None) -> Progress:
    """Quiet with -q; a live display on a terminal; plain lines otherwise (pipes, logs, tests)."""
    stream = stream or sys.stderr
    if quiet:
        return Quiet(stream)
    if stream.isatty():
        return Live(stream)
    return Progress(stream)
