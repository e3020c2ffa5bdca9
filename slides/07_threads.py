# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=4 layout="section"
# # Dealing with threading
#
# - `asyncio` executors
# - Threadsafe async
# - How to wrap a non-async library

# %% tags=["remove-cell"]
# Hidden setup: where the cats come from, how they are shown, and the imports for the demos.
import asyncio
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from examples.cat_server import start_for_slides
from figures import heartbeat_figure, show, show_cats

HTTP_CAT = await start_for_slides()  # a local stand-in for http.cat, ~0.5 s per picture
# Tracebacks as plain Python prints them, without the source around every frame (too wide).
# %xmode Plain

# %% [markdown] slideshow={"slide_type": "notes"}
# Same cats as before, from the same local stand-in for http.cat, which runs on a thread of its
# own (that matters in a few slides). `show_cats` is pre-defined again.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## My favourite library is synchronous 😿
#
# `requests` blocks the thread that calls it, until the response arrives.

# %% tags=["example:threads"]
import asyncio
import time

import requests

CATS = [200, 418, 500]  # the same three cats as before
TIMEOUT = 10  # seconds: never wait forever


def fetch_a_cat_sync(base_url: str, number: int) -> bytes:
    """Fetch one cat with requests, blocking the calling thread until it arrives."""
    start_time = time.perf_counter()
    response = requests.get(f"{base_url}/{number}", timeout=TIMEOUT)
    response.raise_for_status()  # an error status is an exception, not a picture
    print(f"  cat {number}: {time.perf_counter() - start_time:.2f} s")
    return response.content


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## So give each call a thread
#
# `loop.run_in_executor(None, ...)` runs it on the loop's default thread pool, and gives back
# an `asyncio.Future` to await.

# %% tags=["example:threads"]
async def fetch_cats_threadpool(base_url: str) -> list[bytes]:
    """Fetch all the cats at once: each blocking call runs on a thread of the default pool."""
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(None, fetch_a_cat_sync, base_url, cat) for cat in CATS]
    return await asyncio.gather(*futures)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### A thread per call: the output

# %%
start = time.perf_counter()
cat_pics = await fetch_cats_threadpool(HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cat_pics)

# %% [markdown] slideshow={"slide_type": "notes"}
# Three half-second cats in about half a second: the threads wait in parallel.
# The original version of this slide defined `fetch_cats_threadpool`, then called
# `fetch_cats_async` from the previous section (so it "worked", with the wrong code), and it
# opened an aiohttp session it never used. This one calls what it defines, and the pictures
# are shown back on the notebook's thread, not from the worker threads.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Since Python 3.9: `asyncio.to_thread`
#
# The default pool of `loop.run_in_executor(None, ...)`, no loop to fetch, and it is a plain
# coroutine (so it fits a `TaskGroup`).

# %% tags=["example:threads"]
async def fetch_cats_to_thread(base_url: str) -> list[bytes]:
    """Fetch all the cats at once with asyncio.to_thread, inside a TaskGroup."""
    async with asyncio.TaskGroup() as tg:
        tasks = [
            tg.create_task(asyncio.to_thread(fetch_a_cat_sync, base_url, cat)) for cat in CATS
        ]
    # -- the TaskGroup block exits only when every task is done --
    return [task.result() for task in tasks]


# %% [markdown] slideshow={"slide_type": "notes"}
# `to_thread` also copies the current `contextvars` context into the thread, which
# `run_in_executor` does not. Use `run_in_executor` when you want a specific executor.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### `asyncio.to_thread`: the output

# %%
start = time.perf_counter()
cat_pics = await fetch_cats_to_thread(HTTP_CAT)
print(f"Total {time.perf_counter() - start:.2f} s")
show_cats(cat_pics)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## What is an executor?
# - Provided by Python's `concurrent.futures` module since Python 3.2
#   (with a backport for Python 2)
# - Two versions by default
#   - `ThreadPoolExecutor`
#   - `ProcessPoolExecutor`
# - Provides an abstract `Executor` you can extend yourself
# - Revolves around the concept of "futures"

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Threads or processes?
#
# Some honest CPU work: counting primes in pure Python.

