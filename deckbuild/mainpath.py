"""The main path a presenter walks, the backup slides that wait after it, and the time each gets.

A slide or subslide tagged `backup` (with the subslides of a backup slide) stays where it is in
its source, for readers and for execution, but the deck shows it after the last main slide:
uncounted in slide numbers and progress, reached by a "deeper" link from the main slide it
follows and linking back to it. `minutes=N` on a main slide gives the section it starts a time
budget, shared out over its main slides as reveal.js's `data-timing`, for the speaker view's
pacing timer.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence

from nbformat import NotebookNode

from deckbuild.errors import warn
from deckbuild.sources import BACKUP_TAG, MINUTES_KEY, Source, cell_tags

SLIDE_STARTS = {"slide", "subslide"}


def slide_type(cell: NotebookNode) -> str:
    kind: str = cell.metadata.get("slideshow", {}).get("slide_type", "") or "-"
    return kind


@dataclasses.dataclass
class Unit:
    """One slide or subslide: its first cell and the cells after it, up to the next one."""

    cells: list[NotebookNode]
    backup: bool

    @property
    def head(self) -> NotebookNode:
        return self.cells[0]

    @property
    def is_slide(self) -> bool:
        """False for the cells before a source's first slide (hidden setup, say)."""
        return slide_type(self.head) in SLIDE_STARTS


def units(cells: Sequence[NotebookNode]) -> list[Unit]:
    """The cells grouped by slide and subslide; a backup slide takes its subslides along."""
    found: list[Unit] = []
    backup_stack = False
    for cell in cells:
        kind = slide_type(cell)
        if kind in SLIDE_STARTS or not found:
            tagged = BACKUP_TAG in cell_tags(cell)
            if kind == "slide":
                backup_stack = tagged
            found.append(Unit([cell], tagged or (kind == "subslide" and backup_stack)))
        else:
            found[-1].cells.append(cell)
    return found


def main_path_length(sources: Sequence[Source]) -> int:
    """How many slides and subslides a presenter walks with the arrow keys."""
    return sum(
        unit.is_slide and not unit.backup for s in sources for unit in units(s.notebook.cells)
    )


def arrange(notebooks: Sequence[NotebookNode]) -> list[NotebookNode]:
    """Every main cell in order, then the backup stacks; links, ids and timings in `deck` metadata.

    Backup slides that follow the same main slide of a file form one backup section, linked from
    it; an appendix file of backup slides only is linked from the last main slide before it. The
    notebooks are left as they are: the cells returned are copies.
    """
    main, backup = split(notebooks)
    return main + backup


def split(notebooks: Sequence[NotebookNode]) -> tuple[list[NotebookNode], list[NotebookNode]]:
    """arrange()'s cells: the main path's, then the backup slides'."""
    notebooks = copy.deepcopy(list(notebooks))
    main: list[Unit] = []
    stacks: list[tuple[Unit | None, list[Unit]]] = []
    parent: Unit | None = None
    for notebook in notebooks:
        stack: list[Unit] | None = None  # a file's backup slides start a section of their own
        for unit in units(notebook.cells):
            if not unit.backup:
                main.append(unit)
                if unit.is_slide:
                    parent, stack = unit, None
            elif stack is None or (parent is None and slide_type(unit.head) == "slide"):
                stack = [unit]
                stacks.append((parent, stack))
            else:
                stack.append(unit)
    for parent, stack in stacks:
        link(parent, stack)
    set_timings(main)
    return [cell for unit in main for cell in unit.cells], [
        cell for _, stack in stacks for unit in stack for cell in unit.cells
    ]


