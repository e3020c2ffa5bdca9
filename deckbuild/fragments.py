"""Rendering through the cache: each source's slides by its executed notebook, the page by template.

nbconvert takes about a third of a second per slide file, so a rebuild renders only the files
whose executed notebooks changed (a prose edit: one file) and reuses the other files' slides and
the page around them (reveal.js and the styles, inlined once) from the cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from deckbuild import render
from deckbuild.cache import ExecutionCache, digest, environment_fingerprint, file_digest
from deckbuild.paths import TEMPLATES
from deckbuild.render import Shell, assemble, render_sections, render_shell
from deckbuild.sources import Source


def template_key() -> str:
    """What decides how any notebook renders: packages, render.py, the template's files."""
    templates = sorted(path for path in TEMPLATES.rglob("*") if path.is_file())
    return digest(
        [
            environment_fingerprint(),
            file_digest(Path(render.__file__)),
            [(str(path.relative_to(TEMPLATES)), file_digest(path)) for path in templates],
        ]
    )


def source_key(template: str, source: Source) -> str:
    """A source's executed notebook as it renders: cells with ids, outputs, metadata."""
    notebook = source.notebook
    return digest(["sections", template, notebook.metadata, notebook.cells])


class Renderer:
    """Renders sources and the shell, reusing what `cache` has unless told not to (reuse=False).

    Fresh renderings are stored either way, so that `--no-cache` also refreshes the cache.
    """

    def __init__(self, cache: ExecutionCache | None, reuse: bool = True) -> None:
        self.cache = cache
        self.reuse = reuse and cache is not None
        self.template = template_key()
        self.sections: dict[Path, list[str]] = {}
        self.rendered: list[Path] = []  # the sources that were rendered, not reused

    def add(self, source: Source) -> None:
        """Render one executed source (or take its slides from the cache)."""
        key = source_key(self.template, source)
        found = self.load(key)
        if isinstance(found, list) and all(isinstance(part, str) for part in found):
            self.sections[source.path] = found
            return
        sections = render_sections(source, self.template)
        self.rendered.append(source.path)
        if self.cache is not None:
            self.cache.store_rendered(key, sections)
        self.sections[source.path] = sections

    def shell(self, title: str, assets: Mapping[str, str]) -> Shell:
        """The page around the slides, for this title and these inlined assets."""
        key = digest(["shell", self.template, title, assets])
        found = self.load(key)
        if isinstance(found, dict) and isinstance(found.get("head"), str):
            return Shell(found["head"], str(found.get("tail", "")))
        shell = render_shell(title, assets, self.template)
        if self.cache is not None:
            self.cache.store_rendered(key, {"head": shell.head, "tail": shell.tail})
        return shell

    def deck(self, sources: Sequence[Source], title: str, assets: Mapping[str, str]) -> str:
        """The whole deck: every source's slides in order inside the shell."""
        for source in sources:
            if source.path not in self.sections:
                self.add(source)
        sections = [part for source in sources for part in self.sections[source.path]]
        return assemble(self.shell(title, assets), sections)

    def load(self, key: str) -> object | None:
        return self.cache.load_rendered(key) if self.reuse and self.cache is not None else None


def warm() -> None:
    """Import nbconvert and compile the template ahead of the first edit (serve does this)."""
    render.exporter(template_key()).template  # noqa: B018  # loading it compiles it
