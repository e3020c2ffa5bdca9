"""Deck settings: RISE's `rise` metadata and [tool.deckbuild] honoured, the rest named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from deckbuild.errors import WARNING_PREFIX, BuildError
from deckbuild.inline import reveal_assets
from deckbuild.settings import DeckSettings, bundled_themes, load_settings
from deckbuild.sources import Source, read_source
from tests.deckcheck import css_loads
from tests.presenting import ROOT, build_deck, stage_page

RISE_DECK = ROOT / "tests" / "decks" / "rise" / "rise.py"
READY = "() => window.Reveal !== undefined && Reveal.isReady()"


def write_source(folder: Path, name: str = "deck.py", rise: str = "") -> Source:
    """A one-cell percent-format file in folder, with `rise:` metadata lines if given."""
    header = "# ---\n# jupyter:\n#   jupytext:\n#     formats: py:percent\n"
    if rise:
        header += "#   rise:\n" + "".join(f"#     {line}\n" for line in rise.splitlines())
    path = folder / name
    path.write_text(header + "# ---\n\n# %% [markdown]\n# # Title\n", encoding="utf-8")
    return read_source(path)


def warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err
    return [line.removeprefix(f"{WARNING_PREFIX} ") for line in err.splitlines()]


def test_defaults_are_the_talks_stage(tmp_path: Path) -> None:
    """Without a pyproject table or rise metadata: white, no transition, c/t, 1280x720."""
    settings = load_settings([write_source(tmp_path)])
    assert settings == DeckSettings()
    options = json.loads(settings.reveal_options())
    assert options["transition"] == "none"
    assert (options["width"], options["height"], options["slideNumber"]) == (1280, 720, "c/t")


def test_rise_metadata_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """theme, transition, width, height, scroll and slideNumber come from the notebook."""
    rise = "theme: sky\ntransition: zoom\nwidth: 1024\nheight: 768\nscroll: false\nslideNumber: h.v"
    settings = load_settings([write_source(tmp_path, rise=rise)])
    assert (settings.theme, settings.transition, settings.width, settings.height) == (
        "sky",
        "zoom",
        1024,
        768,
    )
    assert settings.scroll is False
    assert settings.slideNumber == "h.v"
    assert warnings(capsys) == []


def test_the_project_table_sets_every_source_and_a_notebook_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """[tool.deckbuild.rise] applies to all sources; a source's own rise metadata overrides it."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.deckbuild]\ndescription = "A deck"\nlang = "fr"\n\n'
        '[tool.deckbuild.rise]\ntheme = "night"\ntransition = "fade"\n',
        encoding="utf-8",
    )
    first = write_source(tmp_path, "a.py", rise="transition: convex")
    second = write_source(tmp_path, "b.py")
    settings = load_settings([first, second])
    assert (settings.theme, settings.transition) == ("night", "convex")
    assert (settings.description, settings.lang) == ("A deck", "fr")
    assert warnings(capsys) == []


def test_unknown_and_rise_only_keys_are_named_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt key suggests the right one; RISE-only keys say why they do nothing."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.deckbuild]\ntheme = "sky"\n\n[tool.deckbuild.rise]\nwidht = 1000\n',
        encoding="utf-8",
    )
    source = write_source(tmp_path, rise="autolaunch: true\ntransiton: fade")
    settings = load_settings([source])
    assert settings == DeckSettings(origins={})
    pyproject = tmp_path / "pyproject.toml"
    # [tool.deckbuild] theme is the colour theme, light or dark: deckbuild/theme.py checks it
    # (tests/test_theme.py), and names [tool.deckbuild.rise] for a reveal.js theme such as sky
    assert warnings(capsys) == [
        f"{pyproject} [tool.deckbuild.rise]: unknown setting 'widht' is ignored "
        "(did you mean width?)",
        f"{source.name}: rise metadata: RISE's 'autolaunch' has no effect in this deck "
        "(the deck is always a slideshow)",
        f"{source.name}: rise metadata: unknown setting 'transiton' is ignored "
        "(did you mean transition?)",
    ]


def test_sources_that_disagree_keep_the_first_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sources share one deck: the second source's different theme is ignored, with a warning."""
    first = write_source(tmp_path, "a.py", rise="theme: sky")
    second = write_source(tmp_path, "b.py", rise="theme: night")
    assert load_settings([first, second]).theme == "sky"
    assert warnings(capsys) == [
        f'{second.name}: rise metadata: theme = "night" ignored, '
        f'the deck already has "sky" from {first.name}'
    ]


