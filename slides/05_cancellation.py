# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=3
# # Cancellation
#
# `CancelledError` is a `BaseException`: a catch-all handler catches it too.

# %% tags=["example:cancellation"]
import asyncio


async def fetch_with_a_catch_all(seconds: float) -> str:
    """The bug: a catch-all handler that swallows the cancellation."""
    try:
        await asyncio.sleep(seconds)  # stands in for a slow request
        return "the data"
    except BaseException as error:  # a bare `except:` is the same
        print(f"  fetch: caught {type(error).__name__}, returning a default")
        return "a default"


# %%
async with asyncio.timeout(0.1):
    result = await fetch_with_a_catch_all(1)
print(f"no TimeoutError, and the result is {result!r}")

# %% [markdown] slideshow={"slide_type": "notes"}
# `task.cancel()` (and `asyncio.timeout`, which calls it) throws `CancelledError` in at the
# task's current `await`. `CancelledError` has been a `BaseException` since Python 3.8, precisely so that
# `except Exception:` lets it through. A handler that catches it and carries on breaks whoever
# cancelled: here the timeout expired, cancelled the fetch, and never found out. A `TaskGroup`
# waiting for its tasks, or `asyncio.run` shutting down, can wait forever the same way.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Let it through; clean up in `finally`
#
# A catch-all that must catch it ends with `raise`. `finally` runs, and may still `await`.

# %% tags=["example:cancellation"]
async def fetch_properly(seconds: float) -> str:
    try:
        await asyncio.sleep(seconds)  # stands in for a slow request
        return "the data"
    except Exception:  # CancelledError is not an Exception: it passes through
        return "a default"
    finally:  # runs on cancellation too
        print("  fetch: closing the connection...")
        await asyncio.sleep(0.05)  # e.g. writer.close(); await writer.wait_closed()
        print("  fetch: closed")


# %%
try:
    async with asyncio.timeout(0.1):
        result = await fetch_properly(1)
except TimeoutError:
    print("TimeoutError, as it should be")

# %% [markdown] slideshow={"slide_type": "notes"}
# The cats of the tasks section did the same: `except asyncio.CancelledError: print(...);
# raise`. The `await` in `finally` works because a cancellation is delivered once: the task
# is not cancelled again unless someone calls `cancel()` again (next: `shield`).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Deeper: a second cancel cuts the cleanup short
#
# Cancel `fetch_properly` once, then again while its `finally` awaits:

