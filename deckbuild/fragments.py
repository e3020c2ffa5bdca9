"""Rendering through the cache: each slide by its executed cells, the page around them by template.

nbconvert takes about a third of a second per slide file, so a rebuild renders only the slides
whose executed cells changed (a prose edit: one slide) and reuses the other slides and the page
around them (reveal.js and the styles, inlined once) from the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from deckbuild import render
from deckbuild.cache import ExecutionCache, digest, environment_fingerprint, file_digest
from deckbuild.layouts import with_title_fields
from deckbuild.mainpath import Plan
from deckbuild.paths import TEMPLATES
from deckbuild.render import Shell, assemble, cut_slides, render_shell, render_slide
from deckbuild.sources import Source
from deckbuild.theme import DEFAULT_THEME, THEMES, Theme

if TYPE_CHECKING:
    from nbconvert.exporters import SlidesExporter
    from nbformat import NotebookNode


def template_key(theme: Theme = THEMES[DEFAULT_THEME]) -> str:
    """What decides how any notebook renders: packages, render.py, the template's files, the
    theme (its code colours and palette)."""
    templates = sorted(path for path in TEMPLATES.rglob("*") if path.is_file())
    return digest(
        [
            environment_fingerprint(),
            file_digest(Path(render.__file__)),
            [(str(path.relative_to(TEMPLATES)), file_digest(path)) for path in templates],
            theme.name,
            theme.pygments_style,
            theme.resources(),
        ]
    )


def slide_key(template: str, slide: NotebookNode) -> str:
    """A slide's executed cells as they render: ids, outputs, the notebook's metadata."""
    return digest(["slide", template, slide.metadata, slide.cells])


class Renderer:
    """Renders sources slide by slide, and the shell, reusing what `cache` has unless told not
    to (reuse=False). Fresh renderings are stored either way: `--no-cache` refreshes the cache.

    plan: where each slide goes (mainpath: the main path, or backup after it); notebook_of: the
    notebook to render for an executed source (math.Typesetter.notebook: formulas as tokens);
    theme: deckbuild.theme's light or dark.
    """

    def __init__(
        self,
        cache: ExecutionCache | None,
        reuse: bool = True,
        plan: Plan | None = None,
        notebook_of: Callable[[Source], NotebookNode] | None = None,
        theme: Theme = THEMES[DEFAULT_THEME],
    ) -> None:
        self.cache = cache
        self.reuse = reuse and cache is not None
        self.theme = theme
        self.template = template_key(theme)
        self.plan = plan or Plan({}, {}, set(), 0)
        self.notebook_of = notebook_of or (lambda source: source.notebook)
        self.sections: dict[Path, list[str]] = {}
        self.backup_sections: dict[Path, list[str]] = {}
        self.rendered: list[Path] = []  # the sources with a slide rendered, not reused
        self.slides_rendered = 0

    def add(self, source: Source) -> None:
        """Render one executed source's slides, or take those that did not change from the cache.

        The cache keeps each file's slides by their content, in one entry per file and path.
        """
        notebook = with_title_fields([self.notebook_of(source)])[0]  # a title slide's details
        main, backup = self.plan.apply(notebook.cells)
        before = self.slides_rendered
        self.sections[source.path] = self.render_part(source, notebook, main, "main")
        self.backup_sections[source.path] = self.render_part(source, notebook, backup, "backup")
        if self.slides_rendered > before and source.path not in self.rendered:
            self.rendered.append(source.path)

    def render_part(
        self, source: Source, notebook: NotebookNode, cells: list[NotebookNode], part: str
    ) -> list[str]:
        """The sections of some of a source's cells: its main path's, or its backup's."""
        entry = digest(["slides", self.template, str(source.path.resolve()), part])
        found = self.load(entry)
        stored = found if isinstance(found, dict) else {}
        slides: dict[str, list[str]] = {}
        for slide in cut_slides(notebook, cells) if cells else []:
            key = slide_key(self.template, slide)
            known = stored.get(key)
            if isinstance(known, list) and all(isinstance(section, str) for section in known):
                slides[key] = known
            else:
                slides[key] = render_slide(slide, source, self.exporter(), self.theme)
                self.slides_rendered += 1
        if self.cache is not None and slides != stored:
            self.cache.store_rendered(entry, slides)
        return [section for sections in slides.values() for section in sections]

    def shell(self, title: str, assets: Mapping[str, str]) -> Shell:
        """The page around the slides, for this title and these inlined assets."""
        seconds = self.plan.total_seconds
        key = digest(["shell", self.template, title, assets, seconds])
        found = self.load(key)
        if isinstance(found, dict) and isinstance(found.get("head"), str):
            return Shell(found["head"], str(found.get("tail", "")))
        shell = render_shell(title, assets, self.exporter(), seconds, self.theme)
        if self.cache is not None:
            self.cache.store_rendered(key, {"head": shell.head, "tail": shell.tail})
        return shell

    def deck(self, sources: Sequence[Source], title: str, assets: Mapping[str, str]) -> str:
        """The whole deck: every source's main slides in order, then their backup slides."""
        for source in sources:
            if source.path not in self.sections:
                self.add(source)
        sections = [part for source in sources for part in self.sections[source.path]]
        sections += [part for source in sources for part in self.backup_sections[source.path]]
        return assemble(self.shell(title, assets), sections)

    def exporter(self) -> SlidesExporter:
        """nbconvert's exporter for this template, its compiled form kept in the cache folder."""
        compiled = self.cache.folder / "templates" if self.cache is not None else None
        return render.exporter(self.template, compiled, self.theme.name)

    def load(self, key: str) -> object | None:
        return self.cache.load_rendered(key) if self.reuse and self.cache is not None else None


def warm(cache: ExecutionCache | None) -> None:
    """Import nbconvert and compile the template ahead of the first edit (serve does this)."""
    Renderer(cache).exporter().template  # noqa: B018  # loading it compiles it