@pytest.mark.parametrize(
    ("rise", "message"),
    [
        ("theme: neon", 'theme = "neon" is not one of reveal.js\'s themes (beige, black'),
        ("transition: spin", 'transition = "spin": use one of none, fade, slide'),
        ("width: wide", 'width = "wide": give a number of pixels, e.g. 1280'),
        ("slideNumber: x", 'slideNumber = "x": use true, false or one of h.v'),
        ("scroll: 1", "scroll = 1: use true or false"),
    ],
)
def test_bad_values_are_errors_naming_the_file(tmp_path: Path, rise: str, message: str) -> None:
    """A value reveal.js would not understand stops the build, naming the file and key."""
    source = write_source(tmp_path, rise=rise)
    with pytest.raises(BuildError) as raised:
        load_settings([source])
    assert str(raised.value).startswith(f"{source.name}: rise metadata: {message}")


def test_every_bundled_theme_inlines_with_nothing_from_outside(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """All 14 reveal.js themes inline; a theme's web-font @import is left out, with a warning."""
    themes = bundled_themes()
    assert {"white", "black", "serif", "sky", "night", "dracula", "white-contrast"} <= set(themes)
    for theme in themes:
        css = reveal_assets(theme)["theme_css"]
        assert css_loads(css) == [], theme
    left_out = [line for line in warnings(capsys) if "left out" in line]
    assert any("sky.css: @import https://fonts.googleapis.com" in line for line in left_out)


def test_cell_style_and_unknown_cell_metadata_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RISE's cell_style and an unknown key warn with file, line and cell; editor keys do not."""
    path = tmp_path / "deck.py"
    path.write_text(
        '# %% [markdown] cell_style="split"\n# one\n\n# %% colour="red" collapsed=true\nx = 1\n',
        encoding="utf-8",
    )
    read_source(path)
    assert warnings(capsys) == [
        f"{path}:1: cell 1: cell metadata 'cell_style' has no effect here "
        "(RISE's side-by-side cells: the deck shows cells one under the other)",
        f"{path}:4: cell 2: cell metadata 'colour' has no effect here "
        "(not one of layout, minutes, raises, slideshow, steps, tags)",
    ]


@pytest.fixture(scope="module")
def rise_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The RISE fixture deck built; its deck and build.py's stderr."""
    folder = tmp_path_factory.mktemp("rise")
    result = build_deck(RISE_DECK, folder)
    assert result.returncode == 0, result.stderr
    return folder / "index.html", result.stderr


def test_the_rise_deck_warns_by_name(rise_build: tuple[Path, str]) -> None:
    """The build names the RISE-only key, the misspelt one and both split cells."""
    warned = [line for line in rise_build[1].splitlines() if line.startswith(WARNING_PREFIX)]
    assert len(warned) == 4
    assert sum("'cell_style'" in line for line in warned) == 2
    assert any("'autolaunch'" in line for line in warned)
    assert any("'them' is ignored (did you mean theme?)" in line for line in warned)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with stage_page() as opened:
        yield opened


def test_reveal_runs_with_the_rise_settings(page: Page, rise_build: tuple[Path, str]) -> None:
    """reveal.js's config has the deck's transition, size, numbers, controls; serif shows."""
    page.goto(rise_build[0].as_uri())
    page.wait_for_function(READY)
    config = page.evaluate(
        """() => { const c = Reveal.getConfig();
                   return [c.transition, c.width, c.height, c.slideNumber, c.controls]; }"""
    )
    assert config == ["fade", 1024, 768, False, False]
    font = page.evaluate("() => getComputedStyle(document.querySelector('.reveal')).fontFamily")
    assert "Palatino" in font  # reveal.js's serif theme
    assert page.evaluate("() => document.documentElement.lang") == "en"


def test_scroll_false_cuts_a_long_slide_off(page: Page, rise_build: tuple[Path, str]) -> None:
    """With scroll: false the hundred-line slide is zoomed out as far as it goes, never scrolled."""
    page.goto(rise_build[0].as_uri() + "#/0/2")
    page.wait_for_function(READY)
    page.evaluate("() => document.fonts.ready")
    slide = page.evaluate(
        """() => { const slide = Reveal.getCurrentSlide();
                   return [slide.dataset.zoom, slide.classList.contains('deck-scroll'),
                           slide.scrollHeight > slide.clientHeight]; }"""
    )
    assert slide == ["0.6", False, True]
