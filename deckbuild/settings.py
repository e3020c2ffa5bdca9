"""The deck's settings, checked: RISE's `rise` notebook metadata, pyproject's [tool.deckbuild]."""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deckbuild.errors import BuildError, warn
from deckbuild.inline import reveal_assets
from deckbuild.paths import REVEAL, display_path
from deckbuild.sources import Source
from deckbuild.theme import SETTING as THEME_SETTING

TRANSITIONS = ("none", "fade", "slide", "convex", "concave", "zoom")  # reveal.js's own
SLIDE_NUMBERS = ("h.v", "h/v", "c", "c/t")  # reveal.js's formats; true means its default, h.v
# What each `rise` key (also accepted in [tool.deckbuild.rise]) sets, as reveal.js names it.
RISE_KEYS = {
    "theme": "one of reveal.js's bundled themes, inlined",
    "transition": f"reveal.js's transition: {', '.join(TRANSITIONS)}",
    "width": "the stage's width in pixels",
    "height": "the stage's height in pixels",
    "scroll": "a slide that does not fit at the smallest zoom scrolls (false: it is cut off)",
    "slideNumber": f"true, false or one of {', '.join(SLIDE_NUMBERS)}",
    "controls": "reveal.js's arrows in the corner",
    "progress": "reveal.js's progress bar",
    "center": "slides centred vertically",
}
# RISE settings with no reveal.js equivalent in an offline, static deck: a named warning.
RISE_ONLY = {
    "autolaunch": "the deck is always a slideshow",
    "start_slideshow_at": "the deck opens at its first slide (or the one in the address)",
    "enable_chalkboard": "the chalkboard plugin is not bundled",
    "header": "RISE's overlays are not supported",
    "footer": "RISE's overlays are not supported",
    "overlay": "RISE's overlays are not supported",
    "backimage": "RISE's overlays are not supported",
    "auto_select": "cells are not selected in a static deck",
    "auto_select_fragment": "cells are not selected in a static deck",
    "show_buttons_on_startup": "RISE's buttons belong to Jupyter",
    "reveal_shortcuts": "reveal.js's default keys are used",
}
PAGE_KEYS = {"description": "the page's meta description", "lang": "the page's language, e.g. en"}
TOOL_TABLE = "[tool.deckbuild]"
RISE_TABLE = "[tool.deckbuild.rise]"


@dataclasses.dataclass
class DeckSettings:
    """The settings the deck is rendered with; the defaults are the talk's."""

    theme: str = "white"
    transition: str = "none"
    width: int = 1280
    height: int = 720
    scroll: bool = True
    slideNumber: bool | str = "c/t"  # named as in RISE and reveal.js
    controls: bool = True
    progress: bool = True
    center: bool = False
    description: str = ""
    lang: str = "en"
    origins: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> the source
    # the project's file, where deckbuild/theme.py reads the theme; not a setting itself
    pyproject: Path | None = dataclasses.field(default=None, compare=False)

    def reveal_options(self) -> str:
        """The options for Reveal.initialize as a JSON object, safe inside <script>."""
        keys = ("transition", "width", "height", "slideNumber", "controls", "progress", "center")
        options = {key: getattr(self, key) for key in keys}
        return json.dumps(options).replace("</", "<\\/")

    def assets(self) -> dict[str, str]:
        """What the template needs: reveal.js and the theme inlined, the options, the page's."""
        return {
            **reveal_assets(self.theme),
            "reveal_options": self.reveal_options(),
            "deck_scroll": json.dumps(self.scroll),
            "lang": self.lang,
            "description": self.description,
        }


def bundled_themes() -> list[str]:
    return sorted(path.stem for path in (REVEAL / "theme").glob("*.css"))


def check_value(where: str, key: str, value: object) -> object:
    """The value if it suits key, else a BuildError naming where it was set."""
    bad = f"{where}: {key} = {json.dumps(value)}"
    if key == "theme":
        themes = bundled_themes()
        if value not in themes:
            raise BuildError(f"{bad} is not one of reveal.js's themes ({', '.join(themes)})")
    elif key == "transition":
        if value not in TRANSITIONS:
            raise BuildError(f"{bad}: use one of {', '.join(TRANSITIONS)}")
    elif key in {"width", "height"}:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise BuildError(f"{bad}: give a number of pixels, e.g. 1280")
    elif key == "slideNumber":
        if not isinstance(value, bool) and value not in SLIDE_NUMBERS:
            raise BuildError(f"{bad}: use true, false or one of {', '.join(SLIDE_NUMBERS)}")
    elif key in {"scroll", "controls", "progress", "center"}:
        if not isinstance(value, bool):
            raise BuildError(f"{bad}: use true or false")
    elif not isinstance(value, str) or not value.strip():
        raise BuildError(f"{bad}: give {PAGE_KEYS[key]} as text")
    return value


def unknown_key(where: str, key: str, known: Sequence[str]) -> None:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
    if key in RISE_KEYS:
        hint = f"it belongs in {RISE_TABLE}"
    warn(f"{where}: unknown setting {key!r} is ignored ({hint})")


def apply(
    settings: DeckSettings,
    where: str,
    table: Mapping[str, Any],
    known: Sequence[str],
    deck_wide: bool = False,
) -> None:
    """Set table's known keys on settings, warning about the others and naming where they are.

    A source's value (deck_wide false) that contradicts an earlier source's is ignored, with a
    warning: the sources share one deck. The project's table (deck_wide) sets the defaults.
    """
    if not isinstance(table, Mapping):
        raise BuildError(f"{where}: expected a table of settings, got {json.dumps(table)}")
    for key, value in table.items():
        if key in RISE_ONLY:
            warn(f"{where}: RISE's {key!r} has no effect in this deck ({RISE_ONLY[key]})")
            continue
        if key not in known:
            unknown_key(where, key, known)
            continue
        value = check_value(where, key, value)
        earlier = settings.origins.get(key)
        if not deck_wide and earlier is not None and getattr(settings, key) != value:
            warn(
                f"{where}: {key} = {json.dumps(value)} ignored, the deck already has "
                f"{json.dumps(getattr(settings, key))} from {earlier}"
            )
            continue
        setattr(settings, key, value)
        if not deck_wide:
            settings.origins[key] = where.split(":")[0]


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in start's folder or above: the deck's project."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def project_table(pyproject: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise BuildError(f"{display_path(pyproject)}: not valid TOML ({error})") from None
    table: dict[str, Any] = data.get("tool", {}).get("deckbuild", {})
    return table


def load_settings(sources: Sequence[Source]) -> DeckSettings:
    """Defaults, then the project's [tool.deckbuild], then each source's `rise` metadata in order.

    Sources share one deck: a source that contradicts an earlier one gets a warning and the
    earlier value stays. Unknown keys are warnings naming the file; bad values are errors.
    """
    settings = DeckSettings()
    pyproject = find_pyproject(sources[0].path.resolve().parent) if sources else None
    if pyproject is not None:
        settings.pyproject = pyproject
        table = dict(project_table(pyproject))
        table.pop(THEME_SETTING, None)  # the colour theme, light or dark: theme.py checks it
        name = display_path(pyproject)
        rise = table.pop("rise", {})
        apply(settings, f"{name} {TOOL_TABLE}", table, list(PAGE_KEYS), deck_wide=True)
        apply(settings, f"{name} {RISE_TABLE}", rise, list(RISE_KEYS), deck_wide=True)
    for source in sources:
        rise = source.notebook.metadata.get("rise")
        if rise is not None:
            apply(settings, f"{source.name}: rise metadata", rise, list(RISE_KEYS))
    return settings
