# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=5
# # The event loop, from the inside

# %% tags=["example:toy_loop", "remove-cell"]
# The imports of examples/toy_loop.py, kept off the slides to leave room for the code
import asyncio
import heapq
import itertools
import selectors
import socket
import time
import types
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator

# %% tags=["example:toy_loop"]
@types.coroutine
def sleep(seconds: float) -> Generator[float, None, None]:
    yield time.monotonic() + seconds  # "wake me then": goes up to whoever drives us


async def greet() -> str:
    print("  greet: started, pausing")
    await sleep(0.1)  # pauses here: `send` returns what sleep yielded
    return "done"


# %% slideshow={"slide_type": "fragment"}
coro = greet()
wake_at = coro.send(None)  # run it up to its first pause
print(f"driver: wake it in {wake_at - time.monotonic():.2f} s")
try:
    coro.send(None)  # resume it (at once: the driver decides when)
except StopIteration as stop:  # its `return` arrives as StopIteration
    print(f"driver: it returned {stop.value!r}")

# %% [markdown] slideshow={"slide_type": "notes"}
# An `async def` is a coroutine too: it pauses at each `await`, and something has to resume it.
# `types.coroutine` turns a generator into something `await` accepts: asyncio's own bottom
# layer is built that way. What it yields travels up through every `await` to whoever called
# `send()`: here, us; normally, the event loop.
#
# That is all `await` is: `send(None)` runs the coroutine to its next pause, and the value of
# `return` comes back inside `StopIteration`. We resumed it straight away instead of waiting
# 0.1 s: nothing forces a driver to keep its promises. A loop is a driver that does.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A toy event loop
#
# A ready queue, and a heap of timers sorted by wake-up time.

# %% tags=["example:toy_loop"] steps="1-5|6-11|12-19"
def run(*coros: Coroutine[float, None, object]) -> None:
    """Run the coroutines until every one has returned, each `await sleep()` in turn."""
    ready = deque(coros)  # coroutines that can run now
    timers: list[tuple[float, int, Coroutine[float, None, object]]] = []  # a heap
    order = itertools.count()  # breaks ties in the heap: coroutines cannot be compared
    while ready or timers:
        while timers and timers[0][0] <= time.monotonic():  # due timers: ready again
            ready.append(heapq.heappop(timers)[2])
        if not ready:  # nothing to do before the next timer: wait for it
            time.sleep(max(0.0, timers[0][0] - time.monotonic()))
            continue
        coro = ready.popleft()
        try:
            wake_at = coro.send(None)  # run it up to its next `await sleep(...)`
        except StopIteration:
            continue  # it returned: forget it
        if not isinstance(wake_at, float):
            raise TypeError(f"the toy loop only understands sleep(), got {wake_at!r}")
        heapq.heappush(timers, (wake_at, next(order), coro))


# %% [markdown] slideshow={"slide_type": "notes"}
# Nineteen lines, and it is the same shape as asyncio's `BaseEventLoop._run_once`: move the
# due timers to the ready queue, run what is ready, and when nothing is, wait until the
# earliest timer. asyncio runs callbacks, not coroutines; a `Task` is the callback that calls
# `send(None)` on its coroutine.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Two coroutines, one thread

# %% tags=["example:toy_loop"]
async def ticker(
    name: str, every: float, times: int, sleep: Callable[[float], Awaitable[None]] = sleep
) -> None:
    for tick in range(times):
        print(f"  {name}: tick {tick}")
        await sleep(every)  # -- the loop runs the other coroutine meanwhile --
    print(f"  {name}: done")


# %%
start = time.perf_counter()
run(ticker("fast", 0.1, 3), ticker("slow", 0.25, 2))
print(f"toy loop: {time.perf_counter() - start:.2f} s, not 0.3 + 0.5")

# %% [markdown] slideshow={"slide_type": "notes"}
# Both tick 0s come first, then the fast one ticks twice while the slow one sleeps. The total is
# the longer of the two, about half a second: the sleeps overlap, on one thread.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The real loop waits in `select()`
#
# ...for as long as its timer heap says. We hand it a selector that tells us.

