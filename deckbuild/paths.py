"""Where the project's files live, how a path is named in messages, and writing files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = "slides/[0-9]*.py"  # the talk's numbered files, not helper modules beside them
DEFAULT_OUT = ROOT / "build"
DEFAULT_EXAMPLES = ROOT / "examples"
DEFAULT_CACHE = ROOT / ".cache" / "execution"
TEMPLATES = ROOT / "templates"
TEMPLATE_NAME = "offline_reveal"
REVEAL = ROOT / "node_modules" / "reveal.js" / "dist"


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write_atomically(path: Path, text: str) -> None:
    """Write text to path so that a reader sees the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(handle.name, 0o666 & ~umask)  # as readable as any other file we write
    os.replace(handle.name, path)
