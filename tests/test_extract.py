"""Extraction: cells tagged example:NAME become examples/NAME.py, and drift is detected."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from deckbuild.errors import BuildError
from deckbuild.extract import GENERATED, extract
from deckbuild.paths import ROOT

FIRST = """\
# %% [markdown]
# # First file

# %% tags=["example:greeter"]
import asyncio


async def greet(name: str) -> str:
    await asyncio.sleep(0)
    return f"hello {name}"

# %%
await greet("slide")  # stays on the slide

# %% tags=["example:greeter"]
from collections.abc import Sequence


async def main(names: Sequence[str] = ("reader",)) -> None:
    for name in names:
        print(await greet(name))

# %% tags=["example:counter"]
def count() -> int:
    return 3
"""

SECOND = """\
# %% tags=["example:greeter"]
import asyncio

FAREWELL = "bye"  # from the second file
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def deck(tmp_path: Path) -> list[str]:
    slides = tmp_path / "slides"
    slides.mkdir()
    return [str(write(slides, "01.py", FIRST)), str(write(slides, "02.py", SECOND))]


@pytest.fixture
def examples(tmp_path: Path, deck: list[str]) -> Path:
    folder = tmp_path / "examples"
    assert extract(deck, folder, check=False) == 0
    return folder


def test_each_tag_makes_one_module(examples: Path) -> None:
    """Several modules come from one file, and the package gets an __init__."""
    assert sorted(p.name for p in examples.glob("*.py")) == [
        "__init__.py",
        "counter.py",
        "greeter.py",
    ]


def test_cells_join_in_source_order_across_files(examples: Path) -> None:
    """One module takes cells from several cells and files, in order; untagged cells stay out."""
    text = (examples / "greeter.py").read_text()
    assert text.index("async def greet") < text.index("async def main") < text.index("FAREWELL")
    assert 'greet("slide")' not in text


def test_imports_are_hoisted_once_and_sorted(examples: Path) -> None:
    """Imports from every cell move to the top, without duplicates, in isort order."""
    lines = (examples / "greeter.py").read_text().splitlines()
    imports = [line for line in lines if line.startswith(("import ", "from "))]
    assert imports == ["import asyncio", "from collections.abc import Sequence"]
    first_code = next(i for i, line in enumerate(lines) if line.startswith("async def"))
    assert all(lines.index(line) < first_code for line in imports)


def test_header_names_the_sources_and_says_generated(examples: Path) -> None:
    """The docstring says the module is generated, from which slides, and to edit those."""
    text = (examples / "greeter.py").read_text()
    assert text.startswith('"""The `greeter` example of the talk.')
    assert GENERATED in text
    assert "01.py" in text
    assert "02.py" in text


def test_async_main_gets_an_entry_point(examples: Path) -> None:
    """A module defining async main runs it under `if __name__ == "__main__"`."""
    assert (
        (examples / "greeter.py")
        .read_text()
        .endswith('if __name__ == "__main__":\n    asyncio.run(main())\n')
    )
    assert "__main__" not in (examples / "counter.py").read_text()


