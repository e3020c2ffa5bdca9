"""Reading percent-format slide files into `Source`s and checking their cell metadata and tags."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from nbformat import NotebookNode
from nbformat.validator import NotebookValidationError

from deckbuild.errors import BuildError, warn
from deckbuild.layouts import LAYOUT_KEY, check_header, check_layout
from deckbuild.paths import DEFAULT_SOURCES, ROOT, display_path

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-", ""}
EXAMPLE_TAG = "example:"  # example:NAME puts the cell's code into examples/NAME.py
# The tags a cell may carry, and what each does. The README's cell conventions table lists them.
TAGS = {
    "raises-exception": "the cell must raise (the exception named by `raises`, if given)",
    "remove-input": "the slide shows the output only",
    "remove-output": "the slide shows the code only",
    "remove-cell": "the cell runs but is not shown",
    "skip-execution": "the cell is shown but not run",
    "backup": "the slide (a slide with its subslides) waits after the main path, linked from it",
}
BACKUP_TAG = "backup"
MINUTES_KEY = "minutes"  # minutes=5 on a main slide: its section's time budget
# Tags other tools give meaning to that a slide deck cannot honour: accepted, with a warning.
IGNORED_TAGS = {
    "hide-input": "Jupyter Book's collapsed input: a slide cannot expand it, use remove-input",
    "hide-output": "Jupyter Book's collapsed output: a slide cannot expand it, use remove-output",
    "hide-cell": "Jupyter Book's collapsed cell: a slide cannot expand it, use remove-cell",
    "parameters": "papermill's parameters cell: it runs as an ordinary cell",
}
# Cell metadata: ours (slideshow, tags, raises, steps, minutes, layout), and what Jupyter,
# JupyterLab, VS Code and jupytext write for their own use, which a deck ignores. Anything else is
# a named warning.
CELL_KEYS = {"slideshow", "tags", "raises", "steps", MINUTES_KEY, LAYOUT_KEY}
EDITOR_KEYS = {
    *("collapsed", "scrolled", "jupyter", "execution", "editable", "deletable", "name"),
    *("trusted", "ExecuteTime", "vscode", "pycharm", "lines_to_next_cell", "title"),
}
IGNORED_KEYS = {
    "cell_style": "RISE's side-by-side cells: the deck shows cells one under the other",
}
MODULE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# steps="1-4|6-12|14": `|` separates the steps, `,` the parts of one; a part is a line or a range.
LINE_RANGE = re.compile(r"([0-9]+)(?:\s*-\s*([0-9]+))?")
STEPS_EXAMPLE = '"1-4|6-12|14"'
CELL_MARKER = re.compile(r"^# %%(?:\s|$)")


@dataclasses.dataclass
class Source:
    """One slide file: its path, its notebook, and the `.py` line where each cell starts."""

    path: Path
    notebook: NotebookNode
    cell_lines: list[int]

    @property
    def name(self) -> str:
        return display_path(self.path)

    def where(self, index: int, line_in_cell: int = 0) -> str:
        """`file:line: cell N` for messages; line_in_cell counts from 1 within the cell."""
        line = self.cell_lines[index] + line_in_cell if line_in_cell else self.cell_lines[index]
        return f"{self.name}:{line}: cell {index + 1}"


def code_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def cell_tags(cell: NotebookNode) -> list[str]:
    tags: list[str] = cell.metadata.get("tags", [])
    return tags


def cell_start_lines(text: str, count: int) -> list[int]:
    """The 1-based line of each cell's `# %%` marker (or of a marker-less first cell)."""
    lines = text.splitlines()
    markers = [number for number, line in enumerate(lines, 1) if CELL_MARKER.match(line)]
    if len(markers) == count:
        return markers
    first = 1
    if lines and lines[0].startswith("# ---"):  # skip jupytext's YAML header
        first = next((n for n, line in enumerate(lines[1:], 2) if line.startswith("# ---")), 1) + 1
    while first <= len(lines) and not lines[first - 1].strip():
        first += 1
    starts = [first, *markers]
    return (starts + [starts[-1]] * count)[:count]


