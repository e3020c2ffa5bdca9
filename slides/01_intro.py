# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   title_slide:
#     date: December 2026
#     event: A live-coding talk, every example run
#     speaker: Tom Manderson
#     subtitle: Coroutines, tasks and the event loop, in one thread
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=6 layout="title"
# # Introduction to `asyncio`

# %% [markdown] slideshow={"slide_type": "slide"}
# # Who does this guy think he is anyway?
#
# - Final sem software engineering/maths dual student (6th year 😭)
# - Professional Python developer for 3.5 years
# - Currently a freelance consultant
# - Secretly loves Haskell more than Python
# - Ex-President of UQCS
#
# Please ask questions throughout: if it helps _your_ understanding, it helps someone else's too.

# %% tags=["remove-cell"]
# The cartoons are drawn by figures.py, beside the slides: they are pictures, not the talk.
from figures import burn_books, gopher_timelines, multitasking, show

# %% [markdown] slideshow={"slide_type": "slide"}
# # What's he going on about now?
#
# - Some theory (concurrency, parallelism, asynchrony)
# - Coroutines, and the event loop that runs them, from the inside
# - Tasks: `create_task`, `gather`, `TaskGroup`, `timeout`; cancelling them; a thousand at once
# - Dealing with threading: `asyncio.to_thread`, executors, futures
# - Debug mode, and how to test all this
# - Example funtimes: a web app, a TCP server, Kafka
#
# All these slides are Python files and the code really runs! 😱
#
# (Slides marked "deeper →" have more after the end, for reading later.)

# %% [markdown] slideshow={"slide_type": "notes"}
# In the original talk the code ran live on stage. This deck runs every cell when it is built,
# so each timing on a slide is a real measurement from that run, not a number typed in.

# %% slideshow={"slide_type": "slide"} tags=["backup"]
# The topic of this talk
import asyncio
import sys

# Types are good, use them
from collections.abc import Generator

print(f"Python {sys.version.split()[0]}, asyncio at the ready")

# %% [markdown] slideshow={"slide_type": "notes"}
# The 2019 notebook started with `%autoawait on` and `asyncio.get_event_loop().set_debug(False)`.
# Neither is needed now: IPython kernels run top-level `await` by default, and calling
# `get_event_loop()` with no loop around is on its way out (see "So what's `asyncio`?").
# Also gone: `from typing import *`. The abstract types live in `collections.abc`.

# %% [markdown] slideshow={"slide_type": "slide"}
# # Concurrency vs Parallelism
# _Patting your head while rubbing your tummy_
#
# ## Concurrency
#
# Doing two processes at once
#
# ## Parallelism
#
# Taking two actions at once
#
# A "process" is made up of multiple actions

# %% [markdown] slideshow={"slide_type": "slide"}
# # Example
#
# To steal an example from Go, let's burn a bunch of Go programming language manuals.

# %% tags=["remove-input"]
show(gopher_timelines({
    "One gopher, one thing at a time": burn_books(1, 4, wait_by_fire=True),
    "Concurrency: while the books burn, the gopher fetches more": burn_books(
        1, 4, wait_by_fire=False
    ),
    "Parallelism: a friend helps shovel": burn_books(2, 4, wait_by_fire=False),
}))

# %% [markdown] slideshow={"slide_type": "notes"}
# Quote myself: I'm loath to take anything from Go but this example is a good one.
#
# (The Go original is a cartoon of gophers wheeling carts of manuals to an incinerator; here the
# same story is drawn as a timeline, in made-up time units.)

# %% [markdown] slideshow={"slide_type": "notes"}
# ### Concurrency
# The gopher puts the books in the fire, and while they are burning goes back and fetches more
# books.
#
# ### Parallelism
# The gopher brings a friend along to help shovel the books into the fire

# %% [markdown] slideshow={"slide_type": "slide"}
# # Synchronous vs Asynchronous
# _Useful impatience_
#
# ### Synchronous programming
# Start doing something, wait for it to finish, then move on to the next thing
#
# ### Asynchronous programming
# Start doing something, continue with other work, then wait for it to finish when you need the
# result

# %% [markdown] slideshow={"slide_type": "slide"}
# # Example
#
# This time the fire is a small stove: one cartload at a time.

# %% tags=["remove-input"]
stove = {"fire_slots": 1, "burn": 4}  # the fire takes one cartload, and takes its time
show(gopher_timelines({
    "Synchronous: one gopher": burn_books(1, 3, wait_by_fire=True, **stove),
    "Asynchronous: one gopher": burn_books(1, 3, wait_by_fire=False, **stove),
    "Synchronous: two gophers": burn_books(2, 3, wait_by_fire=True, **stove),
}))

# %% [markdown] slideshow={"slide_type": "notes"}
# ### Synchronous programming
#
# 1. Load up books
# 2. Take books to the fire
# 3. Burn books
# 4. Go back to book pile
#
# ### Asynchronous programming
#
# 1. Load up the books
# 2. Take books to the fire
# 3. Wait for the fire to be available
# 4. Put books in the fire
# 5. Go back to the book pile

