"""The execution cache: a folder of executed outputs keyed by what decides them, and rendered HTML.

Like jupyter-cache, it is an object given its folder; running cells is left to execute.py.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import site
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from deckbuild.paths import display_path, write_atomically
from deckbuild.sources import Source, cell_tags, code_cells, parse

CACHE_FORMAT = 2  # bump when execution changes in a way that invalidates old outputs
# Entries of each kind (rendered slides, parsed files) kept: a few versions of each file of a
# talk, so that undoing an edit is free.
KEEP_RENDERED = 64
DURATIONS = "durations.json"  # each source's last execution time: the longest starts first
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def package_folders(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Where the kernel finds installed packages: this interpreter's site-packages, the user's,
    and $PYTHONPATH (the kernel inherits it). Not the rest of sys.path, which depends on how
    this process was started (`python build.py` puts the project first, `-m pytest` the cwd)."""
    folders = [*site.getsitepackages(), site.getusersitepackages()]
    folders += [entry for entry in environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return list(dict.fromkeys(folders))


@functools.cache
def environment_fingerprint() -> str:
    """The interpreter and every installed package, version included.

    The packages' metadata folders are named `name-version.dist-info`: listing them is much
    faster than parsing every METADATA file, and a no-change rebuild should take a second.
    The interpreter is named by its environment's folder (sys.prefix), whichever of its names
    (`python`, `python3`, a symlink) started it.
    """
    packages = sorted(
        {
            path.name
            for entry in package_folders()
            if os.path.isdir(entry)
            for path in Path(entry).iterdir()
            if path.suffix in {".dist-info", ".egg-info"}
        }
    )
    return digest([CACHE_FORMAT, sys.prefix, sys.version, packages])


def environment_used(
    texts: Sequence[str], environ: Mapping[str, str] = os.environ
) -> dict[str, str | None]:
    """The values of the environment variables these texts could read (named in capitals)."""
    names = {name for text in texts for name in ENV_NAME.findall(text)}
    return {name: environ.get(name) for name in sorted(names)}


def modified(path: Path) -> float:
    """A file's modification time; 0 for one another build removed meanwhile."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


class ExecutionCache:
    """Executed outputs per source in `folder`, and recently rendered slides of each source."""

    def __init__(self, folder: Path, environ: Mapping[str, str] = os.environ) -> None:
        self.folder = folder
        self.environ = environ

    def key(self, source: Source) -> str:
        """What decides a source's outputs besides the files it imports: code, tags, interpreter.

        Markdown cells, slide types and cell ids are not part of it: a prose edit keeps the key.
        """
        cells = [
            [cell.source, sorted(cell_tags(cell)), cell.metadata.get("raises")]
            for cell in code_cells(source.notebook)
        ]
        folder = str(source.path.resolve().parent)  # cells run there
        return digest([environment_fingerprint(), folder, cells])

    def entry_path(self, source: Source) -> Path:
        return self.folder / f"{self.key(source)}.json"

    def reuse(self, source: Source) -> bool:
        """Fill source's code cells with cached outputs if nothing that affects them changed."""
        path = self.entry_path(source)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            files = entry["files"]
            if any(file_digest(Path(name)) != sha for name, sha in files.items()):
                return False
            if any(self.environ.get(name) != value for name, value in entry["environment"].items()):
                return False
            outputs = entry["outputs"]
            cells = code_cells(source.notebook)
            if len(outputs) != len(cells):
                raise ValueError("cell count")
            restored = [
                (nbformat.from_dict(o["outputs"]), o["execution_count"])  # type: ignore[no-untyped-call]
                for o in outputs
            ]
        except FileNotFoundError:
            return False
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            print(f"ignoring a corrupt cache entry {display_path(path)} ({error})", file=sys.stderr)
            return False
        for cell, (cell_outputs, count) in zip(cells, restored, strict=True):
            cell.outputs = cell_outputs
            cell.execution_count = count
        if entry.get("language_info"):  # as the kernel reported it: the deck's highlighting uses it
            source.notebook.metadata["language_info"] = entry["language_info"]
        return True

    def store(self, source: Source, imported: Sequence[str]) -> None:
        """Remember source's outputs and what they depend on; failing to write is no loss."""
        files = {name: file_digest(Path(name)) for name in imported}
        texts = [cell.source for cell in code_cells(source.notebook)]
        texts += [
            Path(name).read_text(encoding="utf-8", errors="replace")
            for name in files
            if files[name]
        ]
        entry = {
            "source": str(source.path),
            "files": files,
            "environment": environment_used(texts, self.environ),
            "language_info": source.notebook.metadata.get("language_info"),
            "outputs": [
                {"outputs": cell.get("outputs", []), "execution_count": cell.get("execution_count")}
                for cell in code_cells(source.notebook)
            ],
        }
        try:
            write_atomically(self.entry_path(source), json.dumps(entry))
        except OSError as error:
            print(f"cannot write the execution cache ({error})", file=sys.stderr)

    def durations(self) -> dict[str, float]:
        """How long each source (by path) took to execute the last time it ran."""
        try:
            found = json.loads((self.folder / DURATIONS).read_text(encoding="utf-8"))
            return {str(name): float(value) for name, value in found.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as error:
            print(f"ignoring a corrupt cache entry {DURATIONS} ({error})", file=sys.stderr)
            return {}

    def store_durations(self, seconds: Mapping[Path, float]) -> None:
        """Remember these source files' execution times, to start the longest first next time."""
        if not seconds:
            return
        durations = self.durations()
        durations.update({str(path.resolve()): value for path, value in seconds.items()})
        try:
            write_atomically(self.folder / DURATIONS, json.dumps(durations, sort_keys=True))
        except OSError as error:
            print(f"cannot write the execution cache ({error})", file=sys.stderr)

    def rendered_path(self, key: str) -> Path:
        return self.folder / f"html-{key}.json"

    def load_rendered(self, key: str) -> object | None:
        """What store_rendered() kept under this key (a source's slides, the page around them)."""
        return self.load_entry(self.rendered_path(key))

    def store_rendered(self, key: str, html: object) -> None:
        """Keep rendered HTML (JSON-able) under key, and the newest KEEP_RENDERED entries only."""
        self.store_entry(self.rendered_path(key), html, "rendering")

    def parse(self, text: str) -> NotebookNode:
        """sources.parse(text), remembered here by the text: a new process need not run jupytext
        (it validates every cell: 40 ms a file) to read a file that has not changed."""
        path = self.folder / f"parsed-{digest([environment_fingerprint(), text])}.json"
        found = self.load_entry(path)
        if isinstance(found, dict):
            notebook: NotebookNode = nbformat.from_dict(found)  # type: ignore[no-untyped-call]
            return notebook
        notebook = parse(text)
        self.store_entry(path, notebook, "parsing")
        return notebook

    def load_entry(self, path: Path) -> object | None:
        try:
            found: object = json.loads(path.read_text(encoding="utf-8"))["value"]
            return found
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"ignoring a corrupt cache entry {display_path(path)} ({error})", file=sys.stderr)
            return None

    def store_entry(self, path: Path, value: object, what: str) -> None:
        """Keep value in path, and the newest KEEP_RENDERED entries of its kind; no loss if not."""
        kind = path.name.split("-")[0]
        try:
            write_atomically(path, json.dumps({"value": value}))
            entries = sorted(self.folder.glob(f"{kind}-*.json"), key=modified, reverse=True)
            for old in entries[KEEP_RENDERED:]:
                old.unlink(missing_ok=True)
        except OSError as error:
            print(f"cannot write the {what} cache ({error})", file=sys.stderr)
