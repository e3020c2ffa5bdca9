"""Math in markdown cells: found as pandoc finds it, typeset by KaTeX at build time, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Page, Route

from deckbuild.errors import BuildError
from deckbuild.math import Typesetter, find_math
from deckbuild.sources import read_source
from tests.deckcheck import outside_urls
from tests.presenting import LOCAL_SCHEMES, ROOT, build_deck, stage_page

MATH_DECK = ROOT / "tests" / "decks" / "math" / "math.py"
GOOD_DECK = ROOT / "tests" / "decks" / "good" / "01_first.py"
HEADER = "# ---\n# jupyter:\n#   jupytext:\n#     formats: py:percent\n# ---\n\n"
READY = "() => window.Reveal !== undefined && Reveal.isReady()"


def formulas(text: str) -> list[tuple[str, bool]]:
    return [(tex, display) for _, _, tex, display in find_math(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Euler: $e^{i\\pi} + 1 = 0$.", [("e^{i\\pi} + 1 = 0", False)]),
        ("$$\n\\sum_k k\n$$", [("\\sum_k k", True)]),
        ("\\(a^2\\) and \\[b^2\\]", [("a^2", False), ("b^2", True)]),
        ("$a$ and $b$", [("a", False), ("b", False)]),
        ("$x$, then $$y$$", [("x", False), ("y", True)]),
    ],
)
def test_each_delimiter_is_found(text: str, expected: list[tuple[str, bool]]) -> None:
    """$...$ and \\(...\\) are inline, $$...$$ and \\[...\\] displayed."""
    assert formulas(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A coffee costs \\$5 and a cake \\$6.",  # escaped
        "It costs $5 and $6.",  # pandoc's rule: a closing $ has no space before it
        "Run `echo $HOME` or `$x$` in a shell.",  # code spans
        "```sh\nprice=$5; echo $price$\n```",  # fenced code
        "Opened $x\n\nand closed in another paragraph$",  # not across a blank line
        "A lone $ sign.",
    ],
)
def test_dollars_that_are_not_math_stay_text(text: str) -> None:
    """Escaped dollars, prices, code and unclosed dollars are not formulas."""
    assert formulas(text) == []


def test_a_bad_formula_names_file_line_and_cell(tmp_path: Path) -> None:
    """KaTeX's parse error is one BuildError naming where the formula was written."""
    path = tmp_path / "deck.py"
    path.write_text(HEADER + "# %% [markdown]\n# # Title\n#\n# Broken: $\\frac{1$\n", "utf-8")
    typesetter = Typesetter()
    typesetter.take_out(read_source(path))
    with pytest.raises(BuildError) as raised:
        typesetter.typeset()
    assert str(raised.value).startswith(f"{path}:10: cell 1: cannot typeset $\\frac{{1$: KaTeX")


def test_a_formula_in_a_heading_keeps_the_anchor_valid(tmp_path: Path) -> None:
    """A heading's id and anchor repeat its text: the formula becomes a word there, not markup."""
    path = tmp_path / "deck.py"
    path.write_text(HEADER + "# %% [markdown]\n# # Sum $n$ up\n", "utf-8")
    source = read_source(path)
    typesetter = Typesetter()
    typesetter.take_out(source)
    typesetter.typeset()
    token = typesetter.notebook(source).cells[0].source.split()[2]
    deck = f'<html><head></head><h1 id="Sum-{token}-up">Sum {token} up<a href="#Sum-{token}-up">'
    soup = BeautifulSoup(typesetter.put_in(deck), "html.parser")
    heading = soup.select_one("h1")
    assert heading is not None
    assert heading["id"] == "Sum-math-up"
    assert len(heading.select(".katex")) == 1
    assert "$" not in source.notebook.cells[0].source.replace("$n$", "")  # the source is as read


def build(source: Path, folder: Path) -> str:
    """build.py build of one source into folder; the deck's HTML."""
    result = build_deck(source, folder)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    return (folder / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def math_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("math")
    build(MATH_DECK, folder)
    return folder / "index.html"


def test_the_math_deck_is_typeset_at_build_time(math_deck: Path) -> None:
    """Five formulas (two displayed, one in the notes) are KaTeX's HTML, fonts inline."""
    html = math_deck.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.select(".slides .katex")) == 5
    assert len(soup.select(".slides .katex-display")) == 2
    assert len(soup.select("aside.notes .katex")) == 1
    katex_css = soup.select_one("style#katex")
    assert katex_css is not None
    assert katex_css.get_text().count("data:font/woff2;base64,") >= 10
    assert ".woff)" not in katex_css.get_text()  # one format of each font, not three
    assert outside_urls(html) == []


def test_a_deck_without_math_does_not_grow(tmp_path: Path) -> None:
    """No KaTeX stylesheet, fonts or script in a deck that has no formula."""
    html = build(GOOD_DECK, tmp_path)
    assert "katex" not in html.lower()


@pytest.fixture(scope="module")
def page() -> Iterator[tuple[Page, list[str]]]:
    """A 1280x720 Chromium page, and the addresses outside file:// and data: it asked for."""
    outside: list[str] = []

    def refuse(route: Route) -> None:
        if route.request.url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with stage_page() as page:
        page.route("**/*", refuse)
        yield page, outside


# The prose of the slides, outside formulas, code and notes: where a raw delimiter would show.
PROSE = """() => {
  const slides = document.querySelector('.slides').cloneNode(true);
  const hidden = '.katex, pre, code, aside.notes, .jp-OutputArea';
  slides.querySelectorAll(hidden).forEach((element) => element.remove());
  return slides.textContent;
}"""


def test_math_is_typeset_in_chromium_with_nothing_from_outside(
    page: tuple[Page, list[str]], math_deck: Path
) -> None:
    """KaTeX's elements show with its own fonts, no raw $ or \\( is left, nothing loads."""
    browser_page, outside = page
    browser_page.goto(math_deck.as_uri())
    browser_page.wait_for_function(READY)
    browser_page.evaluate("() => document.fonts.ready")
    shown = browser_page.evaluate(
        """() => Array.from(document.querySelectorAll('.slides .katex-html'),
                 (e) => e.getBoundingClientRect().width > 0 || e.closest('aside') !== null)"""
    )
    assert shown == [True] * 5
    loaded = browser_page.evaluate(
        """() => Array.from(document.fonts)
                      .filter((font) => font.status === 'loaded').map((font) => font.family)"""
    )
    assert {"KaTeX_Main", "KaTeX_Math"} <= {family.strip('"') for family in loaded}
    prose = browser_page.evaluate(PROSE)
    assert "costs $5 and a cake $6" in prose  # the escaped dollars, as text
    assert prose.count("$") == 2
    assert "\\(" not in prose
    assert "\\[" not in prose
    code = browser_page.evaluate("() => document.querySelector('.slides').textContent")
    for typed in ("echo $HOME", 'echo "$price$"', "ONLY $1"):
        assert typed in code
    assert outside == []
