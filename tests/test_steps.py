"""Code steps: `steps="1-4|6-12|14"` on a code cell walks its lines one group at a time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupytext
import pytest
from playwright.sync_api import Page

from deckbuild.errors import BuildError
from deckbuild.sources import read_source
from tests.presenting import ROOT, build_deck, declared_slides, read_notebook, stage_page

HEADER = "# ---\n# jupyter:\n#   jupytext:\n#     formats: py:percent\n# ---\n\n"
SEVEN_LINES = "\n".join(f"x{n} = {n}" for n in range(1, 8))
# A block far taller than the 720 px stage, opening with a string that spans lines 1-3.
LONG_CODE = "\n".join(
    ['TEXT = """a string', "that spans", 'three lines"""']
    + [f"value_{n} = {n}  # line {n}" for n in range(4, 41)]
)
LONG_STEPS = [range(1, 4), range(20, 23), range(38, 41)]  # steps="1-3|20-22|38-40"
STEPPED_DECK = (
    HEADER
    + '# %% [markdown] slideshow={"slide_type": "slide"}\n# # Stepped deck\n\n'
    + '# %% slideshow={"slide_type": "subslide"} steps="1-3|20-22|38-40"\n'
    + LONG_CODE
    + '\n\n# %% [markdown] slideshow={"slide_type": "fragment"}\n# AFTER-THE-STEPS\n\n'
    + '# %% slideshow={"slide_type": "subslide"} steps="1-3|4-7"\n'
    + SEVEN_LINES
    + "\n"
)
READY = "() => window.Reveal !== undefined && Reveal.isReady()"
# reveal.js's print view, once the fit script has fitted its pages and split the stepped ones
PRINTED = "() => document.documentElement.dataset.deckPrint === 'ready'"


def write_deck(folder: Path, cells: str) -> Path:
    path = folder / "deck.py"
    path.write_text(HEADER + cells, encoding="utf-8")
    return path


def test_good_steps_are_read_into_the_cell_metadata(tmp_path: Path) -> None:
    """Lines, ranges, lists and spaces are accepted, and the cell keeps its steps string."""
    path = write_deck(tmp_path, f'# %% steps="1-2, 4|3|5 - 7"\n{SEVEN_LINES}\n')
    source = read_source(path)
    assert source.notebook.cells[0].metadata["steps"] == "1-2, 4|3|5 - 7"


def test_lines_are_counted_as_the_slide_shows_them(tmp_path: Path) -> None:
    """Blank lines before and after a cell's code are not on the slide, so they do not count."""
    path = write_deck(tmp_path, f'# %% steps="1|8"\n\n\n{SEVEN_LINES}\n\n\n# %%\npass\n')
    cell = jupytext.read(path, fmt="py:percent").cells[0]
    assert cell.source.startswith("\n")  # jupytext keeps them; pygments drops them
    with pytest.raises(BuildError, match="line 8 is past the cell's 7 lines"):
        read_source(path)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ('steps="1-4|9"', 'steps "1-4|9": line 9 is past the cell\'s 7 lines'),
        ('steps="1||2"', 'steps "1||2": step 2 is empty (give lines, e.g. 3 or 6-12)'),
        ('steps="1-2|a"', "steps \"1-2|a\": 'a' is neither a line number nor a range a-b"),
        ('steps="1-2|3-"', "steps \"1-2|3-\": '3-' is neither a line number nor a range a-b"),
        ('steps="4-2"', 'steps "4-2": the range 4-2 runs backwards'),
        ('steps="0-2"', 'steps "0-2": line 0 does not exist (lines count from 1)'),
        ("steps=3", 'steps must be a string like "1-4|6-12|14", got 3'),
        (
            'steps="1|2" tags=["remove-input"]',
            'steps "1|2": the cell is tagged remove-input, so no code is shown to step',
        ),
        (
            'slideshow={"slide_type": "notes"} steps="1|2"',
            'steps "1|2": a notes cell is not on a slide, so it has no steps',
        ),
    ],
)
def test_bad_steps_name_file_line_and_cell(tmp_path: Path, metadata: str, expected: str) -> None:
    """Each bad steps value is one BuildError naming the file, the cell's line and number."""
    path = write_deck(tmp_path, f"# %% [markdown]\n# # Title\n\n# %% {metadata}\n{SEVEN_LINES}\n")
    with pytest.raises(BuildError) as raised:
        read_source(path)
    assert str(raised.value) == f"{path}:10: cell 2: {expected}"