# %% tags=["example:executors"]
import asyncio
from concurrent.futures import Executor


def count_primes(limit: int) -> int:
    """Count the primes below `limit` the slow way: pure Python, all CPU, holds the GIL."""
    return sum(1 for n in range(2, limit) if all(n % d for d in range(2, int(n**0.5) + 1)))


async def count_on(executor: Executor, limits: list[int]) -> list[int]:
    """Count primes below each limit, all at once, on the given executor."""
    loop = asyncio.get_running_loop()
    futures = [loop.run_in_executor(executor, count_primes, limit) for limit in limits]
    return await asyncio.gather(*futures)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Race!

# %%
from examples.executors import count_on, count_primes  # importable, so processes can use it

gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True  # 3.13+ can say
print(f"{os.cpu_count()} cores, the GIL is {'on' if gil else 'off'}")
LIMITS = [200_000, 200_000]  # two jobs: one per core on a 2-core machine
forkserver = multiprocessing.get_context("forkserver")  # fine in a process that has threads

start = time.perf_counter()
counts = [count_primes(limit) for limit in LIMITS]
print(f"one after the other: {counts} {time.perf_counter() - start:.2f} s")
for pool in [ThreadPoolExecutor(2), ProcessPoolExecutor(2, mp_context=forkserver)]:
    with pool:
        pool.submit(count_primes, 10).result()  # start the workers before timing
        start = time.perf_counter()
        counts = await count_on(pool, LIMITS)
        print(f"{type(pool).__name__}: {counts} {time.perf_counter() - start:.2f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# Threads don't make pure-Python CPU work faster: the GIL lets one of them run at a time. (The
# free-threaded build of 3.13 and 3.14, `python3.13t`, has no GIL: there threads can run Python
# in parallel. The deck runs the default build, and prints which it has.)
# Processes can, one job per free core, once the workers have started (and the arguments and
# results are pickled on the way). The timings are live, on a small machine that may be busy
# with other things, so they wobble: with no idle second core, processes gain nothing.
# A process pool pickles the function by reference and the worker imports it: a function
# defined in the notebook lives in `__main__`, which a spawned or forkserver worker cannot
# import. That is why `count_primes` comes from the `examples` package. forkserver is the
# default start method on Linux from Python 3.14; plain fork in a process that already runs
# threads can deadlock.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Take it home: `python -m examples.executors`

# %% tags=["example:executors"]
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


async def main(limit: int = 200_000) -> None:
    """Count primes twice: one after the other, on two threads, on two processes; timed."""
    limits = [limit, limit]
    print(f"{os.cpu_count()} cores; counting the primes below {limit:,}, twice")
    start = time.perf_counter()
    counts = [count_primes(each) for each in limits]
    print(f"one after the other: {counts} in {time.perf_counter() - start:.2f} s")
    forkserver = multiprocessing.get_context("forkserver")
    for pool in [ThreadPoolExecutor(2), ProcessPoolExecutor(2, mp_context=forkserver)]:
        with pool:
            pool.submit(count_primes, 10).result()  # start the workers before timing
            start = time.perf_counter()
            counts = await count_on(pool, limits)
            print(f"{type(pool).__name__}: {counts} in {time.perf_counter() - start:.2f} s")


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Why bother? A blocking call freezes everything
#
# A heartbeat task ticks every 50 ms and writes down how long each tick really took.

# %% tags=["example:threads"]
from collections.abc import Awaitable

TICK = 0.05  # seconds between heartbeats: short, so that a stall stands out


async def heartbeat(gaps: list[float]) -> None:
    """Tick every TICK seconds forever, recording the time since the previous tick."""
    last = time.perf_counter()
    while True:
        await asyncio.sleep(TICK)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Measuring the stalls

# %% tags=["example:threads"]
async def heartbeat_gaps(work: Awaitable[object]) -> list[float]:
    """Await `work` next to a heartbeat; return the gaps between its ticks."""
    gaps: list[float] = []
    async with asyncio.TaskGroup() as tg:
        beat = tg.create_task(heartbeat(gaps))
        await asyncio.sleep(3 * TICK)  # a few normal ticks first
        await work
        await asyncio.sleep(3 * TICK)  # and a few after
        beat.cancel()
    return gaps


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## The mistake, and the fix

# %% tags=["example:threads"]
async def cat_on_the_loop(base_url: str) -> bytes:
    """The mistake: call the blocking function straight from a coroutine."""
    return fetch_a_cat_sync(base_url, 418)  # the loop's only thread waits: no task can run


async def cat_in_a_thread(base_url: str) -> bytes:
    """The fix: run the blocking function in a thread, and await it."""
    return await asyncio.to_thread(fetch_a_cat_sync, base_url, 418)  # the loop carries on


# %% slideshow={"slide_type": "fragment"}
blocked = await heartbeat_gaps(cat_on_the_loop(HTTP_CAT))
print(f"on the loop: {len(blocked)} ticks, longest gap {max(blocked):.3f} s")
threaded = await heartbeat_gaps(cat_in_a_thread(HTTP_CAT))
print(f"in a thread: {len(threaded)} ticks, longest gap {max(threaded):.3f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# `heartbeat_gaps` gets a coroutine object: it does nothing until it is awaited, after the
# heartbeat has started (part 1's lesson, put to use). ruff's ASYNC rules flag `requests.get`
# or `time.sleep` written directly in an `async def`, but not one hidden inside a plain
# function, which is where they live in real code. `loop.set_debug(True)` logs any callback
# that holds the loop for more than 100 ms: that is how you find them.
# Our cat server runs on its own thread and loop. If it ran on this loop, the blocking request
# would never get an answer: the server could not run until the request returned.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Why bother? A blocking call freezes everything
#
# A heartbeat task ticks every 50 ms while we fetch one cat: with `requests.get` called on the
# loop, then with it in a thread. How long each tick really took:

# %% tags=["remove-input"]
runs = [("requests.get on the loop", blocked, "C3"), ("in a thread", threaded, "C2")]
show(heartbeat_figure(runs), format="png")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Take it home: `python -m examples.threads`
#
# The cats on threads, and the heartbeat with and without the mistake, against a cat server on
# a thread of its own (the blocking call must not block the server too).

# %% tags=["example:threads"]
from examples.cat_server import serving_in_thread


async def main() -> None:
    """Fetch the cats on threads, then time the heartbeat's stalls with and without to_thread."""
    with serving_in_thread() as base_url:
        start = time.perf_counter()
        await fetch_cats_to_thread(base_url)
        print(f"three cats on three threads: {time.perf_counter() - start:.2f} s")
        for name, work in [("on the loop", cat_on_the_loop), ("to_thread", cat_in_a_thread)]:
            gaps = await heartbeat_gaps(work(base_url))
            print(f"a blocking call {name}: the longest heartbeat gap was {max(gaps):.3f} s")


# %% [markdown] slideshow={"slide_type": "slide"}
# # What's a future?
# - AKA a "Promise" in JS land
# - It's a marker for something that will eventually be a value
# - In `asyncio` they're used as a bridge between coroutines and synchronous code

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## `concurrent.futures.Future`, typed

# %% tags=["example:futures_bridge"] steps="1-9|11-18|20-23"
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, TypeVar

T = TypeVar("T")


class FutureInterface(Protocol[T]):
    """What a concurrent.futures.Future[T] offers (the types are typeshed's)."""

    # for whoever waits for the value
    def cancel(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def running(self) -> bool: ...
    def done(self) -> bool: ...
    def result(self, timeout: float | None = None) -> T: ...
    def exception(self, timeout: float | None = None) -> BaseException | None: ...
    def add_done_callback(self, fn: Callable[[Future[T]], object]) -> None: ...

    # for whoever produces the value: executors, mostly
    def set_running_or_notify_cancel(self) -> bool: ...
    def set_result(self, result: T) -> None: ...
    def set_exception(self, exception: BaseException | None) -> None: ...


# %% [markdown] slideshow={"slide_type": "notes"}
# The original listing forgot `self` and every type. `result()` and `exception()` block the
# calling thread, up to `timeout` seconds, and raise `TimeoutError` after that.
# `cancel()` only works while the future is still pending.
# `set_running_or_notify_cancel()` returns False if the future was cancelled.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## A future by hand: the producer
#
# One thread promises a value, another one delivers it.

# %% tags=["example:futures_bridge"]
import threading


def add_up(n: int) -> int:
    """Some work worth waiting for."""
    return sum(range(n))


def producer(future: Future[int], n: int) -> None:
    """Runs on another thread: claim the future, do the work, deliver the result."""
    if not future.set_running_or_notify_cancel():
        return  # the consumer cancelled it before we started
    print("  producer: working...")
    future.set_result(add_up(n))


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## A future by hand: the consumer

# %% tags=["example:futures_bridge"]
def consumer(n: int) -> int:
    """Give a thread a future to fill in, and block until it holds a value."""
    future: Future[int] = Future()
    future.add_done_callback(lambda f: print(f"  callback: done, cancelled={f.cancelled()}"))
    print("consumer: starting a producer thread, then waiting for the result...")
    thread = threading.Thread(target=producer, args=(future, n))
    thread.start()
    result = future.result(timeout=5)  # blocks this thread until set_result
    thread.join()
    print(f"consumer: got {result}")
    return result


# %% slideshow={"slide_type": "fragment"}
result = consumer(1_000_000)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## `asyncio.Future`: the same idea, for one event loop
#
# - you `await` it: the coroutine is suspended, the thread is not blocked
# - `result()` never waits: it raises `InvalidStateError` if there is no value yet
# - no "running" state, no `set_running_or_notify_cancel`
# - **not thread-safe**: only touch it from the loop's own thread

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## An `asyncio.Future` by hand

# %% tags=["example:futures_bridge"]
import asyncio


async def wait_for_asyncio_future() -> str:
    """Create an asyncio.Future, arrange for it to be filled in later, and await it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    loop.call_later(0.1, future.set_result, "meow")  # someone else fills it in later
    print("parent: awaiting the future...")
    result = await future  # suspends this coroutine only: the loop runs other tasks
    print(f"parent: got {result!r}")
    return result


# %% slideshow={"slide_type": "fragment"}
await wait_for_asyncio_future()
for future in [Future(), asyncio.Future()]:
    can_start = hasattr(future, "set_running_or_notify_cancel")
    print(f"{type(future).__module__}.Future has set_running_or_notify_cancel: {can_start}")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Bridging the two
#
# - thread's future → awaitable: `asyncio.wrap_future` (what `run_in_executor` does for you)
# - thread → loop's future: `loop.call_soon_threadsafe(set_result_unless_done, future, value)`
#   (not `future.set_result` itself: the future may be cancelled by the time the loop runs it)
# - thread → loop's coroutine: `asyncio.run_coroutine_threadsafe`, which gives back a
#   `concurrent.futures.Future`

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Awaiting a thread's future

# %% tags=["example:futures_bridge"]
from concurrent.futures import Executor


async def await_executor_future(executor: Executor, n: int) -> int:
    """Await a concurrent.futures.Future from a coroutine."""
    cf_future = executor.submit(add_up, n)
    return await asyncio.wrap_future(cf_future)  # an asyncio.Future that mirrors it


# %% slideshow={"slide_type": "fragment"}
with ThreadPoolExecutor() as pool:
    print(await await_executor_future(pool, 1_000))

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## A thread completes the loop's future

# %% tags=["example:futures_bridge"] steps="1-4|7-11|14-20"
def set_result_unless_done(future: asyncio.Future[int], result: int) -> None:
    """Runs on the loop's thread: the awaiting task may have been cancelled meanwhile."""
    if not future.done():
        future.set_result(result)


def deliver(loop: asyncio.AbstractEventLoop, future: asyncio.Future[int], n: int) -> None:
    """Runs on another thread: do the work, then ask the loop's thread to set the result."""
    result = add_up(n)
    print("  thread: handing the result to the loop")
    loop.call_soon_threadsafe(set_result_unless_done, future, result)  # and wake the loop up


async def await_result_from_thread(n: int) -> int:
    """Await an asyncio.Future that a plain thread fills in."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    print("parent: starting a thread, then awaiting its result...")
    threading.Thread(target=deliver, args=(loop, future, n)).start()  # ends once it delivers
    return await future


# %% slideshow={"slide_type": "fragment"}
print(await await_result_from_thread(1_000))

# %% [markdown] slideshow={"slide_type": "notes"}
# Calling `future.set_result` straight from the other thread is a data race: the loop's
# callbacks get scheduled from the wrong thread, and a loop sleeping in `select()` is not woken
# up, so the awaiting task may wait until something else happens to wake the loop.
# `call_soon_threadsafe` queues the call and writes to the loop's self-pipe to wake it.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## A thread runs a coroutine on the loop

# %% tags=["example:futures_bridge"]
async def add_up_later(n: int) -> int:
    """A coroutine that a plain thread wants to run."""
    await asyncio.sleep(0.01)
    return add_up(n)


def ask_the_loop(loop: asyncio.AbstractEventLoop, n: int) -> int:
    """Runs on another thread: run a coroutine on the loop and block until it is done."""
    cf_future = asyncio.run_coroutine_threadsafe(add_up_later(n), loop)
    return cf_future.result(timeout=5)


# %% slideshow={"slide_type": "fragment"}
print(await asyncio.to_thread(ask_the_loop, asyncio.get_running_loop(), 1_000))

# %% [markdown] slideshow={"slide_type": "notes"}
# This is how our cat server's `serving_in_thread` starts and stops the server on its own loop.
# Never call `cf_future.result()` from the loop's own thread: it would block the loop that has
# to produce the result. Here the asking happens in a `to_thread` worker.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Take it home: `python -m examples.futures_bridge`

# %% tags=["example:futures_bridge"]
from concurrent.futures import ThreadPoolExecutor


async def main(n: int = 1_000) -> None:
    """Every bridge once, each printing the sum it carried across."""
    print(f"1. a thread fills in a thread's future: {consumer(n)}")
    print(f"2. the loop fills in an asyncio.Future: {await wait_for_asyncio_future()!r}")
    with ThreadPoolExecutor() as pool:
        print(f"3. a coroutine awaits a thread's future: {await await_executor_future(pool, n)}")
    print(f"4. a thread completes the loop's future: {await await_result_from_thread(n)}")
    loop = asyncio.get_running_loop()
    result = await asyncio.to_thread(ask_the_loop, loop, n)
    print(f"5. a thread runs a coroutine on the loop: {result}")


# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# # Let's write our own executor
#
# One worker thread, one queue, every call in order.

# %% tags=["example:one_thread_executor"] steps="1-8|11-18"
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class WorkItem:
    """One submitted call, and the future that will hold its outcome."""

    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The worker

# %% tags=["example:one_thread_executor"]
def worker(work_queue: queue.SimpleQueue[WorkItem | None]) -> None:
    """Run the queued calls one at a time, until the None that means shut down."""
    for item in iter(work_queue.get, None):
        if not item.future.set_running_or_notify_cancel():
            continue  # cancelled before it started: skip it
        try:
            result = item.fn(*item.args, **item.kwargs)
        except BaseException as err:  # even SystemExit: the waiter must not wait forever
            item.future.set_exception(err)
        else:
            item.future.set_result(result)
            del result  # the future holds it now
        del item  # drop our reference to the call and its arguments while we wait for the next


# %% [markdown] slideshow={"slide_type": "notes"}
# Three bugs in the version I used to show: `for ... iter(queue, None)` had no `in` and
# `iter` needs the queue's `get`, not the queue; `if future.set_running_or_notify_cancel():
# continue` skipped every future that was *not* cancelled (it returns False when cancelled);
# and the class was never finished.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Cancelling what hasn't started

# %% tags=["example:one_thread_executor"]
def cancel_pending(work_queue: queue.SimpleQueue[WorkItem | None]) -> None:
    """Cancel every call still waiting in the queue, up to the shutdown marker."""
    while True:
        try:
            item = work_queue.get_nowait()
        except queue.Empty:
            return  # the worker has taken the marker already
        if item is None:
            work_queue.put(None)  # put the marker back, for the worker
            return
        item.future.cancel()


# %% [markdown] slideshow={"slide_type": "notes"}
# For `shutdown(cancel_futures=True)`: nothing is ever queued after the `None` marker, so
# draining up to it cancels exactly the calls that have not started. The marker goes back in
# the queue, or the worker would never stop.

# %% slideshow={"slide_type": "subslide"} tags=["example:one_thread_executor"] steps="1-9|11-17|19-27"
class OneThreadExecutor(Executor):
    """An executor that runs every submitted call, in order, on one worker thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[WorkItem | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # so no submit can slip in behind the shutdown marker
        self._shutdown = False
        self._thread = threading.Thread(target=worker, args=(self._queue,), daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[T] = Future()
            self._queue.put(WorkItem(future, fn, args, kwargs))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if not self._shutdown:
                self._shutdown = True
                self._queue.put(None)  # the worker stops when it gets here
            if cancel_futures:
                cancel_pending(self._queue)
        if wait:
            self._thread.join()


# %% [markdown] slideshow={"slide_type": "notes"}
# `map` comes for free from `Executor`: it is written in terms of `submit`. The lock makes
# "check shut down, then enqueue" atomic, so no work item can land behind the `None` and wait
# forever. The worker is a daemon thread: forgetting `shutdown()` must not hang the interpreter
# at exit (the standard executors join their threads from an exit hook instead).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Does it work?

# %%
def whoami(n: int) -> str:
    return f"{n} on {threading.current_thread().name}"


with OneThreadExecutor() as executor:
    print(list(executor.map(whoami, range(3))))
    boom = executor.submit(int, "meow")
    print("exception via the future:", repr(boom.exception()))
    loop = asyncio.get_running_loop()
    print(await loop.run_in_executor(executor, whoami, 42))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Cancelled before it starts

# %%
gate = threading.Event()
with OneThreadExecutor() as executor:
    first = executor.submit(gate.wait)  # keeps the worker busy until we open the gate
    second = executor.submit(print, "second: I never run")
    print("cancelled second:", second.cancel())
    gate.set()
print("first:", first.result(), "| second cancelled:", second.cancelled())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## After shutdown

# %% tags=["raises-exception"] raises="RuntimeError"
executor.submit(print, "too late")

# %% [markdown] slideshow={"slide_type": "notes"}
# Leaving the `with` block calls `shutdown(wait=True)`: the worker drains its queue, then the
# thread is joined. After that, `submit` refuses new work, like the standard executors do.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Take it home: `python -m examples.one_thread_executor`

# %% tags=["example:one_thread_executor"]
def main() -> None:
    """Calls run in order on one thread; one is cancelled before it starts; then shutdown."""
    gate = threading.Event()
    with OneThreadExecutor() as executor:
        first = executor.submit(gate.wait)  # keeps the worker busy until the gate opens
        squares = [executor.submit(pow, n, 2) for n in range(5)]
        never = executor.submit(print, "never printed")
        print(f"cancelled a call that had not started: {never.cancel()}")
        gate.set()
        print(f"the gate opened: {first.result()}; squares, in order: {[f.result() for f in squares]}")
    try:
        executor.submit(print, "too late")
    except RuntimeError as error:
        print(f"after shutdown: {error}")