# %% tags=["example:toy_loop"]
class PrintingSelector(selectors.DefaultSelector):  # epoll on Linux, kqueue on macOS
    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout != 0:  # 0 is a quick poll: something is ready to run
            print(f"    loop: nothing to run: select(timeout={timeout and round(timeout, 2)})")
        return super().select(timeout)


def run_on_asyncio(*coros: Coroutine[object, None, object]) -> None:
    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            for coro in coros:
                tg.create_task(coro)

    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(PrintingSelector())) as r:
        r.run(main())


# %% [markdown] slideshow={"slide_type": "notes"}
# `asyncio.SelectorEventLoop` takes the selector to wait in; `asyncio.Runner`'s `loop_factory`
# (3.11+) runs on a loop we built. Nothing private is touched: this is the loop `asyncio.run`
# uses on Linux and macOS, with our selector instead of the default one.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same two tickers, on asyncio

# %%
await asyncio.to_thread(  # a thread of its own: this notebook's thread already runs a loop
    run_on_asyncio,
    ticker("fast", 0.1, 3, asyncio.sleep),
    ticker("slow", 0.25, 2, asyncio.sleep),
)

# %% [markdown] slideshow={"slide_type": "notes"}
# Between ticks nothing is ready, so the loop asks the kernel to wake it when a socket it
# watches is ready or when the earliest timer is due: 0.1 s twice, then 0.05 s (the slow
# ticker's 0.25 s), and so on. The polls with timeout 0 (work already ready) are not printed.
# `asyncio.sleep` is `loop.call_later` plus a future; the loop keeps those timers in a heap,
# like ours. With no timer at all, the timeout would be `None`: wait for I/O forever.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## Deeper: what `select()` waits for
#
# Sockets: here one end of a socket pair, which a timer writes to 0.2 s from now.

# %% tags=["example:toy_loop"]
async def wait_for_a_socket(delay: float) -> bytes:
    """Await bytes on one end of a socket pair, while a timer writes them to the other end."""
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        timer = loop.call_later(delay, theirs.send, b"meow")
        try:
            data = await loop.sock_recv(ours, 100)  # -- the loop watches `ours` in select() --
        finally:
            timer.cancel()  # if we were cancelled first: no write to a closed socket
        print(f"  reader: got {data!r}")
        return data


# %%
def run_printing(coro: Coroutine[object, None, bytes]) -> bytes:
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(PrintingSelector())) as r:
        return r.run(coro)


await asyncio.to_thread(run_printing, wait_for_a_socket(0.2))

# %% [markdown] slideshow={"slide_type": "notes"}
# One wait of 0.2 s: the timer is the only thing scheduled. When it fires, `theirs.send` makes
# `ours` readable, the next `select()` reports it, and the loop resumes the reader. Sockets,
# pipes and subprocesses all come back to this one call.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Deeper: asyncio does not speak our toy's language
#
# A task expects its coroutine to yield asyncio futures, not wake-up times:

# %% tags=["raises-exception"] raises="RuntimeError"
await ticker("toy", 0.1, 1)  # awaits our toy `sleep`, which yields a float to asyncio

# %% [markdown] slideshow={"slide_type": "notes"}
# The protocol between a coroutine and its loop is private to each library: asyncio's tasks
# expect futures, Trio's expect its own traps, our toy expects floats. That is why a coroutine
# written for one loop cannot simply run on another.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Take it home: `python -m examples.toy_loop`

# %% tags=["example:toy_loop"]
def main() -> None:
    """The two tickers on the toy loop, then on asyncio's loop, printing what each loop does."""
    start = time.perf_counter()
    print("the toy loop: a ready queue and a timer heap")
    run(ticker("fast", 0.1, 3), ticker("slow", 0.25, 2))
    print(f"  both done in {time.perf_counter() - start:.2f} s (their sleeps add up to 0.80 s)")
    print("asyncio's loop: select() waits until the next timer, or a socket")
    run_on_asyncio(ticker("fast", 0.1, 3, asyncio.sleep), ticker("slow", 0.25, 2, asyncio.sleep))
