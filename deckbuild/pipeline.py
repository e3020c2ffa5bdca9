"""The build: read and check sources, execute them through the cache, render, write atomically."""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from deckbuild import render as render_module
from deckbuild.cache import ExecutionCache, digest, environment_fingerprint, file_digest
from deckbuild.errors import BuildError
from deckbuild.execute import Executed, execute, execute_in_worker
from deckbuild.extract import collect_examples, module_text
from deckbuild.inline import inline_images
from deckbuild.math import Typesetter
from deckbuild.paths import TEMPLATES, display_path, write_atomically
from deckbuild.progress import Progress
from deckbuild.render import deck_title, merge, render
from deckbuild.settings import load_settings
from deckbuild.sources import Source, read_source, resolve_sources
from deckbuild.theme import Theme, choose_theme


def build(
    patterns: Sequence[str],
    out: Path,
    timeout: int,
    jobs: int = 1,
    cache: ExecutionCache | None = None,
    progress: Progress | None = None,
    theme: str | None = None,
) -> Path:
    """Execute and render the sources into out/index.html; nothing is written unless all succeed.

    Without a cache every source runs and the deck is rendered anew. progress hears of each
    source as it finishes and of the deck written (plain lines on stderr by default). The theme
    is a name from deckbuild.theme, or None for the project's setting.
    """
    progress = progress or Progress()
    try:
        return build_with(patterns, out, timeout, jobs, cache, progress, theme)
    finally:
        progress.close()


def build_with(
    patterns: Sequence[str],
    out: Path,
    timeout: int,
    jobs: int,
    cache: ExecutionCache | None,
    progress: Progress,
    theme: str | None = None,
) -> Path:
    paths = resolve_sources(patterns)
    check_writable(out)
    sources = [read_source(path) for path in paths]
    for name, fragments in collect_examples(sources).items():
        module_text(name, fragments)  # refuse what extract would refuse, before any kernel runs
    settings = load_settings(sources)
    math = Typesetter()
    for source in sources:
        inline_images(source)
        math.take_out(source)
    math.typeset()  # a formula KaTeX cannot read fails the build before any kernel runs
    execute_all(sources, timeout, jobs, cache, progress)
    progress.rendering()
    notebook = merge([math.notebook(s) for s in sources], deck_title(sources))
    chosen = choose_theme(theme, settings.pyproject)
    deck = math.put_in(render_through(cache, notebook, settings.assets(), chosen))
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
    progress.done(index, notebook)
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
    sources: Sequence[Source],
    timeout: int,
    jobs: int,
    cache: ExecutionCache | None,
    progress: Progress,
) -> None:
    """Execute what the cache cannot supply, jobs kernels at a time; errors in source order."""
    pending: list[Source] = []
    for source in sources:
        started = time.perf_counter()
        if cache and cache.reuse(source):
            progress.finished(source, False, time.perf_counter() - started)
        else:
            pending.append(source)
    progress.executing(pending)
    results: dict[int, Executed | BuildError] = {}
    if jobs <= 1 or len(pending) <= 1:
        for index, source in enumerate(pending):
            results[index], seconds = execute_timed(source, timeout)
            progress.finished(source, True, seconds)
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {
                pool.submit(execute_timed, source, timeout, True): index
                for index, source in enumerate(pending)
            }
            try:
                collect(futures, pending, results, progress)
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


def execute_timed(source: Source, timeout: int, worker: bool = False) -> tuple[Executed, float]:
    """execute() (in a pool process if worker), and how long it took there, in seconds."""
    started = time.perf_counter()
    result = execute_in_worker(source, timeout) if worker else execute(source, timeout)
    return result, time.perf_counter() - started


def collect(
    futures: Mapping[Future[tuple[Executed, float]], int],
    pending: Sequence[Source],
    results: dict[int, Executed | BuildError],
    progress: Progress,
) -> None:
    """Each source's result or error as its kernel finishes, told to progress in that order."""
    for future in as_completed(futures):
        index = futures[future]
        try:
            results[index], seconds = future.result()
        except BuildError as error:
            results[index] = error
            continue
        progress.finished(pending[index], True, seconds)


def render_through(
    cache: ExecutionCache | None,
    notebook: NotebookNode,
    assets: Mapping[str, str],
    theme: Theme,
) -> str:
    """render(), or the deck it made last time from the same notebook, template and packages.

    Rendering takes seconds (nbconvert sanitizes every cell, then reparses the whole page), so a
    rebuild that changed nothing reuses the last deck. Only the latest deck is kept.
    """
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
