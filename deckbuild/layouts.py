"""Designed slides: layout="title" and layout="section" on a slide, and the title slide's header.

A slide file's jupytext header may describe its talk for the title slide:

    # ---
    # jupyter:
    #   title_slide:
    #     date: 2019
    #     event: UQCS
    #     speaker: Tom Manderson
    #     subtitle: Concurrency in Python, one thread at a time
    # ---

and a markdown cell that starts a slide marks it `layout="title"` (its heading is the title)
or `layout="section"` (a section's opening: a large heading, then what the section covers, if
anything: a line, or a short list). The template gives
such a slide its design; this module checks the metadata and hands the header to the cell.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Sequence

from nbformat import NotebookNode

from deckbuild.errors import BuildError

LAYOUT_KEY = "layout"
LAYOUTS = {
    "title": "the talk's title slide: its heading, and the header's title_slide fields",
    "section": "a section's opening: a large heading, then what the section covers",
}
HEADER_KEY = "title_slide"  # in the jupytext header, under jupyter:
TITLE_FIELDS = ("subtitle", "speaker", "event", "date")


def check_layout(cell: NotebookNode, where: str) -> None:
    """`layout` names a known design and sits on a markdown cell that starts a slide."""
    layout = cell.metadata[LAYOUT_KEY]
    if layout not in LAYOUTS:
        close = difflib.get_close_matches(str(layout), list(LAYOUTS), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]}?" if close else f"use one of {', '.join(LAYOUTS)}"
        raise BuildError(f"{where}: unknown layout {layout!r} ({hint})")
    kind = cell.metadata.get("slideshow", {}).get("slide_type", "")
    if cell.cell_type != "markdown" or kind not in {"slide", "subslide"}:
        raise BuildError(
            f"{where}: layout={layout!r} goes on the markdown cell that starts a slide or subslide"
        )
    if not cell.source.lstrip().startswith("#"):
        raise BuildError(f"{where}: a {layout} slide opens with its heading (# ...)")


def check_header(notebook: NotebookNode, where: str, cell_where: Callable[[int], str]) -> None:
    """The header's title_slide has known text fields, and a layout="title" cell to show them."""
    if HEADER_KEY not in notebook.metadata:
        return
    fields = notebook.metadata[HEADER_KEY]
    prefix = f"{where}: header {HEADER_KEY}"
    if not isinstance(fields, dict):
        raise BuildError(f"{prefix}: expected keys {', '.join(TITLE_FIELDS)}, got {fields!r}")
    for key, value in fields.items():
        if key not in TITLE_FIELDS:
            close = difflib.get_close_matches(str(key), TITLE_FIELDS, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(TITLE_FIELDS)}"
            raise BuildError(f"{prefix}: unknown key {key!r} ({hint})")
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise BuildError(f"{prefix}: {key} must be text, got {value!r}")
    titles = [
        i for i, cell in enumerate(notebook.cells) if cell.metadata.get(LAYOUT_KEY) == "title"
    ]
    if not titles:
        raise BuildError(f'{prefix}: no cell has layout="title" to show it')
    if len(titles) > 1:
        raise BuildError(f'{cell_where(titles[1])}: a second layout="title" cell in one file')


def with_title_fields(notebooks: Sequence[NotebookNode]) -> list[NotebookNode]:
    """The notebooks, each title cell carrying its header's fields (`title_slide` metadata).

    The notebooks are left as they are: a notebook with a title cell is a shallow copy whose
    title cell is a copy.
    """
    result: list[NotebookNode] = []
    for notebook in notebooks:
        fields = notebook.metadata.get(HEADER_KEY)
        if not fields:
            result.append(notebook)
            continue
        cells = []
        for cell in notebook.cells:
            if cell.metadata.get(LAYOUT_KEY) == "title":
                cell = copy.deepcopy(cell)
                cell.metadata[HEADER_KEY] = {key: str(value) for key, value in fields.items()}
            cells.append(cell)
        shallow = copy.copy(notebook)
        shallow.cells = cells
        result.append(shallow)
    return result
