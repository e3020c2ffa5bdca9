"""The deck's colour theme, light or dark: its palette, code colours and where it is chosen.

A theme is chosen at build time (`build.py build --theme dark`), else by the project's
`[tool.deckbuild] theme` setting in pyproject.toml, else it is light. It changes only how the
deck is rendered, so switching themes executes nothing: the execution cache still applies.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path

from deckbuild.errors import BuildError
from deckbuild.inline import inline_css
from deckbuild.paths import REVEAL, ROOT, TEMPLATE_NAME, TEMPLATES, display_path

SETTINGS_TABLE = "[tool.deckbuild]"
SETTING = "theme"
STATIC = TEMPLATES / TEMPLATE_NAME / "static"


@dataclasses.dataclass(frozen=True)
class Theme:
    """What a theme sets: a palette stylesheet, a pygments style, JupyterLab's light or dark."""

    name: str
    pygments_style: str  # from accessible-pygments: made to meet WCAG contrast
    palette: str  # a file in the template's static folder: the colours as CSS variables
    dark: bool

    def resources(self) -> dict[str, str]:
        """What the template needs to know of the theme, as text."""
        return {
            "name": self.name,
            "palette_css": inline_css(STATIC / self.palette),
            "jupyter_theme": "dark" if self.dark else "light",
        }


THEMES = {
    "light": Theme("light", "a11y-high-contrast-light", "palette-light.css", dark=False),
    "dark": Theme("dark", "a11y-high-contrast-dark", "palette-dark.css", dark=True),
}
DEFAULT_THEME = "light"


def theme_named(name: str, where: str = "--theme") -> Theme:
    """The theme called name; anything else is an error naming where it was asked for."""
    if name in THEMES:
        return THEMES[name]
    close = difflib.get_close_matches(str(name), list(THEMES), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}?" if close else f"use one of {', '.join(THEMES)}"
    if (REVEAL / "theme" / f"{name}.css").is_file():
        hint = f"use {' or '.join(THEMES)}; reveal.js's themes go in {SETTINGS_TABLE[:-1]}.rise]"
    raise BuildError(f"{where}: unknown theme {name!r} ({hint})")


def project_theme(pyproject: Path | None = ROOT / "pyproject.toml") -> Theme:
    """The theme pyproject.toml's [tool.deckbuild] sets, else the default (light)."""
    if pyproject is None or not pyproject.is_file():
        return THEMES[DEFAULT_THEME]
    try:
        settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise BuildError(f"{display_path(pyproject)}: {error}") from None
    table = settings.get("tool", {}).get("deckbuild", {})
    if not isinstance(table, dict) or SETTING not in table:
        return THEMES[DEFAULT_THEME]
    return theme_named(table[SETTING], f"{display_path(pyproject)}: {SETTINGS_TABLE} {SETTING}")


def choose_theme(name: str | None, pyproject: Path | None = ROOT / "pyproject.toml") -> Theme:
    """The command line's --theme if given, else the project's setting."""
    return theme_named(name) if name is not None else project_theme(pyproject)
