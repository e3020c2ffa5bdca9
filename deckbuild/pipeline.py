"""The build: check the sources, execute them through the cache (longest first), render, write."""

from __future__ import annotations

import multiprocessing
import signal
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from deckbuild.alttext import warn_missing_alt
from deckbuild.cache import ExecutionCache
from deckbuild.errors import BuildError
from deckbuild.extract import collect_examples, module_text
from deckbuild.fragments import Renderer
from deckbuild.inline import inline_images
from deckbuild.mainpath import plan
from deckbuild.math import Typesetter
from deckbuild.paths import display_path, write_atomically
from deckbuild.progress import Progress, count_slides
from deckbuild.render import deck_title
from deckbuild.settings import load_settings
from deckbuild.sources import Source, read_source, resolve_sources
from deckbuild.theme import choose_theme

if TYPE_CHECKING:
    from deckbuild.execute import Executed


def build(
    patterns: Sequence[str],
    out: Path,
    timeout: int,
    jobs: int = 1,
    cache: ExecutionCache | None = None,
    reuse: bool = True,
    workers: Executor | None = None,
    progress: Progress | None = None,
    theme: str | None = None,
) -> Path:
    """Execute and render the sources into out/index.html; nothing is written unless all succeed.

    Without a cache, or with reuse=False, every source runs and renders anew (a cache still
    learns the results). Given workers (serve's warm pool), every kernel is started from it.
    progress hears of each source as it finishes and of the deck written (plain lines on
    stderr by default). The theme is a name from deckbuild.theme, or None for the project's
    setting.
    """
    progress = progress or Progress()
    try:
        return build_with(patterns, out, timeout, jobs, cache, reuse, workers, progress, theme)
    finally:
        progress.close()


def build_with(
    patterns: Sequence[str],
    out: Path,
    timeout: int,
    jobs: int,
    cache: ExecutionCache | None,
    reuse: bool,
    workers: Executor | None,
    progress: Progress,
    theme: str | None = None,
) -> Path:
    paths = resolve_sources(patterns)
    check_writable(out)
    sources = [read_source(path, cache.parse if cache else None) for path in paths]
    for name, fragments in collect_examples(sources).items():
        module_text(name, fragments)  # refuse what extract would refuse, before any kernel runs
    settings = load_settings(sources)
    math = Typesetter()
    for source in sources:
        inline_images(source)
        math.take_out(source)
    math.typeset()  # a formula KaTeX cannot read fails the build before any kernel runs
    arranged = plan([s.notebook for s in sources])
    chosen = choose_theme(theme, settings.pyproject)
    renderer = Renderer(cache, reuse, arranged, math.notebook, chosen)
    execute_all(sources, timeout, jobs, cache, reuse, workers, renderer.add, progress)
    progress.rendering()
    deck = math.put_in(renderer.deck(sources, deck_title(sources), settings.assets()))
    written: set[Path] = set()
    for source in sources:
        notebook_path = out / "notebooks" / f"{source.path.stem}.ipynb"
        write_if_changed(notebook_path, nbformat.writes(source.notebook))  # type: ignore[no-untyped-call]
        written.add(notebook_path)
    for old in set((out / "notebooks").glob("*.ipynb")) - written:
        old.unlink()  # a reader should find only the notebooks of this deck
    index = out / "index.html"
    write_if_changed(index, deck)
    progress.done(index, sum(count_slides(source.notebook) for source in sources))
    return index


def write_if_changed(path: Path, text: str) -> None:
    """write_atomically, unless the file already holds exactly this text (a no-change rebuild)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomically(path, text)


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
    reuse: bool = True,
    workers: Executor | None = None,
    done: Callable[[Source], None] = lambda source: None,
    progress: Progress | None = None,
) -> dict[Path, float]:
    """Execute what the cache cannot supply, jobs kernels at a time, the longest first.

    done(source) is called for each source as soon as its outputs are in (reused ones first), so
    that rendering overlaps the kernels still running. Errors are raised in source order, after
    every kernel finished. Returns each executed file's execution time.
    """
    progress = progress or Progress()
    reused: set[int] = set()
    for source in sources:
        started = time.perf_counter()
        if reuse and cache and cache.reuse(source):
            reused.add(id(source))
            progress.finished(source, False, time.perf_counter() - started)
    pending = [s for s in sources if id(s) not in reused]
    pending = longest_first(pending, cache.durations() if cache else {})
    progress.executing(pending)
    errors: dict[int, BuildError] = {}
    seconds: dict[Path, float] = {}

    def outputs_in(source: Source) -> None:
        """Executed or reused: say what its outputs lack, and pass it on unless a file failed."""
        warn_missing_alt(source)
        if not errors:
            done(source)

    for source in sources:
        if id(source) in reused:
            outputs_in(source)

    def finished(index: int, result: Executed | BuildError) -> None:
        source = pending[index]
        if isinstance(result, BuildError):
            errors[index] = result
            return
        source.notebook = result.notebook
        seconds[source.path] = result.seconds
        progress.finished(source, True, result.seconds)
        if cache:
            cache.store(source, result.imported)
        outputs_in(source)

    from deckbuild.execute import execute  # jupyter_client and zmq: only when a kernel runs

    if workers is not None:
        run_in_workers(pending, timeout, workers, finished)
    elif jobs <= 1 or len(pending) <= 1:
        for index, source in enumerate(pending):
            try:
                finished(index, execute(source, timeout))
            except BuildError as error:
                finished(index, error)
    else:
        with worker_pool(min(jobs, len(pending))) as pool:
            run_in_workers(pending, timeout, pool, finished)
    if cache:
        cache.store_durations(seconds)
    if errors:  # the first in source order
        first = min(errors, key=lambda index: [id(s) for s in sources].index(id(pending[index])))
        raise errors[first]
    return seconds


def longest_first(sources: Sequence[Source], durations: Mapping[str, float]) -> list[Source]:
    """The sources by their last execution time, longest first; unknown ones keep their order."""
    known = [durations.get(str(source.path.resolve())) for source in sources]
    order = sorted(range(len(sources)), key=lambda i: (-(known[i] or 0.0), i))
    return [sources[i] for i in order]


def worker_pool(jobs: int, quiet: bool = False) -> ProcessPoolExecutor:
    """Processes to execute sources in, each starting its own kernels.

    quiet: the workers ignore Ctrl-C (the whole terminal's SIGINT); their owner stops them.
    """
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    if not quiet:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=signal.signal,
        initargs=(signal.SIGINT, signal.SIG_IGN),
    )


def run_in_workers(
    pending: Sequence[Source],
    timeout: int,
    pool: Executor,
    finished: Callable[[int, Executed | BuildError], None],
) -> None:
    """execute() each source in the pool, the first submitted first; finished() as each ends."""
    from deckbuild.execute import execute_in_worker

    futures = {
        pool.submit(execute_in_worker, source, timeout): index
        for index, source in enumerate(pending)  # in order: the longest first
    }
    try:
        for future in as_completed(futures):
            try:
                result: Executed | BuildError = future.result()
            except BuildError as error:
                result = error
            finished(futures[future], result)
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()  # each worker shuts its kernel down, then exits
        raise
