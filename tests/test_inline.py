"""Inlining: images, stylesheets and scripts become part of the page, nothing is left to load."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from deckbuild.errors import BuildError
from deckbuild.inline import inline_css, inline_images, inline_js, reveal_assets
from deckbuild.sources import read_source
from tests.deckcheck import css_loads

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def deck_with(tmp_path: Path, markdown: str) -> Path:
    path = tmp_path / "deck.py"
    lines = "".join(f"# {line}\n" for line in markdown.splitlines())
    path.write_text(f"# %% [markdown]\n# # Title\n\n# %% [markdown]\n{lines}")
    (tmp_path / "images").mkdir(exist_ok=True)
    (tmp_path / "images" / "dot.png").write_bytes(PIXEL)
    return path


def test_markdown_and_html_images_become_data_uris(tmp_path: Path) -> None:
    """Both image syntaxes point at the file's bytes afterwards, titles kept."""
    path = deck_with(tmp_path, '![a dot](images/dot.png "title")\n<img src="images/dot.png">')
    source = read_source(path)
    inline_images(source)
    text = source.notebook.cells[1].source
    uri = "data:image/png;base64," + base64.b64encode(PIXEL).decode()
    assert f'![a dot]({uri} "title")' in text
    assert f'<img src="{uri}">' in text


def test_data_and_anchor_targets_are_left_alone(tmp_path: Path) -> None:
    """A target that loads nothing stays as written."""
    path = deck_with(tmp_path, "![x](data:image/png;base64,AAAA) ![y](#slide)")
    source = read_source(path)
    inline_images(source)
    assert source.notebook.cells[1].source == "![x](data:image/png;base64,AAAA) ![y](#slide)"


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        ("text\n![x](images/missing.png)", "image 'images/missing.png' not found"),
        ("![x](https://http.cat/200)", "would be loaded from outside"),
        ('text\n\n<img src="//cdn.example/x.png">', "would be loaded from outside"),
    ],
)
def test_a_bad_image_names_its_line(tmp_path: Path, markdown: str, problem: str) -> None:
    """A missing or remote image is an error at the file and line of its markdown."""
    source = read_source(deck_with(tmp_path, markdown))
    line = source.cell_lines[1] + markdown.count("\n") + 1
    with pytest.raises(BuildError) as error:
        inline_images(source)
    assert str(error.value).startswith(f"{source.name}:{line}: cell 2: ")
    assert problem in str(error.value)


def test_css_imports_and_urls_are_inlined(tmp_path: Path) -> None:
    """@import pulls the other sheet in; url() becomes a data URI; the result loads nothing."""
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "f.woff").write_bytes(b"font")
    (tmp_path / "base.css").write_text("body { color: red; }")
    main = tmp_path / "main.css"
    main.write_text("@import url(base.css);\n@font-face { src: url('fonts/f.woff?v=1'); }")
    css = inline_css(main)
    assert "body { color: red; }" in css
    assert "data:font/woff;base64," + base64.b64encode(b"font").decode() in css
    assert css_loads(css) == []


def test_a_missing_css_url_is_an_error(tmp_path: Path) -> None:
    """A url() that points at no file names the stylesheet."""
    sheet = tmp_path / "x.css"
    sheet.write_text("a { background: url(nope.png); }")
    with pytest.raises(BuildError, match=r"x\.css: url\(nope\.png\) is not a local file"):
        inline_css(sheet)


def test_a_script_cannot_close_its_tag(tmp_path: Path) -> None:
    """`</script` inside a script is escaped so the page's structure survives."""
    script = tmp_path / "x.js"
    script.write_text('const s = "</script><b>";')
    assert inline_js(script) == 'const s = "<\\/script><b>";'


def test_reveal_assets_are_self_contained() -> None:
    """reveal.js, its theme and our stage styles are inlined with nothing left to load."""
    assets = reveal_assets()
    assert "Reveal" in assets["reveal_js"]
    for name in ("reveal_css", "theme_css", "deck_css"):
        assert css_loads(assets[name]) == [], name
