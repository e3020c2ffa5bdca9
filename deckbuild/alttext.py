"""Alternative text for the images a cell shows: from the output's metadata into the `<img>`.

IPython puts it there: `Image(data, alt="...")` writes `{"image/png": {"alt": "..."}}`, and an
SVG takes the same as `SVG(text, metadata={"alt": "..."})`. nbconvert's templates leave it out and
then fill every `<img>` without one with "No description has been provided for this image",
which is what a screen reader would read of each figure of a published deck. The template runs
each image block through `with_alt`; a figure without alt text gets a warning naming its cell.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from nbformat import NotebookNode

from deckbuild.errors import warn
from deckbuild.sources import Source, cell_tags

IMAGES = ("image/svg+xml", "image/png", "image/jpeg")
# nbconvert's HTMLExporter.display_data_priority: of an output's types, the first found is shown
# (outputs.py shows live outputs by the same list, less what a slide cannot run)
DISPLAY_PRIORITY = (
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/vnd.mermaid",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
)
NO_ALT = "No description has been provided for this image"  # what nbconvert gives an <img>
IMG = re.compile(r"<img\b(?![^>]*\balt=)", re.IGNORECASE)


def alt_of(metadata: Mapping[str, Any], mime: str) -> str | None:
    """An image's alternative text in its output's metadata, as IPython writes it, or None."""
    own = metadata.get(mime)
    alt = own.get("alt") if isinstance(own, Mapping) else None
    return str(alt) if alt else None


def alt_attribute(metadata: Mapping[str, Any], mime: str) -> str:
    """`alt="..."` for an image: its alternative text, else nbconvert's stand-in, escaped."""
    return f'alt="{html.escape(alt_of(metadata, mime) or NO_ALT)}"'


def with_alt(markup: str, output: Mapping[str, Any], mime: str) -> str:
    """An image block's markup, its `<img>` given the output's alternative text.

    Without one it gets nbconvert's stand-in, as nbconvert would give it, but without nbconvert's
    warning that names no cell: warn_missing_alt names it.
    """
    return IMG.sub(f"<img {alt_attribute(output.get('metadata', {}), mime)}", markup, count=1)


def shown_image(output: NotebookNode) -> str | None:
    """What a display_data or execute_result is shown as, if it is an image or HTML."""
    data = output.get("data", {})
    first = next((mime for mime in DISPLAY_PRIORITY if mime in data), None)
    return first if first in (*IMAGES, "text/html") else None


def warn_missing_alt(source: Source) -> None:
    """A named warning for each image a slide shows without alternative text: an image output,
    or an `<img>` in an HTML output."""
    for index, cell in enumerate(source.notebook.cells):
        if cell.cell_type != "code" or {"remove-output", "remove-cell"} & set(cell_tags(cell)):
            continue
        for output in cell.get("outputs", []):
            mime = shown_image(output)
            if mime == "text/html":
                markup = output["data"][mime]
                bare = len(IMG.findall(markup if isinstance(markup, str) else "".join(markup)))
                if bare:
                    warn(
                        f"{source.where(index)}: {bare} <img> in its HTML output without an alt "
                        f'attribute; a screen reader says "{NO_ALT}". Give each <img> an alt="..."'
                    )
            elif mime is not None and alt_of(output.get("metadata", {}), mime) is None:
                warn(
                    f"{source.where(index)}: an image ({mime}) without alternative text; "
                    f'a screen reader says "{NO_ALT}". '
                    f'Give it one: Image(..., alt="...") or SVG(..., metadata={{"alt": "..."}})'
                )
