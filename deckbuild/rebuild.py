"""Rebuilding for `serve`: one warm process builds whenever watchfiles reports a change.

The build runs in a worker thread of the server's process, so that its imports and the compiled
template stay warm between edits; kernels are started from a pool of worker processes started
ahead (their imports done too), which Ctrl-C stops the way it stops `build.py build`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from watchfiles import DefaultFilter, awatch

from deckbuild.cache import ExecutionCache
from deckbuild.errors import BuildError, error_line
from deckbuild.execute import kernel_argv
from deckbuild.paths import DEFAULT_SOURCES, ROOT, TEMPLATES, display_path
from deckbuild.pipeline import build, worker_pool
from deckbuild.sources import resolve_sources

WAIT_LIMIT = 25.0  # seconds a page's request for the next state is held open before it asks again


class SourceFilter(DefaultFilter):
    """watchfiles' default filter (editor swap files, __pycache__, .git), no hidden files in the
    watched folders, and nothing in the folders the build writes (its output, the cache)."""

    def __init__(self, watched: Sequence[Path], written: Sequence[Path]) -> None:
        super().__init__()
        self.watched = [folder.resolve() for folder in watched]
        self.written = [folder.resolve() for folder in written]

    def __call__(self, change: Any, path: str) -> bool:
        where = Path(path)
        if not super().__call__(change, path):
            return False
        if any(where.is_relative_to(folder) for folder in self.written):
            return False
        for folder in self.watched:
            if where.is_relative_to(folder):
                return not any(part.startswith(".") for part in where.relative_to(folder).parts)
        return True


def watched_folders(patterns: Sequence[str]) -> list[Path]:
    """Every folder a rebuild depends on: the sources' folders and the templates."""
    try:
        folders = {path.resolve().parent for path in resolve_sources(patterns)}
    except BuildError:  # every slide was deleted: watch the default folder for new ones
        folders = {(ROOT / DEFAULT_SOURCES).parent}
    return sorted(folders | {TEMPLATES})


class Rebuilder:
    """Builds the deck now, then again whenever a watched file changes, in this process."""

    def __init__(self, patterns: Sequence[str], out: Path, timeout: int, cache: Path) -> None:
        self.patterns = list(patterns)
        self.out = out
        self.timeout = timeout
        self.cache = ExecutionCache(cache)
        self.jobs = os.cpu_count() or 1
        self.builds = 0
        self.changes = 0  # every new version or error: what a waiting page is told about
        self.error: str | None = None
        self.stopped = asyncio.Event()
        self.changed = asyncio.Event()  # set, then replaced, on every change
        self.workers: ProcessPoolExecutor | None = None
        self.building = False

    def pool(self) -> ProcessPoolExecutor:
        """The worker processes kernels start from, started (and their imports done) ahead."""
        if self.workers is None:
            self.workers = worker_pool(self.jobs, quiet=True)  # stop() stops them
            for _ in range(self.jobs):  # a worker each: unpickling it imports deckbuild.execute
                self.workers.submit(kernel_argv)
        return self.workers

    def close_pool(self, interrupt: bool) -> None:
        """Stop the workers and wait for them; the next build starts new ones.

        interrupt: SIGTERM them first, which interrupts a running kernel (the worker shuts it
        down, as after Ctrl-C) instead of waiting for it to finish.
        """
        workers, self.workers = self.workers, None
        if workers is None:
            return
        if interrupt:
            for process in list(getattr(workers, "_processes", {}).values()):
                process.terminate()
        workers.shutdown(wait=True, cancel_futures=True)

    def state(self) -> dict[str, Any]:
        return {
            "version": f"{os.getpid()}.{self.builds}",
            "error": self.error,
            "state": f"{os.getpid()}.{self.changes}",
        }

    async def next_state(self, after: str, limit: float = WAIT_LIMIT) -> dict[str, Any]:
        """The state once it differs from `after` (a page's last), or as it is after `limit` s."""
        if self.state()["state"] == after:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), limit)
        return self.state()

    def notify(self) -> None:
        self.changes += 1
        self.changed.set()
        self.changed = asyncio.Event()

    async def rebuild(self) -> bool:
        """Build once; a success bumps the version, a failure keeps the last good deck."""
        if self.stopped.is_set():
            return False
        started = time.perf_counter()
        error: str | None = None
        self.building = True
        try:
            await asyncio.to_thread(
                build,
                self.patterns,
                self.out,
                self.timeout,
                self.jobs,
                self.cache,
                True,
                self.pool(),
            )
        except BuildError as failure:
            error = error_line(failure)
        except (Exception, KeyboardInterrupt) as failure:  # stopped mid-build, or a fault of ours
            if self.stopped.is_set():
                return False
            await asyncio.to_thread(self.close_pool, True)  # the pool may be broken: start anew
            traceback.print_exc()
            error = f"build failed: {type(failure).__name__}: {failure}"
        finally:
            self.building = False
        if self.stopped.is_set():
            return False
        if error is None:
            self.builds += 1
        else:
            print(error, file=sys.stderr, flush=True)
        self.error = error
        self.notify()
        took = time.perf_counter() - started
        what = "rebuilt the deck" if error is None else "the build failed"
        print(f"serve: {what} in {took:.2f} s", flush=True)
        return error is None

    async def watch(self, built: Callable[[bool], None]) -> None:
        """Build now, then again after each batch of changes, until stopped."""
        pending = asyncio.Event()
        pending.set()  # the first build
        folders = watched_folders(self.patterns)
        self.pool()

        async def listen() -> None:
            async for changes in awatch(
                *folders,
                watch_filter=SourceFilter(folders, [self.out, self.cache.folder]),
                stop_event=self.stopped,
                debounce=400,
            ):
                first = sorted(path for _, path in changes)[0]
                print(f"serve: {display_path(Path(first))} changed", flush=True)
                pending.set()

        listener = asyncio.create_task(listen())
        try:
            await asyncio.sleep(0)  # let the watcher start before the first build reads files
            while not self.stopped.is_set():
                waiting = [asyncio.ensure_future(pending.wait()), listener]
                stopping = asyncio.ensure_future(self.stopped.wait())
                await asyncio.wait([*waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
                waiting[0].cancel()
                stopping.cancel()
                if listener.done():
                    listener.result()  # the watcher failed: say why
                    return
                if self.stopped.is_set():
                    return
                pending.clear()
                ok = await self.rebuild()
                built(ok)
                await asyncio.to_thread(warm, self.cache)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def stop(self, watcher: asyncio.Task[None]) -> None:
        """Stop a running build as Ctrl-C would: its kernels' workers shut them down and exit."""
        self.stopped.set()
        await asyncio.to_thread(self.close_pool, self.building)
        await asyncio.gather(watcher, return_exceptions=True)


def warm(cache: ExecutionCache) -> None:
    """Have nbconvert imported and the template compiled before the first edit."""
    from deckbuild.fragments import warm as warm_renderer

    warm_renderer(cache)
