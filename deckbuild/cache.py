"""The execution cache: a folder of executed outputs keyed by what decides them, and the last deck.

Like jupyter-cache, it is an object given its folder; running cells is left to execute.py.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat

from deckbuild.paths import display_path, write_atomically
from deckbuild.sources import Source, cell_tags, code_cells

CACHE_FORMAT = 1  # bump when execution changes in a way that invalidates old outputs
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@functools.cache
def environment_fingerprint() -> str:
    """The interpreter and every installed package, version included.

    The packages' metadata folders are named `name-version.dist-info`: listing them is much
    faster than parsing every METADATA file, and a no-change rebuild should take a second.
    """
    packages = sorted(
        {
            path.name
            for entry in sys.path
            if os.path.isdir(entry)
            for path in Path(entry).iterdir()
            if path.suffix in {".dist-info", ".egg-info"}
        }
    )
    return digest([CACHE_FORMAT, sys.executable, sys.version, packages])


def environment_used(
    texts: Sequence[str], environ: Mapping[str, str] = os.environ
) -> dict[str, str | None]:
    """The values of the environment variables these texts could read (named in capitals)."""
    names = {name for text in texts for name in ENV_NAME.findall(text)}
    return {name: environ.get(name) for name in sorted(names)}


class ExecutionCache:
    """Executed outputs per source in `folder`, and the most recently rendered deck."""

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

    def deck_path(self, key: str) -> Path:
        return self.folder / f"deck-{key}.json"

    def load_deck(self, key: str) -> str | None:
        """The deck rendered last time from inputs with this key, if it is the one kept."""
        path = self.deck_path(key)
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["html"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"ignoring a corrupt cache entry {display_path(path)} ({error})", file=sys.stderr)
            return None

    def store_deck(self, key: str, html: str) -> None:
        """Keep this deck as the only one; failing to write is no loss."""
        try:
            for old in self.folder.glob("deck-*.json"):
                old.unlink(missing_ok=True)
            write_atomically(self.deck_path(key), json.dumps({"html": html}))
        except OSError as error:
            print(f"cannot write the deck cache ({error})", file=sys.stderr)