def read_source(path: Path, parser: Callable[[str], NotebookNode] | None = None) -> Source:
    """Read a jupytext percent-format file and check its cell metadata.

    parser: parse(), or ExecutionCache.parse, which remembers it across processes.
    """
    if not path.is_file():
        raise BuildError(f"{display_path(path)}: no such file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BuildError(f"{display_path(path)}:{line}: not valid UTF-8 ({error.reason})") from None
    if not text.strip():
        raise BuildError(f"{display_path(path)}: the file is empty")
    try:
        notebook = copy.deepcopy((parser or parse)(text))  # a copy: the build fills in outputs
    except NotebookValidationError as error:  # e.g. tags="x": nbformat refuses the cell
        raise BuildError(
            f"{invalid_cell(path, text)}: bad cell metadata: {error.message}"
        ) from None
    source = Source(path, notebook, cell_start_lines(text, len(notebook.cells)))
    for index, cell in enumerate(notebook.cells):
        check_metadata(source, index, cell)
        cell.id = cell_id(path, index)
    check_header(notebook, display_path(path), source.where)
    return source


@functools.lru_cache(maxsize=64)
def parse(text: str) -> NotebookNode:
    """jupytext's reading of a percent-format text; remembered, as `serve` reads every file on
    every rebuild and jupytext takes tens of milliseconds a file (it validates every cell)."""
    import jupytext  # 0.2 s to import: not when every file's reading is in the cache

    notebook: NotebookNode = jupytext.reads(text, fmt="py:percent")
    return notebook


def invalid_cell(path: Path, text: str) -> str:
    """`file:line: cell N` of the first cell jupytext cannot read on its own, else the file."""
    import jupytext

    lines = text.splitlines(keepends=True)
    markers = [number for number, line in enumerate(lines, 1) if CELL_MARKER.match(line)]
    starts = cell_start_lines(text, len(markers) + 1)
    offset = 1 if starts[0] not in markers else 0  # a first cell without a marker
    for ordinal, (start, end) in enumerate(
        zip(markers, [*markers[1:], len(lines) + 1], strict=True), 1
    ):
        try:
            jupytext.reads("".join(lines[start - 1 : end - 1]), fmt="py:percent")
        except NotebookValidationError:
            return f"{display_path(path)}:{start}: cell {ordinal + offset}"
    return display_path(path)


def file_key(path: Path) -> str:
    """The prefix of a file's cell ids: its name without suffix, as a cell id may spell it."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:48] or "cell"


def cell_id(path: Path, index: int) -> str:
    """A cell's id, the same on every read: `04_tasks-12` is cell 13 of 04_tasks.py.

    jupytext would give random ones. The deck shows it as the cell's HTML id (`cell-id=...`),
    which is how `present` finds the file and cell a slide's code came from.
    """
    return f"{file_key(path)}-{index}"


def check_metadata(source: Source, index: int, cell: NotebookNode) -> None:
    metadata = cell.metadata
    if "incorrectly_encoded_metadata" in metadata:
        raise BuildError(
            f"{source.where(index)}: cannot parse the cell metadata "
            f"{metadata['incorrectly_encoded_metadata']!r} (write key=value pairs with JSON values)"
        )
    slide_type = metadata.get("slideshow", {}).get("slide_type", "")
    if slide_type not in SLIDE_TYPES:
        known = ", ".join(sorted(t for t in SLIDE_TYPES if t))
        raise BuildError(
            f"{source.where(index)}: unknown slide_type {slide_type!r} (use one of {known})"
        )
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BuildError(f"{source.where(index)}: tags must be a list of strings, got {tags!r}")
    for tag in tags:
        check_tag(source, index, cell, tag)
    if "raises" in metadata and "raises-exception" not in tags:
        raise BuildError(f"{source.where(index)}: `raises` needs the raises-exception tag too")
    if "steps" in metadata:
        check_steps(source, index, cell)
    for key in sorted(metadata.keys() - CELL_KEYS - EDITOR_KEYS):
        reason = IGNORED_KEYS.get(key, f"not one of {', '.join(sorted(CELL_KEYS))}")
        warn(f"{source.where(index)}: cell metadata {key!r} has no effect here ({reason})")
    if MINUTES_KEY in metadata:
        check_minutes(source, index, cell)
    if LAYOUT_KEY in metadata:
        check_layout(cell, source.where(index))


def check_minutes(source: Source, index: int, cell: NotebookNode) -> None:
    """`minutes`: a positive number on the first cell of a main slide or subslide."""
    minutes = cell.metadata[MINUTES_KEY]
    where = source.where(index)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
        raise BuildError(f"{where}: minutes must be a positive number, got {minutes!r}")
    if cell.metadata.get("slideshow", {}).get("slide_type", "") not in {"slide", "subslide"}:
        raise BuildError(f"{where}: minutes goes on the first cell of a slide or subslide")
    if BACKUP_TAG in cell_tags(cell):
        raise BuildError(f"{where}: a backup slide is off the main path, so it has no minutes")


def check_steps(source: Source, index: int, cell: NotebookNode) -> None:
    """`steps`: groups of the code's lines, as the slide shows them, highlighted one at a time.

    Lines count from 1 on the slide, which drops a cell's leading and trailing blank lines.
    """
    steps = cell.metadata["steps"]
    if not isinstance(steps, str):
        raise BuildError(
            f"{source.where(index)}: steps must be a string like {STEPS_EXAMPLE}, got {steps!r}"
        )
    prefix = f"{source.where(index)}: steps {json.dumps(steps)}"
    if cell.cell_type != "code":
        raise BuildError(f"{prefix}: steps go on code cells only")
    for tag in ("remove-input", "remove-cell"):
        if tag in cell_tags(cell):
            raise BuildError(f"{prefix}: the cell is tagged {tag}, so no code is shown to step")
    slide_type = cell.metadata.get("slideshow", {}).get("slide_type", "")
    if slide_type in {"skip", "notes"}:
        raise BuildError(f"{prefix}: a {slide_type} cell is not on a slide, so it has no steps")
    count = len(cell.source.strip("\n").splitlines())
    for number, group in enumerate(steps.split("|"), 1):
        if not group.strip():
            raise BuildError(f"{prefix}: step {number} is empty (give lines, e.g. 3 or 6-12)")
        for part in (part.strip() for part in group.split(",")):
            match = LINE_RANGE.fullmatch(part)
            if match is None:
                raise BuildError(f"{prefix}: {part!r} is neither a line number nor a range a-b")
            first, last = int(match[1]), int(match[2] or match[1])
            if first < 1:
                raise BuildError(f"{prefix}: line {first} does not exist (lines count from 1)")
            if last < first:
                raise BuildError(f"{prefix}: the range {part} runs backwards")
            if last > count:
                lines = "line" if count == 1 else "lines"
                raise BuildError(f"{prefix}: line {last} is past the cell's {count} {lines}")


def check_tag(source: Source, index: int, cell: NotebookNode, tag: str) -> None:
    """A known tag passes, an ignored one warns, anything else is an error with a suggestion."""
    if tag in TAGS:
        return
    if tag in IGNORED_TAGS:
        warn(f"{source.where(index)}: tag {tag!r} has no effect here ({IGNORED_TAGS[tag]})")
        return
    name = tag.removeprefix(EXAMPLE_TAG)
    if name != tag:
        if cell.cell_type != "code" or not MODULE_NAME.fullmatch(name):
            raise BuildError(
                f"{source.where(index)}: bad tag {tag!r}: example tags go on code cells "
                "and name a module, e.g. example:echo_server"
            )
        return
    raise BuildError(f"{source.where(index)}: unknown tag {tag!r}{suggestion(tag)}")


def suggestion(tag: str) -> str:
    """` (did you mean remove-cell?)` for a tag close to a known one, else a list of them."""
    normalised = tag.strip().lower().replace("_", "-")
    candidates = [*TAGS, *IGNORED_TAGS]
    close = difflib.get_close_matches(normalised, candidates, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]}?)"
    if normalised.startswith("example"):
        return f" (example tags are written {EXAMPLE_TAG}NAME)"
    return f" (known tags: {', '.join(TAGS)}, {EXAMPLE_TAG}NAME)"


def resolve_sources(patterns: Sequence[str], root: Path = ROOT) -> list[Path]:
    """Expand the command line's sources; the default is the talk's numbered files in name order."""
    if not patterns:
        found = sorted(root.glob(DEFAULT_SOURCES))
        if not found:
            raise BuildError(f"no sources match {DEFAULT_SOURCES}")
        return found
    return [Path(pattern) for pattern in patterns]