def test_steps_on_a_markdown_cell_are_refused(tmp_path: Path) -> None:
    """Prose has no lines to highlight: steps belong on code cells."""
    path = write_deck(tmp_path, '# %% [markdown] steps="1|2"\n# one\n# two\n')
    with pytest.raises(BuildError, match=r"deck\.py:7: cell 1: steps \"1\|2\": steps go on code"):
        read_source(path)


def test_build_fails_with_one_line_for_bad_steps(tmp_path: Path) -> None:
    """`build.py build` exits 1 with the one error line before any kernel runs."""
    path = write_deck(
        tmp_path, f'# %% [markdown]\n# # Title\n\n# %% steps="1-4|9"\n{SEVEN_LINES}\n'
    )
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, BUILD_CACHE_DIR=str(tmp_path / "cache")),
        timeout=120,
        check=False,
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("build.py:")]
    assert result.returncode == 1
    assert errors == [
        f'build.py: error: {path}:10: cell 2: steps "1-4|9": line 9 is past the cell\'s 7 lines'
    ]
    assert not (tmp_path / "out" / "index.html").exists()


def test_each_step_after_the_first_is_a_declared_fragment(tmp_path: Path) -> None:
    """The tests' model of the deck counts steps "a|b|c" as two fragments, plus real ones."""
    path = tmp_path / "deck.py"
    path.write_text(STEPPED_DECK, encoding="utf-8")
    slides = declared_slides([read_notebook(path)])
    assert [(slide.h, slide.v, slide.fragments) for slide in slides] == [
        (0, 0, 0),
        (0, 1, 3),
        (0, 2, 1),
    ]


@pytest.fixture(scope="module")
def stepped_deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """STEPPED_DECK built into a temporary folder, with its own execution cache."""
    folder = tmp_path_factory.mktemp("steps")
    source = folder / "deck.py"
    source.write_text(STEPPED_DECK, encoding="utf-8")
    result = build_deck(source, folder)
    assert result.returncode == 0, result.stderr
    return folder / "index.html"


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    """A 1280x720 Chromium page that opens decks from file://."""
    with stage_page() as opened:
        yield opened


# Per line of the stepped block: its text, whether it is dimmed, and whether it lies inside the
# block's visible box (the block is capped to the slide and scrolls).
LINES = """() => {
  const pre = document.querySelector('.deck-steps pre');
  const box = pre.getBoundingClientRect();
  return Array.from(pre.querySelectorAll('.deck-line'), (line) => {
    const r = line.getBoundingClientRect();
    return {text: line.textContent, dim: line.classList.contains('deck-dim'),
            inView: r.top >= box.top - 1 && r.bottom <= box.bottom + 1};
  });
}"""


def lit_lines(page: Page) -> list[int]:
    """The 1-based numbers of the block's lines that are not dimmed."""
    return [n for n, line in enumerate(page.evaluate(LINES), 1) if not line["dim"]]


def test_right_walks_the_steps_then_the_next_fragment(page: Page, stepped_deck: Path) -> None:
    """The slide opens on lines 1-3; Right moves to 20-22, 38-40, then the prose fragment."""
    page.goto(stepped_deck.as_uri() + "#/0/1")
    page.wait_for_function(READY)
    lines = page.evaluate(LINES)
    assert [line["text"] for line in lines] == LONG_CODE.splitlines()
    after = "() => document.querySelector('div.fragment').classList.contains('visible')"
    for step, expected in enumerate(LONG_STEPS):
        if step:
            page.keyboard.press("ArrowRight")
        assert page.evaluate("() => Reveal.getIndices()") == {"h": 0, "v": 1, "f": step - 1}
        assert lit_lines(page) == list(expected)
        assert all(line["inView"] for line in page.evaluate(LINES) if not line["dim"])
        assert not page.evaluate(after)
    page.keyboard.press("ArrowRight")
    assert lit_lines(page) == list(LONG_STEPS[-1])
    assert page.evaluate(after)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert lit_lines(page) == list(LONG_STEPS[1])


def test_a_stepped_slide_keeps_its_code_full_size(page: Page, stepped_deck: Path) -> None:
    """The fit script caps the long block to scroll instead of zooming the slide out."""
    page.goto(stepped_deck.as_uri() + "#/0/1")
    page.wait_for_function(READY)
    slide = page.evaluate(
        """() => {
          const slide = Reveal.getCurrentSlide();
          const pre = slide.querySelector('.deck-steps pre');
          return {zoom: slide.dataset.zoom || null, fits: slide.scrollHeight <= slide.clientHeight,
                  scrolls: pre.scrollHeight > pre.clientHeight};
        }"""
    )
    assert slide == {"zoom": None, "fits": True, "scrolls": True}