# %%
task = asyncio.create_task(fetch_properly(1))
await asyncio.sleep(0.01)
task.cancel()  # the first: the fetch stops, its finally starts closing
await asyncio.sleep(0.01)
task.cancel()  # the second lands in the finally's await: "closed" is never printed
await asyncio.wait([task])
print(f"cancelled: {task.cancelled()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# Every `cancel()` call throws one `CancelledError` in at the next `await`. Cleanup that must
# finish goes in a task of its own behind `asyncio.shield`, as `handle` does on the next main
# slide.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `asyncio.shield`: a cancel stops the wait, not the work

# %% tags=["example:cancellation"]
async def save(record: str) -> None:
    await asyncio.sleep(0.2)  # a write that must not be cut in half
    print(f"  save: {record} written")


async def handle(record: str) -> None:
    saving = asyncio.create_task(save(record))
    try:
        await asyncio.shield(saving)  # cancelling us does not cancel `saving`
    finally:  # cancelled mid-save? wait for the save anyway (`wait` does not cancel it)
        await asyncio.wait([saving])


# %%
task = asyncio.create_task(handle("order 42"))
await asyncio.sleep(0.05)  # mid-save
task.cancel()
await asyncio.wait([task])
print(f"handler cancelled: {task.cancelled()}")

# %% [markdown] slideshow={"slide_type": "notes"}
# `shield(saving)` returns a new future that passes on the result, and only that future is
# cancelled. Keeping `saving` in a variable matters: the loop holds only weak references to
# tasks, and the `finally` makes sure no save outlives its handler unnoticed. `asyncio.wait`
# (unlike awaiting the task) does not cancel it if the handler is cancelled a second time.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cancelling `to_thread` does not stop the thread

# %% tags=["example:cancellation", "remove-cell"]
import threading
import time

# %% tags=["example:cancellation"]
async def cancel_a_thread(seconds: float, after: float) -> tuple[float, float]:
    finished = threading.Event()

    def work() -> None:
        time.sleep(seconds)  # blocking: no cancellation reaches in here
        finished.set()

    start = time.perf_counter()
    task = asyncio.create_task(asyncio.to_thread(work))
    await asyncio.sleep(after)
    task.cancel()
    await asyncio.wait([task])
    task_ended = time.perf_counter() - start
    await asyncio.to_thread(finished.wait)  # wait for it anyway: no thread outlives the demo
    thread_ended = time.perf_counter() - start
    print(f"task cancelled after {task_ended:.2f} s, its thread ended after {thread_ended:.2f} s")
    return task_ended, thread_ended


# %% slideshow={"slide_type": "fragment"}
task_ended, thread_ended = await cancel_a_thread(seconds=1.0, after=0.1)

# %% [markdown] slideshow={"slide_type": "notes"}
# `to_thread` hands the function to the loop's default thread pool and awaits a future.
# Cancelling cancels the future; the thread cannot be stopped from outside, so it runs to the
# end and its result is thrown away. Meanwhile it holds one of the pool's few threads (the
# backup slides show how to ask it to stop). Measured on this run, side by side: the task is
# gone a tenth of a second in, the thread carries on to the end of its one-second sleep.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## Deeper: a thread stops only if it is asked
#
# Give it an event to check, and set the event when the task is cancelled.

# %% tags=["example:cancellation"] steps="1-7|10-19"
def stoppable_work(seconds: float, stop: threading.Event) -> bool:
    """Work for `seconds` unless asked to stop first; return whether it finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop.wait(0.01):  # a slice of work, then a look at the event
            return False
    return True


async def run_stoppable(seconds: float) -> bool:
    """Run stoppable_work in a thread; if we are cancelled, stop the thread and wait for it."""
    stop = threading.Event()
    work = asyncio.create_task(asyncio.to_thread(stoppable_work, seconds, stop))
    try:
        return await asyncio.shield(work)  # a cancel ends this wait, the thread goes on...
    finally:
        stop.set()  # ...until it sees this, within one slice
        await asyncio.wait([work])
        print(f"  run_stoppable: the thread has stopped, finished={work.result()}")


# %%
start = time.perf_counter()
task = asyncio.create_task(run_stoppable(1.0))
await asyncio.sleep(0.1)
task.cancel()
await asyncio.wait([task])
print(f"task and thread ended after {time.perf_counter() - start:.2f} s")

# %% [markdown] slideshow={"slide_type": "notes"}
# Threads cannot be killed in Python, by design: a thread killed halfway would leave locks held
# and data half-written. They can only be asked. Blocking libraries that take a timeout
# (`requests.get(..., timeout=...)`, `queue.get(timeout=...)`) give the same chance to look up
# now and then.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Take it home: `python -m examples.cancellation`

# %% tags=["example:cancellation"]
async def main() -> None:
    """Each cancellation demo once: what a catch-all hides, cleanup, shield, threads."""
    async with asyncio.timeout(0.1):
        result = await fetch_with_a_catch_all(1)
    print(f"1. a catch-all swallowed the timeout: no TimeoutError, result {result!r}")
    try:
        async with asyncio.timeout(0.1):
            await fetch_properly(1)
    except TimeoutError:
        print("2. letting CancelledError through: TimeoutError, after the cleanup ran")
    task = asyncio.create_task(handle("order 42"))
    await asyncio.sleep(0.05)  # mid-save
    task.cancel()
    await asyncio.wait([task])
    print(f"3. shield: the handler was cancelled ({task.cancelled()}), the save finished")
    print("4. cancelling to_thread:")
    await cancel_a_thread(seconds=1.0, after=0.1)
