"""The execution cache: reuse outputs exactly when nothing that affects them changed.

Most tests drive deckbuild.cache.ExecutionCache directly and start no kernel; the last few
build through build.py to show the cache and the kernels' imports working together.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from deckbuild.cache import ExecutionCache, environment_fingerprint
from deckbuild.pipeline import longest_first
from deckbuild.sources import Source, code_cells, read_source

ROOT = Path(__file__).resolve().parents[1]

DECK = """\
# %% [markdown]
# # PROSE-ONE

# %% tags=["remove-input"]
print("RUN")
"""


def source_in(folder: Path, text: str = DECK, name: str = "deck.py") -> Source:
    path = folder / name
    path.write_text(text)
    return read_source(path)


def edited(source: Source, old: str, new: str) -> Source:
    """The source read again after replacing old by new in its file."""
    text = source.path.read_text()
    assert old in text
    source.path.write_text(text.replace(old, new))
    return read_source(source.path)


def executed(source: Source, marker: str = "first run") -> Source:
    """Pretend a kernel ran the source: every code cell printed the marker."""
    for cell in code_cells(source.notebook):
        output = nbformat.v4.new_output("stream", name="stdout", text=marker)  # type: ignore[no-untyped-call]
        cell.outputs = [output]
        cell.execution_count = 1
    return source


def outputs(source: Source) -> list[str]:
    return [o.text for cell in code_cells(source.notebook) for o in cell.get("outputs", [])]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("PROSE-ONE", "PROSE-TWO"),
        ("# %% [markdown]", '# %% [markdown] slideshow={"slide_type": "slide"}'),
    ],
)
def test_a_prose_or_slide_type_edit_keeps_the_key(tmp_path: Path, old: str, new: str) -> None:
    """Markdown and slide types do not decide outputs, so editing them keeps the key."""
    cache = ExecutionCache(tmp_path / "cache")
    source = source_in(tmp_path)
    assert cache.key(edited(source, old, new)) == cache.key(source)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('print("RUN")', 'print("RUN!")'),
        ('tags=["remove-input"]', 'tags=["remove-output"]'),
        ('tags=["remove-input"]', 'tags=["raises-exception"] raises="ValueError"'),
    ],
)
def test_a_code_or_tag_edit_changes_the_key(tmp_path: Path, old: str, new: str) -> None:
    """Code, tags and the expected exception decide outputs, so editing them changes the key."""
    cache = ExecutionCache(tmp_path / "cache")
    source = source_in(tmp_path)
    assert cache.key(edited(source, old, new)) != cache.key(source)


def test_the_same_code_in_another_folder_has_another_key(tmp_path: Path) -> None:
    """Cells run in their file's folder, so the folder is part of the key."""
    (tmp_path / "other").mkdir()
    cache = ExecutionCache(tmp_path / "cache")
    assert cache.key(source_in(tmp_path)) != cache.key(source_in(tmp_path / "other"))


def test_stored_outputs_are_reused_by_a_fresh_read(tmp_path: Path) -> None:
    """What store() kept fills the code cells of the same source read again."""
    cache = ExecutionCache(tmp_path / "cache")
    cache.store(executed(source_in(tmp_path)), imported=[])
    again = read_source(tmp_path / "deck.py")
    assert cache.reuse(again)
    assert outputs(again) == ["first run"]
    assert not cache.reuse(edited(again, 'print("RUN")', 'print("RUN!")'))


def test_an_imported_file_that_changed_invalidates(tmp_path: Path) -> None:
    """A local module the kernel imported is part of the entry: editing it means running again."""
    helper = tmp_path / "helper.py"
    helper.write_text("VALUE = 1\n")
    cache = ExecutionCache(tmp_path / "cache")
    cache.store(executed(source_in(tmp_path)), imported=[str(helper)])
    assert cache.reuse(read_source(tmp_path / "deck.py"))
    helper.write_text("VALUE = 2\n")
    assert not cache.reuse(read_source(tmp_path / "deck.py"))


def test_an_environment_variable_the_code_names_invalidates(tmp_path: Path) -> None:
    """A variable named in capitals in the code or its imports is recorded with its value."""
    text = DECK.replace('print("RUN")', 'import os\nprint(os.environ.get("DEMO_SETTING"))')
    source = executed(source_in(tmp_path, text))
    ExecutionCache(tmp_path / "cache", environ={"DEMO_SETTING": "a"}).store(source, imported=[])
    same = ExecutionCache(tmp_path / "cache", environ={"DEMO_SETTING": "a", "OTHER": "x"})
    assert same.reuse(read_source(source.path))
    changed = ExecutionCache(tmp_path / "cache", environ={"DEMO_SETTING": "b"})
    assert not changed.reuse(read_source(source.path))


def test_a_corrupt_entry_is_reported_and_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged entry is not reused, and the build says which file it ignored."""
    cache = ExecutionCache(tmp_path / "cache")
    source = executed(source_in(tmp_path))
    cache.store(source, imported=[])
    cache.entry_path(source).write_text("{not json")
    assert not cache.reuse(read_source(source.path))
    assert "ignoring a corrupt cache entry" in capsys.readouterr().err


def test_an_entry_with_the_wrong_cell_count_is_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry whose outputs do not match the cells is treated as corrupt, not half applied."""
    cache = ExecutionCache(tmp_path / "cache")
    source = executed(source_in(tmp_path))
    cache.store(source, imported=[])
    path = cache.entry_path(source)
    path.write_text(path.read_text().replace('"outputs": [{', '"outputs": [{"x": 1}, {', 1))
    assert not cache.reuse(read_source(source.path))
    assert "cell count" in capsys.readouterr().err


