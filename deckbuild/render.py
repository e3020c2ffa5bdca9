"""Rendering executed notebooks into the deck's HTML: each source's slides, the page around them.

A source renders on its own into a list of top-level slide sections; the deck is the template's
page (the shell: reveal.js, styles, scripts) around the sections of every source, in order.
nbconvert renders each source as it would render the merged notebook, so that the two give the
same deck, provided each source begins a new slide (the first visible cell of a file always does).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbformat import NotebookNode
from traitlets.config import Config

from deckbuild.alttext import with_alt
from deckbuild.errors import BuildError
from deckbuild.layouts import with_title_fields
from deckbuild.mainpath import arrange, slide_type, total_seconds
from deckbuild.paths import TEMPLATE_NAME, TEMPLATES
from deckbuild.sources import Source, cell_tags
from deckbuild.theme import DEFAULT_THEME, THEMES, Theme

if TYPE_CHECKING:
    from nbconvert.exporters import SlidesExporter

SLIDES_START = '<div class="slides">'
SECTION_TAG = re.compile(r"<section\b|</section>")
SHELL_MARKER = "deckbuild-shell-slides"  # the one cell of the notebook the shell is rendered from


@dataclasses.dataclass
class Shell:
    """The page around the slides: everything before the first section, everything after."""

    head: str
    tail: str


def merge(notebooks: Sequence[NotebookNode], title: str) -> NotebookNode:
    """One notebook: every source's main slides in order, then the backup slides (mainpath)."""
    merged: NotebookNode = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    merged.metadata = dict(notebooks[0].metadata) if notebooks else {}
    merged.metadata["title"] = title
    merged.metadata.setdefault("language_info", {"name": "python"})
    merged.cells.extend(arrange(with_title_fields(notebooks)))
    merged.metadata["deck_total_seconds"] = total_seconds(merged.cells)
    return merged


def deck_title(sources: Sequence[Source]) -> str:
    """The first markdown heading of the talk, without its markup."""
    for source in sources:
        for cell in source.notebook.cells:
            if cell.cell_type == "markdown":
                match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
                if match:
                    return re.sub(r"[`*_]", "", match[1]).strip()
    return "Slides"


def exporter_config(theme: Theme = THEMES[DEFAULT_THEME]) -> Config:
    """nbconvert's settings: the remove-* tags hide what they name; the theme's code colours."""
    config = Config()
    config.CSSHTMLHeaderPreprocessor.style = theme.pygments_style
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    return config


@functools.lru_cache(maxsize=1)
def exporter(
    template_key: str = "", compiled: Path | None = None, theme: str = DEFAULT_THEME
) -> SlidesExporter:
    """One exporter per version of the template (its key), kept so that jinja compiles it once;
    compiled: a folder where jinja keeps the compiled template for the next process; theme: whose
    code colours (deckbuild.theme).

    `serve` renders in one long-lived process: an edited template has a new key, so a new exporter.
    """
    from nbconvert.exporters import SlidesExporter  # 0.4 s to import: only when rendering

    made = SlidesExporter(  # type: ignore[no-untyped-call]
        config=exporter_config(THEMES[theme]),
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
    )
    # bleach's sanitizing of each cell's HTML is the slowest filter and a pure function of its
    # text: remembered, a cell that did not change is not sanitized again (serve re-renders files)
    environment = made.environment
    environment.filters["clean_html"] = functools.lru_cache(4096)(environment.filters["clean_html"])
    environment.filters["with_alt"] = with_alt
    if compiled is not None:
        from jinja2 import FileSystemBytecodeCache

        try:
            compiled.mkdir(parents=True, exist_ok=True)
            environment.bytecode_cache = FileSystemBytecodeCache(str(compiled))
        except OSError:  # an unwritable cache: compile each time, as without one
            pass
    return made


def render(
    notebook: NotebookNode,
    assets: Mapping[str, str],
    made: SlidesExporter | None = None,
    theme: Theme = THEMES[DEFAULT_THEME],
) -> str:
    """The whole page for a notebook, loading nothing from outside (assets: inline.py's); made
    must be an exporter() for the same theme."""
    # reveal.js settings live in the template
    resources = {"offline": dict(assets), "deck_theme": theme.resources()}
    try:
        made = made or exporter(theme=theme.name)
        body, _ = made.from_notebook_node(notebook, resources=resources)
    except ValueError as error:  # e.g. "All cells are hidden, cannot create slideshow"
        raise BuildError(f"cannot render the deck: {error}") from None
    return str(body)


