"""N cat requests at latency L against the local cat server, as a ratio to the ideal L.

    python -m benchmarks.concurrency [--latency S] [--repeats N]

The server (examples.cat_server) runs in its own process, so that it does not share the
client's event loop or GIL. The clients are the talk's functions (examples.cats, examples.threads)
with their prints sent nowhere.
"""

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import aiohttp

from benchmarks.common import median, quiet, run_main, seconds, serving_subprocess, table
from examples.cats import (
    CATS,
    fetch_cats_gather,
    fetch_cats_sequential,
    fetch_cats_taskgroup,
    fetch_cats_tasks,
)
from examples.threads import fetch_a_cat_sync

DESCRIPTION = "N cat requests at latency L: sequential, create_task, gather, TaskGroup, threads."
LATENCY = 0.2  # seconds: the latency of the N = 100 target
SEQUENTIAL_LATENCY = 0.02  # seconds: sequential N = 100 would take 20 s at LATENCY
DEFAULT_THREADS = min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default size
AIOHTTP_LIMIT = 100  # aiohttp's default TCPConnector(limit=...): connections per session
Fetcher = Callable[[aiohttp.ClientSession, str, tuple[int, ...]], Awaitable[object]]
STRATEGIES: dict[str, Fetcher] = {
    "sequential": fetch_cats_sequential,
    "create_task": fetch_cats_tasks,
    "gather": fetch_cats_gather,
    "TaskGroup": fetch_cats_taskgroup,
}


def statuses(count: int) -> tuple[int, ...]:
    """The talk's three cats, over and over: pictures the server has drawn already."""
    return tuple(CATS[i % len(CATS)] for i in range(count))


async def time_aiohttp(
    fetch: Fetcher, url: str, count: int, limit: int, warm: bool = False
) -> float:
    """One run of fetch on a new session: connecting is part of the time, unless warm.

    warm: the same requests are made once, untimed, so the session's connections are open.
    """
    connector = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=connector) as session:
        with quiet():
            if warm:
                await fetch(session, url, statuses(count))
            started = time.perf_counter()
            await fetch(session, url, statuses(count))
            return time.perf_counter() - started


async def time_threads(url: str, count: int, workers: int | None) -> float:
    """Each request's blocking fetch_a_cat_sync in a thread, all awaited in a TaskGroup.

    workers=None: asyncio.to_thread, on the loop's default pool (the talk's pattern);
    else loop.run_in_executor on a pool of that many threads.
    """
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=workers or 1) as pool, quiet():
        started = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            for status in statuses(count):
                if workers is None:
                    tg.create_task(asyncio.to_thread(fetch_a_cat_sync, url, status))
                else:
                    tg.create_task(run_in(loop, pool, url, status))
        return time.perf_counter() - started


async def run_in(
    loop: asyncio.AbstractEventLoop, pool: ThreadPoolExecutor, url: str, status: int
) -> bytes:
    return await loop.run_in_executor(pool, fetch_a_cat_sync, url, status)


async def warm_up(url: str) -> None:
    """Have the server draw each picture once, before anything is timed."""
    async with aiohttp.ClientSession() as session:
        with quiet():
            await fetch_cats_gather(session, url, CATS)


def row(name: str, count: int, latency: float, times: Sequence[float], note: str = "") -> list[str]:
    middle = median(times)
    return [
        name,
        str(count),
        seconds(latency),
        seconds(middle),
        f"{middle / latency:.2f}x",
        f"{100 * latency / middle:.0f}%",
        str(len(times)),
        note,
    ]


async def measure_at(url: str, slow_url: str, latency: float, repeats: int) -> list[list[str]]:
    await warm_up(url)
    await warm_up(slow_url)

    async def times(make: Callable[[], Awaitable[float]], n: int = repeats) -> list[float]:
        return [await make() for _ in range(n)]

    rows: list[list[str]] = []
    for count in (3, 100, 1000):
        few = max(1, repeats // 2) if count == 1000 else repeats
        if count == 3:
            run = await times(
                partial(time_aiohttp, fetch_cats_sequential, slow_url, 3, AIOHTTP_LIMIT)
            )
            rows.append(row("sequential", count, latency, run))
        if count == 100:
            fast = await times(
                partial(time_aiohttp, fetch_cats_sequential, url, 100, AIOHTTP_LIMIT), 1
            )
            rows.append(row("sequential", count, SEQUENTIAL_LATENCY, fast, "at the small L"))
        for name, fetch in STRATEGIES.items():
            if name == "sequential":
                continue
            run = await times(partial(time_aiohttp, fetch, slow_url, count, AIOHTTP_LIMIT), few)
            capped = f"aiohttp's default limit of {AIOHTTP_LIMIT}" if count > AIOHTTP_LIMIT else ""
            rows.append(row(name, count, latency, run, capped))
            if count > AIOHTTP_LIMIT:
                run = await times(partial(time_aiohttp, fetch, slow_url, count, 0), few)
                rows.append(row(name, count, latency, run, "TCPConnector(limit=0): no limit"))
            if count == 100 and name in ("gather", "TaskGroup"):
                warm = partial(time_aiohttp, fetch, slow_url, count, AIOHTTP_LIMIT, True)
                run = await times(warm, few)
                rows.append(row(name, count, latency, run, "connections already open"))
        if count <= 100:
            run = await times(partial(time_threads, slow_url, count, None), few)
            note = f"the default pool: {DEFAULT_THREADS} threads"
            rows.append(row("threads: to_thread", count, latency, run, note))
        run = await times(partial(time_threads, slow_url, count, count), few)
        rows.append(row("threads: run_in_executor", count, latency, run, "a pool of N threads"))
    return rows


def measure(latency: float, repeats: int) -> Iterator[str]:
    ready = r"serving on (http://\S+)"
    slow = ["-m", "examples.cat_server", "--port", "0", "--latency", str(latency)]
    fast = ["-m", "examples.cat_server", "--port", "0", "--latency", str(SEQUENTIAL_LATENCY)]
    with serving_subprocess(slow, ready) as slow_match, serving_subprocess(fast, ready) as match:
        rows = asyncio.run(measure_at(match[1], slow_match[1], latency, repeats))
    yield table(
        "N requests at latency L against the local cat server",
        ["strategy", "N", "L", "median", "ratio to L", "of ideal", "runs", "note"],
        rows,
        [
            "Ideal is every request in flight at once: the whole batch in L. Sequential runs only "
            f"for N = 3, and for N = 100 at L = {seconds(SEQUENTIAL_LATENCY)} (at "
            f"{seconds(latency)} it would take {100 * latency:.0f} s).",
            f"aiohttp opens at most {AIOHTTP_LIMIT} connections per session by default, so N = "
            "1000 runs twice: with that limit (about N / 100 rounds of L), and without it.",
            "Each run uses a new session, so connecting is part of the time, except in the rows "
            "marked 'connections already open'. The server is examples.cat_server in its own "
            "process, with its pictures drawn beforehand.",
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds (default 0.2)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args(argv)
    run_main("Concurrency demos", measure(args.latency, args.repeats))


if __name__ == "__main__":
    main()
