# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=3
# # 1,000 cats, politely
#
# A task per cat opens a connection per cat. A `Semaphore` lets only `limit` in at a time.

# %% tags=["example:bounded", "remove-cell"]
import asyncio

import aiohttp

# %% tags=["example:bounded"]
async def fetch_status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        await response.read()
        return response.status


async def fetch_bounded(session: aiohttp.ClientSession, urls: list[str], limit: int) -> list[int]:
    """Fetch every URL, with at most `limit` requests in flight."""
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url: str) -> int:
        async with semaphore:  # waits here while `limit` others are inside
            return await fetch_status(session, url)

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch_one(url)) for url in urls]
    return [task.result() for task in tasks]


# %% [markdown] slideshow={"slide_type": "notes"}
# The semaphore is a counter: `async with` takes one (waiting while it is at zero) and gives it
# back at the end. Every task is still created at once, but only `limit` of them are past the
# semaphore. Tasks are cheap (a few hundred bytes); connections are not, for us or for the
# server.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Counted on the cat server
#
# 1,000 cats at 0.1 s each; aiohttp's own limit of 100 connections switched off.

# %%
import functools

from examples.bounded import fetch_all_at_once, measure  # their code is in the backup slides

naive = await measure(fetch_all_at_once, 1000, latency=0.1)
bounded = await measure(functools.partial(fetch_bounded, limit=50), 1000, latency=0.1)
for name, (cats, connections, seconds) in [("all at once", naive), ("Semaphore(50)", bounded)]:
    print(f"{name:>14}: {cats} cats, {connections:>4} connections, {seconds:.2f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# The server counts the connections it accepted (the appendix shows how). All at once opens
# one per cat. That is a thousand sockets on each side, past the 1,024 open files many
# systems allow a process by default (`measure` raises the limit for this demo): the
# naive version fails with "Too many open files" before it annoys the server. With the
# semaphore, 50 connections carry all the requests, one after another (keep-alive). Its floor
# is 1,000 / 50 x 0.1 s = 2 s; all at once is limited by how fast one thread opens and serves a
# thousand connections, and is often no faster (compare the two times, measured in the same
# run). aiohttp's session caps connections at 100 by default (httpx too); requests and many
# other clients do not.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## Deeper: a queue of workers
#
# Instead of a task per cat behind a semaphore: `workers` tasks, taking URLs from a queue.

# %% tags=["example:bounded"]
async def fetch_with_workers(
    session: aiohttp.ClientSession, urls: list[str], workers: int
) -> list[int]:
    """Fetch every URL with `workers` tasks, each taking the next URL from a queue."""
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(urls):
        queue.put_nowait(item)
    statuses = [0] * len(urls)

    async def worker() -> None:
        while not queue.empty():  # no await between the check and the get: no race
            index, url = queue.get_nowait()
            statuses[index] = await fetch_status(session, url)

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(worker())
    return statuses


# %% [markdown] slideshow={"slide_type": "notes"}
# The queue holds `(index, url)` pairs so that each result lands in its URL's place. Checking
# `empty()` and then calling `get_nowait()` is safe only because nothing awaits in between: no
# other worker can run there. If a request fails, the TaskGroup cancels the other workers.


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### The queue, counted

# %%
queued = await measure(functools.partial(fetch_with_workers, workers=50), 1000, latency=0.1)
print("{:>14}: {} cats, {:>4} connections, {:.2f} s".format("50 workers", *queued))

# %% [markdown] slideshow={"slide_type": "notes"}
# Fifty tasks instead of a thousand, the same fifty connections. A queue also suits work that
# arrives over time: workers `await queue.get()`, and since Python 3.13 `queue.shutdown()`
# tells them to stop once it is empty.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## Deeper: the naive way, and room for its sockets

# %% tags=["example:bounded", "remove-cell"]
import functools
import resource
import time
from collections.abc import Awaitable, Callable

from examples.cat_server import CONNECTIONS, start_server

# %% tags=["example:bounded"]
async def fetch_all_at_once(session: aiohttp.ClientSession, urls: list[str]) -> list[int]:
    """The naive way: a task per URL, all started together."""
    return await asyncio.gather(*(fetch_status(session, url) for url in urls))


def allow_open_files(count: int) -> None:
    """Raise this process's limit on open files to `count` (if the hard limit allows)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


# %% [markdown] slideshow={"slide_type": "notes"}
# Each open connection is a file descriptor at each end. Unix limits how many one process may
# have open: often 1,024 by default (`ulimit -n`), which a thousand connections plus the
# server's thousand would pass. A process may raise its own soft limit up to the hard one.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Deeper: how the connections were counted

# %% tags=["example:bounded"]
CATS = (200, 201, 204, 301, 302, 400, 403, 404, 418, 429, 500, 502, 503)  # cycled through
TIMEOUT = aiohttp.ClientTimeout(total=60)  # per request, including the wait for a connection
Fetch = Callable[[aiohttp.ClientSession, list[str]], Awaitable[list[int]]]


async def measure(fetch: Fetch, count: int, latency: float) -> tuple[int, int, float]:
    """Fetch `count` cats from a new local cat server: (cats, connections it saw, seconds)."""
    allow_open_files(2 * count + 100)  # the naive way: a socket per cat, at each end
    runner, base_url = await start_server(latency=latency)
    try:
        urls = [f"{base_url}/{CATS[i % len(CATS)]}" for i in range(count)]
        connector = aiohttp.TCPConnector(limit=0)  # no limit of aiohttp's: ours only
        async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as session:
            start = time.perf_counter()
            statuses = await fetch(session, urls)
            seconds = time.perf_counter() - start
    finally:
        await runner.cleanup()
    return statuses.count(200), runner.app[CONNECTIONS].opened, seconds


# %% [markdown] slideshow={"slide_type": "notes"}
# A new cat server for each measurement, so that its connection counter starts at zero; a new
# session too, so that no connection is reused from an earlier run. `statuses.count(200)`
# counts the cats that arrived.

# %% tags=["example:bounded", "remove-cell"]
# For `python -m examples.bounded`: the three ways side by side.
STRATEGIES: dict[str, Fetch] = {
    "all at once": fetch_all_at_once,
    "Semaphore(50)": functools.partial(fetch_bounded, limit=50),
    "50 workers": functools.partial(fetch_with_workers, workers=50),
}


async def main(count: int = 1000, latency: float = 0.1) -> None:
    """Fetch `count` cats each way from a local cat server, and print what the server saw."""
    for name, fetch in STRATEGIES.items():
        cats, connections, seconds = await measure(fetch, count, latency)
        print(f"{name:>14}: {cats} cats, {connections:>4} connections, {seconds:.2f} s")


# %% [markdown] slideshow={"slide_type": "slide"}
# # Shutting down: Ctrl-C under `asyncio.run`
#
# `asyncio.run` turns Ctrl-C (SIGINT) into a cancel of `main`: every `finally` gets to run.

# %% tags=["example:shutdown"] steps="1-9|12-21"
import asyncio


async def worker(name: str) -> None:
    try:
        await asyncio.sleep(3600)  # stands in for work that runs until it is stopped
    finally:  # cancelled: clean up, awaiting if need be
        await asyncio.sleep(0.05)  # e.g. flush a buffer, close connections
        print(f"  {name}: cleaned up")


async def main() -> None:
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(worker("worker 1"))
            tg.create_task(worker("worker 2"))
            await asyncio.sleep(0)  # -- the workers start here --
            print("main: ready, Ctrl-C to stop")
    except asyncio.CancelledError:  # the TaskGroup has cancelled the workers and waited
        print("main: cancelled, all workers cleaned up")
        raise  # let asyncio.run see it


# %% tags=["example:shutdown", "skip-execution"]
import sys

if __name__ == "__main__":  # not run on the slide: the next slide runs it as a program
    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # asyncio.run raises it once main has been cancelled
        print("program: interrupted, exiting")
        sys.exit(130)  # the usual status for "stopped by SIGINT"

# %% [markdown] slideshow={"slide_type": "notes"}
# Since Python 3.11, `asyncio.run` installs its own SIGINT handler: the first Ctrl-C cancels
# the main task instead of raising `KeyboardInterrupt` wherever the loop happened to be. The
# cancel travels down through the `TaskGroup` to the workers, their `finally` blocks run, and
# then `asyncio.run` raises `KeyboardInterrupt` for the program to exit on. A second Ctrl-C
# while cleaning up raises `KeyboardInterrupt` at once: the impatient user wins.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Run it, wait until it is ready, press "Ctrl-C"
#
# In a process of its own, with this interpreter; SIGINT is what Ctrl-C sends.

# %%
from examples.ctrl_c import interrupt_when_ready  # its code is in the backup slides

output, status = await interrupt_when_ready("examples.shutdown")
print(output + f"exit status {status}")

# %% [markdown] slideshow={"slide_type": "notes"}
# The program runs exactly as `python -m examples.shutdown` in a terminal. The slide waits for
# its "ready" line rather than for some guessed time, then sends the same signal Ctrl-C sends.
# Both workers clean up (in whichever order they get to), then main, then the program exits
# with status 130, the shell's convention for "ended by SIGINT".

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## Deeper: pressing Ctrl-C from a program

# %% tags=["example:ctrl_c"]
import asyncio
import signal
import sys


async def interrupt_when_ready(module: str, ready: str = "ready") -> tuple[str, int]:
    """Run `python -m module`, send SIGINT once it says `ready`: its output and exit status."""
    program = await asyncio.create_subprocess_exec(
        sys.executable, "-u", "-m", module,  # -u: each print arrives at once
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert program.stdout is not None
    try:
        async with asyncio.timeout(60):  # a program that never gets ready is an error
            output = (await program.stdout.readline()).decode()
            if ready not in output:
                raise RuntimeError(f"{module} did not say it was ready: {output!r}")
            program.send_signal(signal.SIGINT)  # what Ctrl-C in its terminal sends
            output += (await program.stdout.read()).decode()
            return output, await program.wait()
    finally:
        if program.returncode is None:  # we were cancelled or timed out: leave nothing behind
            program.kill()
            await program.wait()


# %% [markdown] slideshow={"slide_type": "notes"}
# `-u` keeps the program's prints unbuffered, so the ready line arrives when it is printed. The
# `finally` makes it cancel-safe: if the slide (or a test) is cancelled or times out, the
# program is killed and reaped, never left running.
