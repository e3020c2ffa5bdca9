"""Making the deck self-contained: images, stylesheets and scripts (reveal.js too) inlined."""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path

from deckbuild.errors import BuildError, warn
from deckbuild.paths import REVEAL, TEMPLATE_NAME, TEMPLATES, display_path
from deckbuild.sources import Source

MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
HTML_IMAGE = re.compile(r"(<img\b[^>]*?\bsrc=)([\"'])([^\"']+)\2", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)['\"]?\s*\)?\s*;")


def data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_images(source: Source) -> None:
    """Replace local image paths in markdown cells by data URIs; a missing file is an error."""
    folder = source.path.resolve().parent
    for index, cell in enumerate(source.notebook.cells):
        if cell.cell_type != "markdown":
            continue

        def embed(
            target: str, match_start: int, cell_index: int = index, text: str = cell.source
        ) -> str:
            if re.match(r"^(data:|attachment:|#)", target):
                return target
            line = text.count("\n", 0, match_start) + 1
            if re.match(r"^([a-z]+:)?//", target, re.IGNORECASE):
                raise BuildError(
                    f"{source.where(cell_index, line)}: image {target!r} would be loaded "
                    "from outside; keep images in the repository"
                )
            path = folder / target
            if not path.is_file():
                raise BuildError(f"{source.where(cell_index, line)}: image {target!r} not found")
            return data_uri(path)

        text = MARKDOWN_IMAGE.sub(lambda m: m[1] + embed(m[2], m.start()) + m[3], cell.source)
        cell.source = HTML_IMAGE.sub(lambda m: m[1] + m[2] + embed(m[3], m.start()) + m[2], text)


def inline_css(path: Path, css: str | None = None) -> str:
    """A stylesheet (path's, or css read from path) with its @imports and url()s inlined.

    An @import of a web address (a theme's web font) is left out with a warning: the deck
    loads nothing from outside, so the browser falls back to the next font the theme names.
    """
    css = path.read_text(encoding="utf-8") if css is None else css

    def include(match: re.Match[str]) -> str:
        if re.match(r"^([a-z]+:)?//", match[1], re.IGNORECASE):
            warn(f"{display_path(path)}: @import {match[1]} left out (the deck stays offline)")
            return ""
        return inline_css((path.parent / match[1]).resolve())

    css = CSS_IMPORT.sub(include, css)

    def embed(match: re.Match[str]) -> str:
        target = match[2]
        if target.startswith(("data:", "#")):
            return match[0]
        local = (path.parent / target.split("?")[0].split("#")[0]).resolve()
        if not local.is_file():
            raise BuildError(f"{display_path(path)}: url({target}) is not a local file")
        return f'url("{data_uri(local)}")'

    return CSS_URL.sub(embed, css)


def inline_js(path: Path) -> str:
    """A script's text, safe to place inside <script>...</script>."""
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def reveal_assets(theme: str = "white") -> dict[str, str]:
    """reveal.js, a theme, the notes plugin and our stage styles, as text for the template."""
    files = [REVEAL / "reveal.css", REVEAL / "theme" / f"{theme}.css", REVEAL / "reveal.js"]
    missing = [display_path(f) for f in files if not f.is_file()]
    if missing:
        raise BuildError(f"reveal.js is not installed ({', '.join(missing)}): run `npm ci`")
    return {
        "reveal_css": inline_css(REVEAL / "reveal.css"),
        "theme_css": inline_css(REVEAL / "theme" / f"{theme}.css"),
        "deck_css": inline_css(TEMPLATES / TEMPLATE_NAME / "static" / "deck.css"),
        "reveal_js": inline_js(REVEAL / "reveal.js"),
        "notes_js": inline_js(REVEAL / "plugin" / "notes.js"),
    }
