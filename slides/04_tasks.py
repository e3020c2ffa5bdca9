# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=6 layout="section"
# # Tasks
# - Actually using `asyncio` for concurrency
# - Some potentially unintuitive behaviour
# - Cats

# %% tags=["remove-cell"]
# Hidden setup: where the cats come from, how they are shown, and the timings kept for the end.
from examples.cat_server import start_for_slides
from figures import keep_demo_timings, requests_timeline, show, show_cats

HTTP_CAT = await start_for_slides()  # a local stand-in for http.cat, ~0.5 s per picture
runs = {}  # strategy -> (when it started, the cats it fetched), for the timeline at the end
keep_demo_timings(runs, {  # each demo's fetcher, and its row in the timeline
    "fetch_cats_sequential": "one by one",
    "fetch_cats_awaited_in_turn": "coroutines awaited in turn",
    "fetch_cats_tasks": "create_task",
    "fetch_cats_gather": "gather",
    "fetch_cats_taskgroup": "TaskGroup",
})

# %% [markdown] slideshow={"slide_type": "notes"}
# http.cat has a cat picture for every HTTP status code. The deck is built offline, so the cats
# come from a local stand-in (`examples.cat_server`, see the appendix) that answers each request
# after about half a second, like the real site did from Brisbane. `show_cats` is pre-defined,
# like `display_image` was: it puts the pictures side by side with their fetch times.

# %% slideshow={"slide_type": "fragment"} tags=["example:cats"]
import asyncio
import time
from dataclasses import dataclass, field
from http import HTTPStatus

import aiohttp  # for async HTTP requests

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## A cat, timed

# %% tags=["example:cats"]
CATS = (200, 418, 500)  # OK, I'm a Teapot, Internal Server Error
TIMEOUT = aiohttp.ClientTimeout(total=10)  # per request: aiohttp's default is 5 minutes


@dataclass(frozen=True)
class Cat:
    """One cat picture, with when its request started and finished (time.perf_counter())."""

    status: int
    image: bytes = field(repr=False)
    started: float
    finished: float

    @property
    def seconds(self) -> float:
        """How long the request took."""
        return self.finished - self.started


# %% slideshow={"slide_type": "subslide"} tags=["example:cats"]
async def fetch_a_cat(session: aiohttp.ClientSession, base_url: str, status: int) -> Cat:
    """GET {base_url}/{status}: the picture for one status code, timed."""
    phrase = HTTPStatus(status).phrase  # ValueError if `status` is not an HTTP status code
    print(f"  cat {status} ({phrase}): requesting...")
    started = time.perf_counter()
    try:
        async with session.get(f"{base_url}/{status}") as response:
            response.raise_for_status()
            image = await response.read()
    except asyncio.CancelledError:
        print(f"  cat {status}: cancelled!")
        raise  # never swallow a cancellation: whoever cancelled us is waiting for it
    finished = time.perf_counter()
    print(f"  cat {status}: got {len(image)} bytes in {finished - started:.2f} s")
    return Cat(status, image, started, finished)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## One cat after another

# %% tags=["example:cats"]
async def fetch_cats_sequential(
    session: aiohttp.ClientSession, base_url: str, statuses: tuple[int, ...] = CATS
) -> list[Cat]:
    """Each request starts when the one before it has finished."""
    print("parent: fetching the cats one by one...")
    cats = []
    for status in statuses:
        cats.append(await fetch_a_cat(session, base_url, status))
    print("parent: all done!")
    return cats


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
start = time.perf_counter()
async with aiohttp.ClientSession(timeout=TIMEOUT) as session:  # a connection pool
    cats = await fetch_cats_sequential(session, HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cats)

# %% [markdown] slideshow={"slide_type": "slide"}
# # Why don't we do it concurrently?

