"""Rendering through the cache: the same deck as rendering everything anew, and as nbconvert's.

The first tests start no kernel: they give the fixture deck's code cells made-up outputs. The
last builds through build.py with the cache and with --no-cache and compares the two decks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from deckbuild.cache import ExecutionCache
from deckbuild.errors import BuildError
from deckbuild.fragments import Renderer
from deckbuild.inline import inline_images, reveal_assets
from deckbuild.render import deck_title, merge, render, split_sections
from deckbuild.sources import Source, code_cells, read_source
from tests.deckcheck import slide_sections

ROOT = Path(__file__).resolve().parents[1]
GOOD = sorted((ROOT / "tests" / "decks" / "good").glob("[0-9]*.py"))
TIMING = re.compile(r'\sdata-timing="[^"]*"')  # per-slide timings, not structure


def masked(deck: str) -> str:
    return TIMING.sub("", deck)


def executed(path: Path) -> Source:
    """The source with every code cell's output made up: a line naming its cell."""
    source = read_source(path)
    inline_images(source)
    for cell in code_cells(source.notebook):
        text = f"OUTPUT-OF-{cell.id}\n"
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]  # type: ignore[no-untyped-call]
        cell.execution_count = 1
    source.notebook.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return source


def copies(folder: Path) -> list[Path]:
    """The good fixture deck copied to folder, so that a test can edit it."""
    found = []
    for path in GOOD:
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        found.append(folder / path.name)
    (folder / "square.svg").write_bytes((GOOD[0].parent / "square.svg").read_bytes())
    return found


def deck(sources: list[Source], renderer: Renderer) -> str:
    return renderer.deck(sources, deck_title(sources), reveal_assets())


def test_cached_and_fresh_renderings_are_the_same_deck(tmp_path: Path) -> None:
    """A deck assembled from the cache equals one rendered anew, byte for byte."""
    sources = [executed(path) for path in GOOD]
    cache = ExecutionCache(tmp_path / "cache")
    fresh = deck(sources, Renderer(None))
    first = Renderer(cache)
    assert deck(sources, first) == fresh
    assert first.rendered == GOOD  # an empty cache: every file rendered
    again = Renderer(cache)
    assert deck([executed(path) for path in GOOD], again) == fresh
    assert again.rendered == []  # everything from the cache
    forced = Renderer(cache, reuse=False)
    assert deck(sources, forced) == fresh
    assert forced.rendered == GOOD  # --no-cache renders everything again


def test_assembled_deck_is_the_deck_of_the_merged_notebook(tmp_path: Path) -> None:
    """Rendering file by file gives what nbconvert gives for all files as one notebook."""
    sources = [executed(path) for path in GOOD]
    merged = merge([s.notebook for s in sources], deck_title(sources))
    whole = render(merged, reveal_assets())
    assembled = deck(sources, Renderer(None))
    assert len(slide_sections(assembled)) == len(slide_sections(whole)) > 1
    assert masked(assembled) == masked(whole)


def test_a_prose_edit_renders_only_its_file(tmp_path: Path) -> None:
    """Editing a markdown line renders that file again and reuses the other's slides."""
    paths = copies(tmp_path)
    cache = ExecutionCache(tmp_path / "cache")
    before = deck([executed(path) for path in paths], Renderer(cache))
    text = paths[1].read_text(encoding="utf-8")
    paths[1].write_text(text.replace("# ## ", "# ## PROSE-EDIT ", 1), encoding="utf-8")
    renderer = Renderer(cache)
    after = deck([executed(path) for path in paths], renderer)
    assert renderer.rendered == [paths[1]]
    assert renderer.slides_rendered == 1  # the one slide that changed
    assert "PROSE-EDIT" in after
    assert "PROSE-EDIT" not in before
    assert after == deck([executed(path) for path in paths], Renderer(None))


def test_a_file_with_nothing_on_a_slide_adds_no_slides(tmp_path: Path) -> None:
    """A file of notes and hidden cells renders to no sections rather than an empty slide."""
    path = tmp_path / "hidden.py"
    path.write_text('# %% tags=["remove-cell"]\nx = 1\n', encoding="utf-8")
    renderer = Renderer(None)
    renderer.add(executed(path))
    assert renderer.sections == {path: []}


def test_notes_before_a_files_first_slide_are_an_error(tmp_path: Path) -> None:
    """Notes that would land outside any slide are refused, naming the file."""
    path = tmp_path / "notes_first.py"
    path.write_text(
        '# %% [markdown] slideshow={"slide_type": "notes"}\n# NOTE\n\n'
        '# %% [markdown] slideshow={"slide_type": "slide"}\n# # Title\n',
        encoding="utf-8",
    )
    with pytest.raises(BuildError, match=r"notes_first\.py: something is shown before"):
        Renderer(None).add(executed(path))


def test_sections_are_split_at_the_top_level_only() -> None:
    """Nested subslide sections stay inside their slide; the split ends after the last one."""
    page = (
        '<body><div class="slides"><section><section>a</section><section>b</section></section>'
        "<section><section>c</section></section>\n</div></body>"
    )
    sections, end = split_sections(page)
    assert sections == [
        "<section><section>a</section><section>b</section></section>",
        "<section><section>c</section></section>",
    ]
    assert page[end:] == "\n</div></body>"
    with pytest.raises(ValueError, match="never closed"):
        split_sections('<body><div class="slides"><section><section>a</section>')


def build(sources: list[Path], out: Path, cache: Path, *extra: str) -> str:
    command = [sys.executable, str(ROOT / "build.py"), "build", *map(str, sources)]
    result = subprocess.run(
        [*command, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=dict(os.environ, BUILD_CACHE_DIR=str(cache)),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return (out / "index.html").read_text(encoding="utf-8")


def test_build_through_the_cache_gives_the_deck_of_a_build_without_it(tmp_path: Path) -> None:
    """After a prose edit, the cached build's deck is the --no-cache build's, timings masked."""
    paths = copies(tmp_path)
    cache = tmp_path / "cache"
    build(paths, tmp_path / "first", cache)
    text = paths[0].read_text(encoding="utf-8")
    paths[0].write_text(text.replace("# # Fixture deck", "# # Fixture deck, edited"))
    cached = build(paths, tmp_path / "cached", cache)
    fresh = build(paths, tmp_path / "fresh", tmp_path / "other-cache", "--no-cache")
    assert "Fixture deck, edited" in cached
    assert masked(cached) == masked(fresh)
