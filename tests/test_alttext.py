"""Images keep their alternative text in the built deck and live; one without it is named."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from IPython.core.formatters import DisplayFormatter
from IPython.display import SVG, Image
from nbformat import NotebookNode

from deckbuild.alttext import NO_ALT, warn_missing_alt, with_alt
from deckbuild.errors import WARNING_PREFIX
from deckbuild.outputs import output_html
from deckbuild.render import render_slide
from deckbuild.sources import Source, read_source

SQUARE = '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9"/></svg>'
PNG = base64.b64decode(  # a 1x1 white PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


def displayed(obj: object) -> NotebookNode:
    """The display_data output IPython makes of obj."""
    data, metadata = DisplayFormatter().format(obj)  # type: ignore[no-untyped-call]
    output: NotebookNode = nbformat.v4.new_output("display_data", data=data, metadata=metadata)  # type: ignore[no-untyped-call]
    return output


def deck_with(tmp_path: Path, *outputs: NotebookNode, tags: str = "") -> Source:
    """A one-slide source whose code cell shows these outputs, as if it had run."""
    path = tmp_path / "01_images.py"
    path.write_text(
        '# %% [markdown] slideshow={"slide_type": "slide"}\n# Pictures\n\n'
        f"# %%{tags}\nshow_them()\n",
        encoding="utf-8",
    )
    source = read_source(path)
    source.notebook.cells[1].outputs = list(outputs)
    return source


def alts(html: str) -> list[str | None]:
    found: list[str | None] = []
    for img in BeautifulSoup(html, "html.parser").find_all("img"):
        alt = img.get("alt")
        found.append(alt if isinstance(alt, str) else None)
    return found


def test_with_alt_gives_the_first_img_its_words_escaped() -> None:
    output = {"metadata": {"image/png": {"alt": 'a "T. rex" & friends'}}}
    markup = with_alt('<div><img src="x.png" width=3></div>', output, "image/png")
    assert markup == '<div><img alt="a &quot;T. rex&quot; &amp; friends" src="x.png" width=3></div>'
    assert with_alt('<img src="x.png">', {"metadata": {}}, "image/png") == (
        f'<img alt="{NO_ALT}" src="x.png">'
    )
    assert with_alt('<img alt="kept" src="x">', output, "image/png") == '<img alt="kept" src="x">'


def test_the_built_slide_carries_each_images_alt_text(tmp_path: Path) -> None:
    source = deck_with(
        tmp_path,
        displayed(SVG(SQUARE, metadata={"alt": "a black square"})),
        displayed(Image(data=PNG, format="png", alt="one white pixel", width=50)),
        displayed(Image(data=PNG, format="png")),
    )
    (section,) = render_slide(source.notebook, source)
    assert alts(section) == ["a black square", "one white pixel", NO_ALT]


def test_a_live_image_carries_its_alt_text_as_the_built_one() -> None:
    for obj, alt in (
        (SVG(SQUARE, metadata={"alt": "a black square"}), "a black square"),
        (Image(data=PNG, format="png", alt="one white pixel"), "one white pixel"),
        (Image(data=PNG, format="png"), NO_ALT),
    ):
        output = displayed(obj)
        html = output_html("display_data", {"data": output.data, "metadata": output.metadata})
        assert alts(html) == [alt]


def test_an_image_without_words_is_named_with_file_line_and_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = deck_with(
        tmp_path,
        displayed(SVG(SQUARE, metadata={"alt": "a black square"})),
        displayed(Image(data=PNG, format="png")),
    )
    warn_missing_alt(source)
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{WARNING_PREFIX} {source.where(1)}: an image (image/png) without")
    assert 'Image(..., alt="...")' in line


@pytest.mark.parametrize("tags", [' tags=["remove-output"]', ' tags=["remove-cell"]'])
def test_an_image_nobody_sees_needs_no_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tags: str
) -> None:
    warn_missing_alt(deck_with(tmp_path, displayed(Image(data=PNG, format="png")), tags=tags))
    assert capsys.readouterr().err == ""


def test_html_shown_before_an_image_is_checked_as_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """nbconvert shows text/html before image/png: the HTML's <img> tags need the words then."""
    html = '<img src="a.png"><img alt="a cat" src="b.png"><IMG src="c.png"><img src="d.png">'
    both = nbformat.v4.new_output(  # type: ignore[no-untyped-call]
        "display_data", data={"text/html": html, "image/png": "iVBOR"}
    )
    described = nbformat.v4.new_output(  # type: ignore[no-untyped-call]
        "display_data", data={"text/html": '<img alt="a cat" src="b.png">', "image/png": "iVBOR"}
    )
    warn_missing_alt(deck_with(tmp_path, both, described))
    (line,) = capsys.readouterr().err.splitlines()
    assert ": 3 <img> in its HTML output without an alt attribute" in line