# %% tags=["example:cats"]
async def fetch_cats_awaited_in_turn(
    session: aiohttp.ClientSession, base_url: str, statuses: tuple[int, ...] = CATS
) -> list[Cat]:
    """Make all the coroutines first, then await them one at a time."""
    print("parent: making a coroutine per cat...")
    coros = [fetch_a_cat(session, base_url, status) for status in statuses]
    print("parent: awaiting them in turn...")
    cats = []
    for coro in coros:
        cats.append(await coro)
    print("parent: all done!")
    return cats


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
start = time.perf_counter()
async with aiohttp.ClientSession(timeout=TIMEOUT) as session:  # a connection pool
    cats = await fetch_cats_awaited_in_turn(session, HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cats)

# %% [markdown] slideshow={"slide_type": "notes"}
# Look at the order of the prints: "awaiting them in turn" comes before the first cat is even
# asked for. A coroutine object is a paused function call that has not started yet, just like
# the fibonacci generator before the first `next()`.

# %% [markdown] slideshow={"slide_type": "slide"}
# # Tasks: `asyncio.create_task`
# `asyncio` does not start coroutines until they are awaited! Instead you make them a task.

# %% tags=["example:cats"]
async def fetch_cats_tasks(
    session: aiohttp.ClientSession, base_url: str, statuses: tuple[int, ...] = CATS
) -> list[Cat]:
    """Wrap each coroutine in a task, which the event loop runs as soon as we yield to it."""
    print("parent: starting a task per cat...")
    # Keep references to the tasks: the event loop holds only weak ones, and a task nobody
    # refers to can be garbage-collected before it finishes.
    tasks = [asyncio.create_task(fetch_a_cat(session, base_url, status)) for status in statuses]
    print("parent: awaiting the tasks in turn...")
    cats = []
    for task in tasks:
        cats.append(await task)
    print("parent: all done!")
    return cats


# %% slideshow={"slide_type": "subslide"}
start = time.perf_counter()
async with aiohttp.ClientSession(timeout=TIMEOUT) as session:  # a connection pool
    cats = await fetch_cats_tasks(session, HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cats)

# %% [markdown] slideshow={"slide_type": "notes"}
# Each demo opens its own `aiohttp.ClientSession` (a pool of connections) and closes it at the
# end of its `async with`: a session left open is the "Unclosed client session" warning of the
# HTTP section. The pool's connections are reused between requests of the same demo.
#
# The 2019 version said "in Python 3.6 use `asyncio.ensure_future` instead". Not any more:
# `create_task` is the way to start a coroutine; `ensure_future` is for code that does not know
# whether it holds a coroutine or a future.
#
# The prints say "awaiting the tasks" before any cat is asked for: `create_task` only
# schedules the task, and the tasks get to run at the parent's first `await`. (Python 3.12's
# eager tasks change that: they run straight away, up to their first real wait.)

# %% [markdown] slideshow={"slide_type": "slide"}
# So now we can start things concurrently, but do we really have to...
# 1. create the coroutine
# 2. turn it into a task
# 3. await the task?

# %% slideshow={"slide_type": "fragment"} tags=["example:cats"]
async def fetch_cats_gather(
    session: aiohttp.ClientSession, base_url: str, statuses: tuple[int, ...] = CATS
) -> list[Cat]:
    """Let asyncio.gather make the tasks and collect the results, in order."""
    print("parent: gathering the cats...")
    cats = await asyncio.gather(*(fetch_a_cat(session, base_url, status) for status in statuses))
    print("parent: all done!")
    return cats


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
start = time.perf_counter()
async with aiohttp.ClientSession(timeout=TIMEOUT) as session:  # a connection pool
    cats = await fetch_cats_gather(session, HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cats)

# %% [markdown] slideshow={"slide_type": "notes"}
# This is the "introducing `asyncio.gather`" slide. It runs them concurrently and returns the
# results in the order of its arguments (its output is in the backup slides: the same timing
# as `create_task`).

# %% [markdown] slideshow={"slide_type": "slide"}
# # Since Python 3.11: `asyncio.TaskGroup`
#
# The tasks live inside the `async with` block: it ends only when all of them are done.