def test_only_the_newest_renderings_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rendering cache keeps the newest few entries; a corrupt one is reported, not used."""
    monkeypatch.setattr("deckbuild.cache.KEEP_RENDERED", 2)
    cache = ExecutionCache(tmp_path / "cache")
    for number, key in enumerate(("one", "two", "three")):
        cache.store_rendered(key, [f"<section>{key}</section>"])
        os.utime(cache.rendered_path(key), (number, number))  # in order, whatever the clock
    cache.store_rendered("three", ["<section>three</section>"])  # stored again: the newest
    assert cache.load_rendered("one") is None
    assert cache.load_rendered("two") == ["<section>two</section>"]
    cache.rendered_path("two").write_text("[]")
    assert cache.load_rendered("two") is None
    assert "ignoring a corrupt cache entry" in capsys.readouterr().err


def test_the_longest_file_starts_first(tmp_path: Path) -> None:
    """Sources run in order of their last execution time; files never run keep their order."""
    names = ["01_a.py", "02_b.py", "03_c.py", "04_d.py"]
    sources = [source_in(tmp_path, name=name) for name in names]
    durations = {str((tmp_path / "02_b.py").resolve()): 1.0}
    durations[str((tmp_path / "03_c.py").resolve())] = 9.0
    ordered = longest_first(sources, durations)
    assert [s.path.name for s in ordered] == ["03_c.py", "02_b.py", "01_a.py", "04_d.py"]


def test_durations_are_remembered_per_file(tmp_path: Path) -> None:
    """Execution times are kept by file, updated by the next run of the same file."""
    cache = ExecutionCache(tmp_path / "cache")
    first, second = tmp_path.resolve() / "a.py", tmp_path.resolve() / "b.py"
    cache.store_durations({first: 1.5, second: 3.0})
    cache.store_durations({first: 2.0})
    assert cache.durations() == {str(first): 2.0, str(second): 3.0}


def test_an_unwritable_cache_is_no_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Failing to write the cache is reported; the build goes on."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = ExecutionCache(blocker / "cache")
    cache.store(executed(source_in(tmp_path)), imported=[])
    cache.store_rendered("key", ["<section></section>"])
    err = capsys.readouterr().err
    assert "cannot write the execution cache" in err
    assert "cannot write the rendering cache" in err


# --------------------------------------------------------------------- through build.py

TALK = """\
# %% [markdown]
# # {name}

# %%
import random
{imports}
print("RUN", random.random(){uses})
"""
HELPER = 'VALUE = "helper-1"\n'


class Talk:
    """Two slide files and a helper module only the first imports, built with their own cache."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.uses_helper = folder / "01_uses.py"
        self.plain = folder / "02_plain.py"
        self.helper = folder / "figures.py"
        self.uses_helper.write_text(
            TALK.format(name="USES", imports="import figures", uses=", figures.VALUE")
        )
        self.plain.write_text(TALK.format(name="PLAIN", imports="", uses=""))
        self.helper.write_text(HELPER)

    def build(self, *extra: str) -> dict[str, str]:
        """Build once; returns each file's run marker (a random number printed by its cell)."""
        environment = dict(os.environ, BUILD_CACHE_DIR=str(self.folder / "cache"))
        sources = [str(self.uses_helper), str(self.plain)]
        command = [sys.executable, str(ROOT / "build.py"), "build", *sources, *extra]
        result = subprocess.run(
            [*command, "--out", str(self.folder / "out")],
            capture_output=True,
            text=True,
            env=environment,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        deck = (self.folder / "out" / "index.html").read_text()
        runs = [part.split()[0] for part in deck.split("RUN ")[1:]]
        return dict(zip(["uses", "plain"], runs, strict=True))


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Talk:
    return Talk(tmp_path_factory.mktemp("talk"))


def test_editing_a_helper_reruns_only_the_files_that_import_it(talk: Talk) -> None:
    """The kernel reports the local modules it imported: only their importers run again."""
    first = talk.build()
    assert talk.build() == first  # nothing changed: nothing ran
    talk.helper.write_text(HELPER.replace("helper-1", "helper-2"))
    second = talk.build()
    assert second["plain"] == first["plain"]
    assert second["uses"] != first["uses"]
    assert "helper-2" in (talk.folder / "out" / "index.html").read_text()


def test_a_no_change_rebuild_rewrites_nothing(talk: Talk) -> None:
    """With nothing changed, the deck and the notebooks keep their files (and their times)."""
    talk.build()
    written = sorted((talk.folder / "out").rglob("*.*"))
    before = {path: path.stat().st_mtime_ns for path in written}
    talk.build()
    assert {path: path.stat().st_mtime_ns for path in written} == before
    assert len(before) == 3  # index.html and two notebooks


def test_no_cache_executes_everything(talk: Talk) -> None:
    """--no-cache runs every file even when the cache is valid."""
    first = talk.build()
    second = talk.build("--no-cache")
    assert all(second[name] != first[name] for name in first)


def fresh_fingerprint() -> str:
    environment_fingerprint.cache_clear()
    return environment_fingerprint()


def test_the_fingerprint_does_not_depend_on_how_python_was_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python build.py`, `python3 -m pytest` from elsewhere: the same interpreter and packages,
    the same fingerprint; a package installed where the kernel looks changes it."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    before = fresh_fingerprint()
    folder = tmp_path / "a_folder_on_sys_path"
    (folder / "leftover-1.0.egg-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sys, "executable", sys.executable + "3")
    assert fresh_fingerprint() == before
    monkeypatch.setenv("PYTHONPATH", str(folder))
    assert fresh_fingerprint() != before
    monkeypatch.undo()
    assert fresh_fingerprint() == before
