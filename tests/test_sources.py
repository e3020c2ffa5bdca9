"""Reading slide files: metadata and tag checks, cell lines and ids, the default sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild.errors import BuildError
from deckbuild.sources import TAGS, cell_start_lines, read_source, resolve_sources
from tests.presenting import read_error, source_file

HEADER = "# %% [markdown]\n# # Title\n\n"


def test_a_good_file_reads_with_the_line_of_each_cell(tmp_path: Path) -> None:
    """Each cell knows the line of its `# %%` marker, and messages name file, line and cell."""
    path = source_file(tmp_path, HEADER + '# %% tags=["remove-input"]\nprint(1)\n')
    source = read_source(path)
    assert [cell.cell_type for cell in source.notebook.cells] == ["markdown", "code"]
    assert source.cell_lines == [1, 4]
    assert source.where(1, 1) == f"{source.name}:5: cell 2"


def test_cell_ids_are_the_same_on_every_read(tmp_path: Path) -> None:
    """Cell ids name the file and the cell, not jupytext's random ids."""
    path = source_file(tmp_path, HEADER + "# %%\nx = 1\n", name="04_tasks.py")
    first = [cell.id for cell in read_source(path).notebook.cells]
    assert first == ["04_tasks-0", "04_tasks-1"]
    assert [cell.id for cell in read_source(path).notebook.cells] == first


def test_a_file_without_markers_starts_after_the_yaml_header() -> None:
    """A first cell without a marker starts after jupytext's header and blank lines."""
    text = "# ---\n# jupyter:\n# ---\n\nx = 1\n# %%\ny = 2\n"
    assert cell_start_lines(text, 2) == [5, 6]


@pytest.mark.parametrize(
    ("tag", "hint"),
    [
        ("remove_cell", "did you mean remove-cell?"),
        ("raises-exceptions", "did you mean raises-exception?"),
        ("Remove-Output", "did you mean remove-output?"),
        ("skip_execution", "did you mean skip-execution?"),
        ("examples:echo", "example tags are written example:NAME"),
        ("frobnicate", "known tags: raises-exception"),
    ],
)
def test_an_unknown_tag_is_an_error_with_a_suggestion(tmp_path: Path, tag: str, hint: str) -> None:
    """A misspelt tag fails the build at its file and line, naming the nearest known tag."""
    path = source_file(tmp_path, HEADER + f'# %% tags=["{tag}"]\nprint(1)\n')
    message = read_error(path)
    assert message.startswith(f"{path}:4: cell 2: unknown tag {tag!r}")
    assert hint in message


def test_every_known_tag_is_accepted(tmp_path: Path) -> None:
    """The tags in the table, and example:NAME on a code cell, read without complaint."""
    tags = ", ".join(f'"{tag}"' for tag in [*TAGS, "example:demo"])
    path = source_file(tmp_path, HEADER + f"# %% tags=[{tags}]\nprint(1)\n")
    assert read_source(path).notebook.cells[1].metadata["tags"][-1] == "example:demo"


def test_an_ignored_tag_warns_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Jupyter Book's hide-input is accepted with a named warning saying it has no effect."""
    path = source_file(tmp_path, HEADER + '# %% tags=["hide-input"]\nprint(1)\n')
    read_source(path)
    warning = capsys.readouterr().err.strip()
    assert warning.startswith(f"build.py: warning: {path}:4: cell 2: tag 'hide-input'")
    assert "remove-input" in warning


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('# %% [markdown] tags=["example:demo"]\n# prose\n', "bad tag 'example:demo'"),
        ('# %% tags=["example:Bad-Name"]\nx = 1\n', "bad tag 'example:Bad-Name'"),
        (
            '# %% tags="remove-cell"\nx = 1\n',
            "bad cell metadata: 'remove-cell' is not of type 'array'",
        ),
        ('# %% raises="TypeError"\nx = 1\n', "`raises` needs the raises-exception tag too"),
        ('# %% slideshow={"slide_type": "slides"}\nx = 1\n', "unknown slide_type 'slides'"),
        ("# %% tags=[remove-cell]\nx = 1\n", "cannot parse the cell metadata"),
    ],
)
def test_bad_metadata_names_the_cell(tmp_path: Path, cell: str, expected: str) -> None:
    """Each kind of bad metadata is one message at the cell's line."""
    path = source_file(tmp_path, HEADER + cell)
    message = read_error(path)
    assert message.startswith(f"{path}:4: cell 2: ")
    assert expected in message


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    """A missing file, bytes that are not UTF-8 and an empty file each get a one-line error."""
    assert read_error(tmp_path / "absent.py").endswith("absent.py: no such file")
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"# %%\nx = 1\ny = '\xe9'\n")
    assert read_error(broken).endswith("broken.py:3: not valid UTF-8 (invalid continuation byte)")
    assert read_error(source_file(tmp_path, "\n \n", "empty.py")).endswith("the file is empty")


def test_the_default_sources_are_the_numbered_slide_files(tmp_path: Path) -> None:
    """A helper module beside the slides is not a slide file; numbered files come in name order."""
    slides = tmp_path / "slides"
    slides.mkdir()
    for name in ("02_b.py", "01_a.py", "figures.py", "10_c.py"):
        (slides / name).write_text("# %%\n")
    found = resolve_sources([], root=tmp_path)
    assert [path.name for path in found] == ["01_a.py", "02_b.py", "10_c.py"]
    assert resolve_sources(["x.py"], root=tmp_path) == [Path("x.py")]


def test_no_default_sources_is_an_error(tmp_path: Path) -> None:
    """With no numbered slide files, the build says which pattern found nothing."""
    with pytest.raises(BuildError, match=r"no sources match slides/\[0-9\]\*\.py"):
        resolve_sources([], root=tmp_path)


def test_reading_a_file_again_gives_a_fresh_notebook(tmp_path: Path) -> None:
    """The remembered parse is copied: what one build fills in never shows in the next read."""
    path = source_file(tmp_path, HEADER + "# %%\nx = 1\n")
    first = read_source(path)
    first.notebook.cells[1].outputs = ["from a kernel"]
    first.notebook.cells[0].source = "edited in memory"
    again = read_source(path)
    assert again.notebook.cells[1].outputs == []
    assert again.notebook.cells[0].source == "# Title"
    path.write_text(HEADER.replace("Title", "New title"), encoding="utf-8")
    assert read_source(path).notebook.cells[0].source == "# New title"