# %% [markdown] slideshow={"slide_type": "notes"}
# Specifically note that adding more gophers makes the synchronous version concurrent, but it's
# still synchronous (the bottom lane of the picture: two gophers, both standing around at the
# fire).
#
# You can add more workers, but the worker uses the same paradigm

# %% [markdown] slideshow={"slide_type": "slide"}
# # So what's `asyncio`?
# - Part of the Python standard library since Python 3.4
# - Tolerable since Python 3.5 (`async` / `await`)
# - Performant since Python 3.6 (`Task` in C)
# - Good since Python 3.7 (`asyncio.run`)
# - Chatty since Python 3.8 (`python -m asyncio`)
# - Structured since Python 3.11 (`TaskGroup`, `timeout`)
# - Eager since Python 3.12 (eager tasks)
# - Strict since Python 3.14 (no loop? `get_event_loop()` raises)
# - Standardises asynchronous programming in Python

# %% [markdown] slideshow={"slide_type": "notes"}
# The details behind each line:
# - 3.4: `asyncio` arrives (PEP 3156); coroutines are generators using `yield from`.
# - 3.5: `async def`, `await`, `async with`, `async for` (PEP 492).
# - 3.6: `Future` and `Task` get C implementations; async generators and comprehensions.
# - 3.7: `asyncio.run()`, `asyncio.create_task()`, `asyncio.get_running_loop()`.
# - 3.8: `python -m asyncio` starts a REPL where top-level `await` works.
# - 3.9: `asyncio.to_thread` (we use it in the threading section).
# - 3.10: the `loop=` arguments are gone; `get_event_loop()` starts warning when no loop runs.
# - 3.11: `asyncio.TaskGroup`, `asyncio.timeout`, `asyncio.Runner`; `asyncio.TimeoutError`
#   becomes the builtin `TimeoutError`; `@asyncio.coroutine` is removed.
# - 3.12: `asyncio.eager_task_factory`: a task runs straight away, up to its first real wait.
#   `get_event_loop()` with no current loop emits a `DeprecationWarning`.
# - 3.14: ... and now raises `RuntimeError`; `python -m asyncio ps PID` / `pstree PID` show
#   the tasks of a running program.
#
# The setup cell (a backup slide, after the outro) prints which Python built this deck.

# %% [markdown] slideshow={"slide_type": "slide"}
# # Coroutines
#
# - Often explained as short for "cooperative routine"; the name is older (Conway, 1958) and
#   means routines that call each other as equals, rather than caller and subroutine
# - A process (assume it's a function) that can be paused and resumed
# - Used for "non-preemptive multitasking" or "cooperative multitasking"

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Preemptive multitasking
#
# >Preemptive multitasking involves the use of an interrupt mechanism which suspends the
# currently executing process and invokes a scheduler to determine which process should execute
# next.
# -- Wikipedia: "Preemption (Computing)"

# %% tags=["remove-input"]
show(multitasking("preemptive"))

# %% [markdown] slideshow={"slide_type": "notes"}
# The 2019 slide had a dictionary definition of "pre-empt" here: to act first, to forestall.
# The scheduler gets in first; the task has no say in when it stops.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Cooperative multitasking
#
# - Instead of being preempted, a coroutine yields control to the caller
# - Called "cooperative" because the task keeps executing until it agrees to be paused
# - Uncooperative tasks can hog all the computing time

# %% tags=["remove-input"]
show(multitasking("cooperative"))

# %% [markdown] slideshow={"slide_type": "slide"}
# The best part? You've probably already seen coroutines in Python!

# %% slideshow={"slide_type": "fragment"} tags=["example:fibonacci"]
from collections.abc import Generator


def fibonacci() -> Generator[int, None, None]:
    """Yield the Fibonacci numbers forever, pausing after each one."""
    x, y = 1, 1
    yield 1
    yield 1
    while True:
        x, y = y, x + y
        yield y


# %% slideshow={"slide_type": "fragment"}
coroutine = fibonacci()

# %% slideshow={"slide_type": "subslide"}
print(next(coroutine))
print(next(coroutine))
print(next(coroutine))
print("The coroutine is in an infinite loop but it agreed to be paused")
print(next(coroutine))

# %% [markdown] slideshow={"slide_type": "notes"}
# Smash that execute button multiple times - we have the same coroutine and it's still paused.
#
# `Generator[int, None, None]` reads: yields `int`s, accepts nothing through `send()`, returns
# nothing. That `send()` slot is how the 3.4-era `asyncio` coroutines (generators with
# `yield from`) got their results back.

# %% slideshow={"slide_type": "fragment"}
# Same coroutine, smashed five more times: it carries on where it was paused
print([next(coroutine) for _ in range(5)])

# %% [markdown] slideshow={"slide_type": "notes"}
# Next: what actually drives these coroutines. A generator is paused until someone calls
# `next()`; a coroutine is paused until the event loop resumes it.