@dataclasses.dataclass
class Plan:
    """What arrange() decides, by cell id, from the sources before they run: so that each
    executed source can be arranged on its own, as its outputs arrive."""

    deck: dict[str, dict[str, object]]  # a cell's `deck` metadata: id, links, timing
    slide_types: dict[str, str]  # the slide type of each cell that begins a slide
    backup: set[str]  # the cells shown after the main path
    total_seconds: int

    def apply(self, cells: Sequence[NotebookNode]) -> tuple[list[NotebookNode], list[NotebookNode]]:
        """Copies of a source's (executed) cells as arranged: its main cells, its backup cells."""
        main: list[NotebookNode] = []
        backup: list[NotebookNode] = []
        for cell in cells:
            arranged = copy.copy(cell)
            arranged.metadata = copy.deepcopy(cell.metadata)
            if cell.id in self.deck:
                arranged.metadata["deck"] = copy.deepcopy(self.deck[cell.id])
            if cell.id in self.slide_types:
                arranged.metadata.setdefault("slideshow", {})["slide_type"] = self.slide_types[
                    cell.id
                ]
            (backup if cell.id in self.backup else main).append(arranged)
        return main, backup


def plan(notebooks: Sequence[NotebookNode]) -> Plan:
    """arrange()'s decisions for these notebooks, to apply to each of them later."""
    main, backup = split(notebooks)
    cells = main + backup
    return Plan(
        deck={cell.id: dict(cell.metadata["deck"]) for cell in cells if "deck" in cell.metadata},
        slide_types={
            cell.id: cell.metadata["slideshow"]["slide_type"]
            for cell in cells
            if slide_type(cell) in SLIDE_STARTS
        },
        backup={cell.id for cell in backup},
        total_seconds=total_seconds(main),
    )


def deck_metadata(cell: NotebookNode) -> dict[str, object]:
    metadata: dict[str, object] = cell.metadata.setdefault("deck", {})
    return metadata


def link(parent: Unit | None, stack: list[Unit]) -> None:
    """A backup stack opens as a slide of its own, linked to and from its main slide."""
    first = stack[0].head
    first.metadata.setdefault("slideshow", {})["slide_type"] = "slide"
    backup_id = f"backup-{first.id}"
    deck_metadata(first)["id"] = backup_id
    for unit in stack:
        deck_metadata(unit.head)["uncounted"] = True
    if parent is None:
        return
    parent_id = f"slide-{parent.head.id}"
    deck_metadata(parent.head)["id"] = parent_id
    deeper: list[str] = deck_metadata(parent.head).setdefault("deeper", [])  # type: ignore[assignment]
    deeper.append(backup_id)
    for unit in stack:
        deck_metadata(unit.head)["back"] = parent_id


def set_timings(main: Sequence[Unit]) -> None:
    """Share each `minutes` budget out over the main slides of its section, in whole seconds."""
    slides = [unit for unit in main if unit.is_slide]
    sections: list[tuple[float, list[Unit]]] = []
    for unit in slides:
        minutes = unit.head.metadata.get(MINUTES_KEY)
        if minutes is not None:
            sections.append((float(minutes), []))
        if sections:
            sections[-1][1].append(unit)
    if not sections:
        return
    if slides[0].head.metadata.get(MINUTES_KEY) is None:
        untimed = slides.index(sections[0][1][0])
        warn(
            f"the first {untimed} main slides come before the first `minutes` budget: "
            "the speaker view's pacing gives them no time"
        )
    elapsed = 0.0
    for minutes, section in sections:
        seconds = round(minutes * 60)
        share, extra = divmod(seconds, len(section))
        for index, unit in enumerate(section):
            deck_metadata(unit.head)["timing"] = share + (index < extra)
        elapsed += minutes
        deck_metadata(section[0].head)["budget"] = (
            f"{minutes:g} min for this section ({len(section)} slide{'s' * (len(section) > 1)}); "
            f"{elapsed:g} min in at its end"
        )


def total_seconds(cells: Sequence[NotebookNode]) -> int:
    """The talk's length: the sum of the main path's timings."""
    return sum(int(cell.metadata.get("deck", {}).get("timing", 0)) for cell in cells)
