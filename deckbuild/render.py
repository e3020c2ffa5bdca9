"""Rendering executed notebooks into the deck's HTML: notebooks in, an HTML string out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import nbformat
from nbformat import NotebookNode
from traitlets.config import Config

from deckbuild.errors import BuildError
from deckbuild.layouts import with_title_fields
from deckbuild.mainpath import arrange, total_seconds
from deckbuild.paths import TEMPLATE_NAME, TEMPLATES
from deckbuild.sources import Source
from deckbuild.theme import DEFAULT_THEME, THEMES, Theme


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


def render(
    notebook: NotebookNode, assets: Mapping[str, str], theme: Theme = THEMES[DEFAULT_THEME]
) -> str:
    """The deck's HTML, with nothing loaded from outside; assets are inline.reveal_assets()."""
    from nbconvert.exporters import SlidesExporter  # 0.4 s to import: only when rendering

    exporter = SlidesExporter(  # type: ignore[no-untyped-call]
        config=exporter_config(theme),
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
    )
    # reveal.js settings live in the template
    resources = {"offline": dict(assets), "deck_theme": theme.resources()}
    try:
        body, _ = exporter.from_notebook_node(notebook, resources=resources)
    except ValueError as error:  # e.g. "All cells are hidden, cannot create slideshow"
        raise BuildError(f"cannot render the deck: {error}") from None
    return str(body)