# %% tags=["example:cats"]
async def fetch_cats_taskgroup(
    session: aiohttp.ClientSession, base_url: str, statuses: tuple[int, ...] = CATS
) -> list[Cat]:
    """Start a task per cat in a TaskGroup; if one fails, the group cancels the others."""
    print("parent: starting a task per cat in a TaskGroup...")
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch_a_cat(session, base_url, status)) for status in statuses]
        print("parent: waiting for the cats...")
        # -- we exit the TaskGroup block here, once every task is done --
    print("parent: all done!")
    return [task.result() for task in tasks]


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
start = time.perf_counter()
async with aiohttp.ClientSession(timeout=TIMEOUT) as session:  # a connection pool
    cats = await fetch_cats_taskgroup(session, HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cats)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## When one cat goes wrong
#
# There is no HTTP status 999. That task fails, so the group cancels its siblings, waits for
# them, and raises an `ExceptionGroup`: catch it with `except*`.

# %%
start = time.perf_counter()
try:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        await fetch_cats_taskgroup(session, HTTP_CAT, statuses=(200, 418, 999))
except* ValueError as group:
    for error in group.exceptions:
        print(f"parent: caught {error!r}")
print(f"Total {time.perf_counter() - start:.2f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# Compare `gather`: when one awaitable fails, `gather` passes the exception on straight away
# and leaves the others running, unsupervised. A `TaskGroup` never lets a task outlive its
# block.

# %% [markdown] slideshow={"slide_type": "slide"}
# # Giving up on time: `asyncio.timeout`

# %% tags=["example:cats"]
async def fetch_with_timeout(
    session: aiohttp.ClientSession,
    base_url: str,
    seconds: float,
    statuses: tuple[int, ...] = CATS,
) -> list[Cat]:
    """All the cats within `seconds`, or TimeoutError with every request cancelled."""
    async with asyncio.timeout(seconds):
        return await fetch_cats_taskgroup(session, base_url, statuses)


# %% slideshow={"slide_type": "subslide"} tags=["backup"]
start = time.perf_counter()
try:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        cats = await fetch_with_timeout(session, HTTP_CAT, seconds=0.25)
except TimeoutError:  # the builtin one: asyncio.TimeoutError is an alias of it since 3.11
    print("parent: no cats in time, giving up")
print(f"Total {time.perf_counter() - start:.2f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# `asyncio.timeout` cancels the work inside the block when time runs out, then turns that
# cancellation into a `TimeoutError` at the end of the block. The cats print "cancelled!": the
# TaskGroup saw the cancellation and passed it on to its tasks.

# %% [markdown] slideshow={"slide_type": "slide"}
# # At a glance
#
# When each request ran, as measured on the slides above

# %% tags=["remove-input"]
show(requests_timeline(runs))

# %% [markdown] slideshow={"slide_type": "notes"}
# Every bar is one request, from the moment `fetch_a_cat` started it to the moment the picture
# was read. "Coroutines awaited in turn" is exactly as slow as "one by one": creating a
# coroutine does not start it.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Take it home
#
# The whole section as one program, against its own local cat server:
# `python -m examples.cats`

# %% tags=["example:cats"]
from collections.abc import Awaitable, Callable

from examples.cat_server import DEFAULT_LATENCY, serving

Fetcher = Callable[[aiohttp.ClientSession, str], Awaitable[list[Cat]]]
STRATEGIES: dict[str, Fetcher] = {
    "one by one": fetch_cats_sequential,
    "coroutines awaited in turn": fetch_cats_awaited_in_turn,
    "create_task": fetch_cats_tasks,
    "gather": fetch_cats_gather,
    "TaskGroup": fetch_cats_taskgroup,
}


# %% slideshow={"slide_type": "subslide"} tags=["example:cats", "backup"]
async def main(latency: float = DEFAULT_LATENCY) -> dict[str, float]:
    """Fetch the cats every way in turn and print how long each way took."""
    totals = {}
    async with (
        serving(latency=latency) as base_url,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
    ):
        for name, fetch in STRATEGIES.items():
            start = time.perf_counter()
            await fetch(session, base_url)
            totals[name] = time.perf_counter() - start
    for name, seconds in totals.items():
        print(f"{name:>26}: {seconds:.2f} s")
    return totals