# Per page of the print view that shows a stepped block: its slide number, and per line of the
# block its text, whether it is dimmed, whether it shows (inside the block's box and the page), and
# the code's printed size: its computed font-size times the zooms of the block and its ancestors.
PRINTED_BLOCKS = """() => Array.from(document.querySelectorAll('.pdf-page'))
  .filter((page) => page.querySelector('.deck-steps pre'))
  .map((page) => {
    const pre = page.querySelector('.deck-steps pre');
    const box = pre.getBoundingClientRect();
    const sheet = page.getBoundingClientRect();
    let zoom = 1;
    for (let el = pre; el; el = el.parentElement) zoom *= parseFloat(getComputedStyle(el).zoom);
    return {
      number: page.querySelector('.slide-number-pdf')?.textContent ?? null,
      size: parseFloat(getComputedStyle(pre).fontSize) * zoom,
      lines: Array.from(pre.querySelectorAll('.deck-line'), (line) => {
        const r = line.getBoundingClientRect();
        return {text: line.textContent, dim: line.classList.contains('deck-dim'),
                shows: r.top >= Math.max(box.top, sheet.top) - 1
                       && r.bottom <= Math.min(box.bottom, sheet.bottom) + 1};
      }),
    };
  })"""
SCREEN_CODE_SIZE = """() => {
  const pre = Reveal.getCurrentSlide().querySelector('.deck-steps pre');
  let zoom = 1;
  for (let el = pre; el; el = el.parentElement) zoom *= parseFloat(getComputedStyle(el).zoom);
  return parseFloat(getComputedStyle(pre).fontSize) * zoom;
}"""


def printed_blocks(page: Page, deck: Path) -> list[dict[str, Any]]:
    """PRINTED_BLOCKS of the deck's print view, page by page, once its pages are final."""
    page.goto(deck.as_uri() + "?print-pdf")
    page.wait_for_function("() => document.querySelector('.pdf-page')")
    blocks: list[dict[str, Any]] = page.evaluate(PRINTED_BLOCKS)
    # the fit script splits and fits the pages as reveal.js dispatches pdf-ready, before the
    # pages can be seen; it says so, for build.py pdf to wait on
    assert page.evaluate(PRINTED)
    return blocks


def pages_of(page: Page, deck: Path, slide: str, code: str) -> tuple[float, list[dict[str, Any]]]:
    """The code's size on screen at slide (a `#/h/v` hash), and the printed blocks of that code."""
    page.goto(deck.as_uri() + slide)
    page.wait_for_function(READY)
    on_screen: float = page.evaluate(SCREEN_CODE_SIZE)
    lines = code.splitlines()
    blocks = printed_blocks(page, deck)
    return on_screen, [b for b in blocks if [line["text"] for line in b["lines"]] == lines]


def test_print_view_prints_a_long_stepped_block_a_page_per_step(
    page: Page, stepped_deck: Path
) -> None:
    """A block too long for its page prints as one page per step, numbered as reveal.js numbers
    fragments (n, n.1, n.2): each page has its step's lines undimmed and on the page, the others
    dimmed, and the code at no less than its size on screen."""
    on_screen, long_pages = pages_of(page, stepped_deck, "#/0/1", LONG_CODE)
    assert len(long_pages) == len(LONG_STEPS)
    first = long_pages[0]["number"]
    assert first
    assert [block["number"] for block in long_pages] == [first, f"{first}.1", f"{first}.2"]
    for block, expected in zip(long_pages, LONG_STEPS, strict=True):
        lit = [n for n, line in enumerate(block["lines"], 1) if not line["dim"]]
        assert lit == list(expected), block["number"]
        assert all(block["lines"][n - 1]["shows"] for n in lit), block["number"]
        assert not all(line["shows"] for line in block["lines"]), "the whole block shows"
        assert block["size"] >= on_screen - 0.01, block["number"]


def test_print_view_prints_a_short_stepped_block_whole_on_one_page(
    page: Page, stepped_deck: Path
) -> None:
    """A stepped block that fits its page prints once, every line undimmed and shown, full size."""
    on_screen, short_pages = pages_of(page, stepped_deck, "#/0/2", SEVEN_LINES)
    assert len(short_pages) == 1
    assert "." not in (short_pages[0]["number"] or "")
    assert [line for line in short_pages[0]["lines"] if line["dim"] or not line["shows"]] == []
    assert short_pages[0]["size"] >= on_screen - 0.01
