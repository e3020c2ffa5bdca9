"""Themes and designed slides without a browser: choosing a theme, the layout and header checks,
and what the rendered page carries. The deck in Chromium is tests/test_contrast.py's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from deckbuild.errors import BuildError
from deckbuild.render import merge, render
from deckbuild.settings import DeckSettings
from deckbuild.sources import read_source
from deckbuild.theme import THEMES, choose_theme, project_theme, theme_named
from tests.presenting import read_error, source_file

ROOT = Path(__file__).resolve().parents[1]
TITLE_HEADER = """\
# ---
# jupyter:
#   title_slide:
#     subtitle: A subtitle
#     speaker: A Speaker
#     event: An Event
#     date: '2026'
# ---

"""
TITLE = '# %% [markdown] slideshow={"slide_type": "slide"} layout="title"\n# # The talk\n\n'
SECTION = '# %% [markdown] slideshow={"slide_type": "slide"} layout="section"\n# # Part one\n\n'


def pyproject(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_theme_is_the_option_else_the_project_setting_else_light(tmp_path: Path) -> None:
    """--theme wins over [tool.deckbuild] theme, which wins over the default, light."""
    dark = pyproject(tmp_path, '[tool.deckbuild]\ntheme = "dark"\n')
    assert choose_theme(None, dark).name == "dark"
    assert choose_theme("light", dark).name == "light"
    assert choose_theme(None, pyproject(tmp_path, "[tool.other]\nx = 1\n")).name == "light"
    assert project_theme(tmp_path / "missing.toml").name == "light"


def test_an_unknown_theme_is_an_error_naming_where_it_was_set(tmp_path: Path) -> None:
    """A misspelt setting names pyproject.toml's table and suggests the nearest theme."""
    path = pyproject(tmp_path, '[tool.deckbuild]\ntheme = "drak"\n')
    with pytest.raises(BuildError, match=r"\[tool.deckbuild\] theme: unknown theme 'drak'"):
        project_theme(path)
    with pytest.raises(BuildError, match="did you mean dark"):
        theme_named("drak")
    reveal = pyproject(tmp_path, '[tool.deckbuild]\ntheme = "sky"\n')
    with pytest.raises(BuildError, match=r"reveal.js's themes go in \[tool.deckbuild.rise\]"):
        project_theme(reveal)


def test_build_refuses_an_unknown_theme_option() -> None:
    """build.py build --theme offers light and dark, and nothing else."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", "--theme", "sepia"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "argument --theme: invalid choice: 'sepia'" in result.stderr
    assert "light" in result.stderr.splitlines()[-1]
    assert "dark" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TITLE.replace('"title"', '"tilte"'), "unknown layout 'tilte' (did you mean title?)"),
        (TITLE.replace("slide_type", "x").replace('"slide"', '""'), "goes on the markdown cell"),
        ('# %% slideshow={"slide_type": "slide"} layout="section"\nx = 1\n', "markdown cell"),
        (SECTION.replace("# # Part one", "# Part one"), "opens with its heading"),
    ],
)
def test_a_bad_layout_is_an_error_naming_file_line_and_cell(
    tmp_path: Path, text: str, message: str
) -> None:
    """layout names a known design on the markdown cell that starts a slide, with a heading."""
    error = read_error(source_file(tmp_path, text))
    assert "deck.py:1: cell 1: " in error
    assert message in error


@pytest.mark.parametrize(
    ("header", "body", "message"),
    [
        (TITLE_HEADER.replace("speaker:", "speeker:"), TITLE, "unknown key 'speeker' (did you"),
        (TITLE_HEADER, SECTION, 'no cell has layout="title" to show it'),
        (TITLE_HEADER, TITLE + TITLE, 'cell 2: a second layout="title" cell in one file'),
        (TITLE_HEADER.replace("A Speaker", "[]"), TITLE, "speaker must be text"),
    ],
)
def test_a_bad_title_header_is_an_error(
    tmp_path: Path, header: str, body: str, message: str
) -> None:
    """The header's title_slide has known text fields and a title slide to show them on."""
    assert message in read_error(source_file(tmp_path, header + body))


@pytest.fixture(scope="module")
def designed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BeautifulSoup]:
    """A title, a section and a code cell, rendered in each theme (no kernel needed)."""
    folder = tmp_path_factory.mktemp("designed")
    path = source_file(folder, TITLE_HEADER + TITLE + SECTION + "# %%\n# a comment\nx = 1\n")
    source = read_source(path)
    return {
        name: BeautifulSoup(
            render(merge([source.notebook], "The talk"), DeckSettings().assets(), theme=theme),
            "html.parser",
        )
        for name, theme in THEMES.items()
    }


def test_the_title_slide_shows_the_header(designed: dict[str, BeautifulSoup]) -> None:
    """The title slide: its heading, then subtitle, speaker, and event · date from the header."""
    title = designed["light"].select_one("section.deck-title")
    assert isinstance(title, Tag)
    assert title.h1 is not None
    assert title.h1.get_text().strip("¶") == "The talk"
    meta = [p.get_text() for p in title.select(".deck-title-meta p")]
    assert meta == ["A subtitle", "A Speaker", "An Event · 2026"]
    assert designed["light"].select_one("section.deck-section h1") is not None


def test_each_theme_brings_its_palette_and_code_colours(designed: dict[str, BeautifulSoup]) -> None:
    """The page names its theme, inlines its palette and accessible-pygments' colours for it."""
    light, dark = designed["light"], designed["dark"]
    for soup, name in ((light, "light"), (dark, "dark")):
        assert soup.body is not None
        assert soup.body["data-deck-theme"] == name
        palette = soup.select_one("style#deck-palette")
        assert palette is not None
        assert f"color-scheme: {name}" in palette.get_text()
    styles = [
        " ".join(style.get_text() for style in soup.find_all("style")) for soup in designed.values()
    ]
    assert "#515151" in styles[0]
    assert "#515151" not in styles[1]
    assert "#2b2b2b" in styles[1]  # a11y-high-contrast-dark's background
    # nbconvert's default, JupyterLab's CodeMirror colours (operators 4.39:1 on white), is gone
    assert "color: var(--jp-mirror-editor" not in styles[0]