def cut_slides(notebook: NotebookNode, cells: Sequence[NotebookNode]) -> list[NotebookNode]:
    """Some of a notebook's cells (its main path's, or its backup's) cut before each cell that
    begins a slide: a notebook per slide (and its subslides), each rendering on its own as it
    renders among the others.

    A cell begins a slide when its slide_type is slide, it is not removed, and something is
    already shown before it (nbconvert makes the first shown cell a slide anyway).
    """
    slides: list[list[NotebookNode]] = [[]]
    for cell in cells:
        if slide_type(cell) == "slide" and shown(cell) and any(map(shown, slides[-1])):
            slides.append([])
        slides[-1].append(cell)
    made: list[NotebookNode] = []
    for cells in slides:
        part: NotebookNode = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
        part.metadata = notebook.metadata
        part.cells = cells
        made.append(part)
    return made


def shown(cell: NotebookNode) -> bool:
    """A cell nbconvert puts on a slide: not removed, not skipped, not notes."""
    return slide_type(cell) not in {"notes", "skip"} and "remove-cell" not in cell_tags(cell)


def render_slide(
    slide: NotebookNode,
    source: Source,
    made: SlidesExporter | None = None,
    theme: Theme = THEMES[DEFAULT_THEME],
) -> list[str]:
    """One slide of cut_slides() as HTML: its top-level section, or none if nothing shows."""
    try:
        page = render(slide, blank_assets(), made, theme)
    except BuildError as error:
        if "All cells are hidden" in str(error):
            return []
        raise
    try:
        sections, end = split_sections(page)
    except ValueError as error:
        raise BuildError(f"{source.name}: cannot render its slides ({error})") from None
    if not page.startswith("\n</div>", end):
        raise BuildError(
            f"{source.name}: something is shown before the file's first slide "
            "(notes or a skipped cell's output?); start the file with a slide"
        )
    if len(sections) > 1:
        raise BuildError(f"{source.name}: a slide rendered as {len(sections)} slides")
    return sections


def render_shell(
    title: str,
    assets: Mapping[str, str],
    made: SlidesExporter | None = None,
    total_seconds: int = 0,
    theme: Theme = THEMES[DEFAULT_THEME],
) -> Shell:
    """The page around the slides, rendered from a notebook of one placeholder slide.

    total_seconds: the talk's time budget, for the speaker view's pacing timer (mainpath).
    """
    notebook: NotebookNode = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    notebook.metadata = {
        "title": title,
        "language_info": {"name": "python"},
        "deck_total_seconds": total_seconds,
    }
    notebook.cells.append(nbformat.v4.new_markdown_cell(SHELL_MARKER))  # type: ignore[no-untyped-call]
    page = render(notebook, assets, made, theme)
    start = slides_start(page)
    sections, end = split_sections(page)
    if len(sections) != 1 or SHELL_MARKER not in sections[0]:
        raise BuildError(f"the template {TEMPLATE_NAME} does not render one section per slide")
    return Shell(page[:start], page[end:])


def assemble(shell: Shell, sections: Sequence[str]) -> str:
    """The deck: the shell around the sections, as nbconvert renders adjacent slides."""
    return shell.head + "".join(sections) + shell.tail


def blank_assets() -> dict[str, str]:
    """Empty reveal.js and styles: a source's page is rendered only for its slides."""
    return dict.fromkeys(("reveal_css", "theme_css", "deck_css", "reveal_js", "notes_js"), "")


def slides_start(page: str) -> int:
    body = page.find("<body")
    at = page.find(SLIDES_START, max(body, 0))
    if body < 0 or at < 0:
        raise ValueError(f"no {SLIDES_START} in the page's body")
    return at + len(SLIDES_START)


def split_sections(page: str) -> tuple[list[str], int]:
    """The top-level <section>s right after <div class="slides">, and where the last one ends."""
    at = slides_start(page)
    sections: list[str] = []
    while page.startswith("<section", at):
        depth = 0
        for match in SECTION_TAG.finditer(page, at):
            depth += -1 if match[0] == "</section>" else 1
            if depth == 0:
                sections.append(page[at : match.end()])
                at = match.end()
                break
        else:
            raise ValueError("a <section> is never closed")
    return sections, at
