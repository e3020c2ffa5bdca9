"""The build: read and check sources, execute them through the cache, render, write atomically."""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from deckbuild import render as render_module
from deckbuild.cache import ExecutionCache, digest, environment_fingerprint, file_digest
from deckbuild.errors import BuildError
from deckbuild.execute import Executed, execute, execute_in_worker
from deckbuild.extract import collect_examples, module_text
from deckbuild.inline import inline_images, reveal_assets
from deckbuild.paths import TEMPLATES, display_path, write_atomically
from deckbuild.render import deck_title, merge, render
from deckbuild.sources import Source, read_source, resolve_sources
from deckbuild.theme import Theme, choose_theme


def build(
    patterns: Sequence[str],
    out: Path,
    timeout: int,
    jobs: int = 1,
    cache: ExecutionCache | None = None,
    theme: str | None = None,
) -> Path:
    """Execute and render the sources into out/index.html; nothing is written unless all succeed.

    Without a cache every source runs and the deck is rendered anew. The theme is a name from
    deckbuild.theme, or None for the project's setting.
    """
    chosen = choose_theme(theme)
    paths = resolve_sources(patterns)
    check_writable(out)
    sources = [read_source(path) for path in paths]
    for name, fragments in collect_examples(sources).items():
        module_text(name, fragments)  # refuse what extract would refuse, before any kernel runs
    for source in sources:
        inline_images(source)
    execute_all(sources, timeout, jobs, cache)
    notebook = merge([s.notebook for s in sources], deck_title(sources))
    deck = render_through(cache, notebook, chosen)
    written: set[Path] = set()
    for source in sources:
        notebook_path = out / "notebooks" / f"{source.path.stem}.ipynb"
        text = nbformat.writes(source.notebook)  # type: ignore[no-untyped-call]
        write_atomically(notebook_path, text)
        written.add(notebook_path)
    for old in set((out / "notebooks").glob("*.ipynb")) - written:
        old.unlink()  # a reader should find only the notebooks of this deck
    index = out / "index.html"
    write_atomically(index, deck)
    return index


def check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise BuildError(
            f"{display_path(out)}: cannot write the output folder ({error.strerror})"
        ) from None


def execute_all(
    sources: Sequence[Source], timeout: int, jobs: int, cache: ExecutionCache | None
) -> None:
    """Execute what the cache cannot supply, jobs kernels at a time; errors in source order."""
    pending = [s for s in sources if not (cache and cache.reuse(s))]
    for source in sources:
        state = "executing" if source in pending else "reusing cached outputs of"
        print(f"{state} {source.name}", file=sys.stderr, flush=True)
    results: dict[int, Executed | BuildError] = {}
    if jobs <= 1 or len(pending) <= 1:
        for index, source in enumerate(pending):
            results[index] = execute(source, timeout)
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(execute_in_worker, source, timeout) for source in pending]
            try:
                for index, future in enumerate(futures):
                    try:
                        results[index] = future.result()
                    except BuildError as error:
                        results[index] = error
            except KeyboardInterrupt:
                for future in futures:
                    future.cancel()
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()  # each worker shuts its kernel down, then exits
                raise
    for index, source in enumerate(pending):
        result = results[index]
        if isinstance(result, BuildError):
            raise result
        source.notebook = result.notebook
        if cache:
            cache.store(source, result.imported)


def render_through(cache: ExecutionCache | None, notebook: NotebookNode, theme: Theme) -> str:
    """render(), or the deck it made last time from the same notebook, template and packages.

    Rendering takes seconds (nbconvert sanitizes every cell, then reparses the whole page), so a
    rebuild that changed nothing reuses the last deck. Only the latest deck is kept.
    """
    assets = reveal_assets()
    if cache is None:
        return render(notebook, assets, theme)
    templates = sorted(path for path in TEMPLATES.rglob("*") if path.is_file())
    key = digest(
        [
            environment_fingerprint(),
            file_digest(Path(render_module.__file__)),  # render()'s own settings
            [(str(path.relative_to(TEMPLATES)), file_digest(path)) for path in templates],
            assets,
            theme.resources(),
            theme.pygments_style,
            notebook.metadata,
            # jupytext gives cells new random ids on every read: they are not content
            [{k: v for k, v in cell.items() if k != "id"} for cell in notebook.cells],
        ]
    )
    deck = cache.load_deck(key)
    if deck is None:
        deck = render(notebook, assets, theme)
        cache.store_deck(key, deck)
    return deck