def test_generated_module_runs_with_python_m(examples: Path) -> None:
    """`python -m examples.greeter` runs the module's main."""
    result = subprocess.run(
        [sys.executable, "-m", "examples.greeter"],
        cwd=examples.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == "hello reader\n"


def test_generated_modules_pass_ruff(examples: Path) -> None:
    """The output is lint-clean and already formatted."""
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--quiet", str(examples)], check=True, cwd=ROOT)
    subprocess.run([*ruff, "format", "--check", "--quiet", str(examples)], check=True, cwd=ROOT)


def test_rerun_is_byte_identical_and_check_passes(
    deck: list[str], examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Extracting again changes nothing, and --check finds no drift."""
    before = {p.name: p.read_bytes() for p in examples.iterdir()}
    assert extract(deck, examples, check=False) == 0
    assert {p.name: p.read_bytes() for p in examples.iterdir()} == before
    capsys.readouterr()
    assert extract(deck, examples, check=True) == 0
    assert capsys.readouterr().out == ""


def test_check_reports_every_kind_of_drift(
    deck: list[str], examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edited, a missing, a stale and a hand-written module are each reported; exit 1."""
    greeter = examples / "greeter.py"
    greeter.write_text(greeter.read_text().replace("hello", "howdy"))
    (examples / "counter.py").unlink()
    write(examples, "old.py", f'"""{GENERATED} from:\n    01.py\nDo not edit."""\n')
    write(examples, "mine.py", '"""Written by hand."""\n')
    capsys.readouterr()
    assert extract(deck, examples, check=True) == 1
    report = capsys.readouterr().out.splitlines()
    assert len(report) == 4
    assert any(line.endswith("greeter.py: differs from its slides") for line in report)
    assert any(line.endswith("counter.py: missing") for line in report)
    assert any(line.endswith("old.py: stale: no slide tags it") for line in report)
    assert any(line.endswith("mine.py: has no source: written by hand?") for line in report)


def test_editing_a_tagged_line_is_drift_until_extract_runs(deck: list[str], examples: Path) -> None:
    """Changing one line of a tagged cell fails the check; extracting again fixes it."""
    first = Path(deck[0])
    first.write_text(first.read_text().replace("return 3", "return 4"))
    assert extract(deck, examples, check=True) == 1
    assert extract(deck, examples, check=False) == 0
    assert "return 4" in (examples / "counter.py").read_text()
    assert extract(deck, examples, check=True) == 0


def test_modules_from_slides_out_of_scope_are_left_alone(deck: list[str], examples: Path) -> None:
    """Extracting named files neither flags nor removes the modules of other slide files."""
    write(examples, "other.py", f'"""{GENERATED} from:\n    99_other.py\nDo not edit."""\n')
    assert extract(deck, examples, check=True) == 0
    assert extract(deck, examples, check=False) == 0
    assert (examples / "other.py").exists()


def test_extract_removes_stale_generated_modules_but_not_hand_written_ones(
    deck: list[str], examples: Path
) -> None:
    """A generated module whose tag vanished is removed; a hand-written file is left alone."""
    write(examples, "old.py", f'"""{GENERATED} from:\n    01.py\nDo not edit."""\n')
    write(examples, "mine.py", '"""Written by hand."""\n')
    assert extract(deck, examples, check=False) == 0
    assert not (examples / "old.py").exists()
    assert (examples / "mine.py").exists()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            '# %% tags=["example:bad"]\nimport asyncio\n\nawait asyncio.sleep(0)\n',
            "bad.py:4: cell 1: 'await' outside function (top-level await belongs",
        ),
        ('# %% tags=["example:bad"]\nx = 1\n%time x\n', "bad.py:3: cell 1: IPython magic"),
        (
            '# %% tags=["example:bad"]\nimport io\n\ndisplay(io.BytesIO())\n',
            "bad.py:4: cell 1: `display` exists only in a notebook",
        ),
        ('# %% tags=["example:Not-A-Module"]\nx = 1\n', "bad.py:1: cell 1: bad tag"),
        ('# %% [markdown] tags=["example:prose"]\n# words\n', "bad.py:1: cell 1: bad tag"),
        ('# %% [markdown]\n# # Title\n\n# %% tags=["example:bad"]\ndef f(:\n', "bad.py:5: cell 2"),
    ],
)
def test_cells_that_cannot_live_in_a_module_are_refused(
    tmp_path: Path, cell: str, expected: str
) -> None:
    """Top-level await, magics, display(), bad tags and syntax errors name file and line."""
    source = write(tmp_path, "bad.py", cell)
    with pytest.raises(BuildError) as error:
        extract([str(source)], tmp_path / "examples", check=False)
    assert expected in str(error.value)
    assert not (tmp_path / "examples").exists()
