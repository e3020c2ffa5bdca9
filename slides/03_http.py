# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% tags=["remove-cell"]
# Hidden setup: imports, and the local http.cat stand-in (see the appendix) on its own thread.
import asyncio
import gc
import sys
import warnings
from typing import Any

import aiohttp
import requests
from IPython.display import Image, display

from examples.cat_server import start_for_slides, t_rex_url

base_url = await start_for_slides()
# Tracebacks as plain Python prints them: where it failed and why, without pages of asyncio's
# source around every frame (too long for a slide).
# %xmode Plain


# Warnings as category and message: the default adds the kernel's temporary file and the line
# where the garbage collector happened to run (not where the bug is), too long for a slide.
def format_warning(message: Warning | str, category: type[Warning], *_: object) -> str:
    return f"{category.__name__}: {message}\n"


warnings.formatwarning = format_warning

# %% [markdown] slideshow={"slide_type": "slide"} minutes=5
# # Actually using `asyncio`!
# And now, for something completely different (but not really): let's make a HTTP request!

# %%
def display_image(data: bytes, **kwargs: Any) -> None:
    display(Image(data=data, alt="the dinosaur picture we downloaded", **kwargs))


image_url = t_rex_url(base_url)
image_url

# %% [markdown] slideshow={"slide_type": "notes"}
# Mention that I've pre-defined `display_image`. The URL is the local stand-in from the appendix:
# no Wi-Fi needed.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Synchronous version

# %% tags=["example:fetch_image"]
import requests

TIMEOUT = 10  # seconds: without a timeout, a server that never answers hangs us forever


def fetch_image_sync(url: str) -> bytes:
    """Download an image and wait for it: nothing else happens meanwhile."""
    response = requests.get(url, timeout=TIMEOUT)
    response.raise_for_status()
    return response.content


# %%
image_data = fetch_image_sync(image_url)
print(type(image_data))
display_image(image_data, width="100px")

# %% [markdown] slideshow={"slide_type": "slide"}
# # Asynchronous version

# %%
async def fetch_image_async(url: str) -> bytes:
    with aiohttp.ClientSession() as session:
        response = session.get(url)
        return response.read()


image_data_sync = fetch_image_sync(image_url)
coro = fetch_image_async(image_url)
print("sync:", type(image_data_sync))
print("async:", type(coro))
coro

# %% [markdown] slideshow={"slide_type": "fragment"}
# So uhhhh, how the hell do we actually run the thing...?

# %% slideshow={"slide_type": "subslide"} tags=["raises-exception"] raises="RuntimeError"
# Since Python 3.7 it's super easy, you just:
asyncio.run(coro)

# %% [markdown] slideshow={"slide_type": "fragment"}
# **DISCLAIMER:** due to weirdness with how I've put these slides together (a Jupyter notebook),
# there is already an event loop running, and `asyncio.run` refuses to start a second one. I
# don't run async stuff the normal way.

# %% [markdown] slideshow={"slide_type": "subslide"}
# Instead, I get to do this:

# %% tags=["raises-exception"] raises="TypeError"
await coro

# %% [markdown] slideshow={"slide_type": "slide"}
# ## So uhhhh, that wasn't supposed to happen...
#
# Pretty weird error... Let's review the code

# %% tags=["skip-execution"]
async def fetch_image_async(url: str) -> bytes:
    with aiohttp.ClientSession() as session:  # 1. an *async* context manager: `async with`
        response = session.get(url)  # 2. a coroutine we never awaited...
        return response.read()  # 3. ...and another one

# %% [markdown] slideshow={"slide_type": "notes"}
# aiohttp's `ClientSession.__enter__` exists only to raise that TypeError. `mypy --strict` finds
# these bugs before anything runs: in the first version `"None" has no attribute "get"` (that
# `__enter__` returns None), in the next one `Incompatible return value type (got
# "Coroutine[Any, Any, bytes]", expected "bytes")` with the note `Maybe you forgot to use "await"?`.

# %% [markdown] slideshow={"slide_type": "fragment"}
# Fix the `with` and the first `await`, forget the second:

# %% tags=["raises-exception"] raises="TypeError" steps="1-4|7-9"
async def fetch_image_async(url: str) -> bytes:
    async with aiohttp.ClientSession() as session:
        response = await session.get(url)
        return response.read()


image_data_async = await fetch_image_async(image_url)
print(type(image_data_async))
len(image_data_async)

# %% tags=["remove-cell"]
# IPython keeps the last traceback, and with it the broken demos' objects: let them go.
sys.last_type = sys.last_value = sys.last_traceback = None

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# `read()` returned a coroutine that nobody awaited. Python notices when one is thrown away, and
# aiohttp notices that the session of the first attempt was never closed:

# %%
del image_data_async
_ = gc.collect()  # the garbage collector runs whenever it likes; here, right now

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### How it's actually done

# %% tags=["example:fetch_image"]
import aiohttp


async def fetch_image_async(url: str) -> bytes:
    """Download an image; while we wait for the network, the event loop runs other tasks."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)  # the default is 5 minutes
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        return await response.read()


# %%
image_data_async = await fetch_image_async(image_url)
print(type(image_data_async))
print("same bytes as the sync version:", image_data_async == image_data_sync)
display_image(image_data_async, width="100px")

# %% [markdown] slideshow={"slide_type": "notes"}
# `async with session.get(...) as response` also hands the connection back to the pool when the
# block ends, even if reading fails. `ClientTimeout(total=...)` bounds the whole request;
# requests' `timeout=` bounds each wait for bytes (connecting, then every read), not the total.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# # Takeaways
# - async context managers are a thing too, and they're different: `async with`
# - `async for` loops are a thing too
#   - `async for x in ...:` is when async is used to generate the things you're iterating over
# - you have to write `await` a lot

# %% slideshow={"slide_type": "subslide"} tags=["example:fetch_image", "backup"]
from collections.abc import AsyncIterator


async def image_chunks(url: str, chunk_size: int = 1024) -> AsyncIterator[bytes]:
    """Yield the image a chunk at a time, as the bytes arrive from the network."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        async for chunk in response.content.iter_chunked(chunk_size):
            yield chunk


# %%
chunks = [chunk async for chunk in image_chunks(image_url)]
print("chunk sizes:", [len(chunk) for chunk in chunks])
print("same bytes:", b"".join(chunks) == image_data_async)

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# # Reminder: how to start coroutines
# This is a part people forget a lot so I'm just reminding you quickly

# %% tags=["example:running"]
import asyncio
import time

from examples.cat_server import serving, start_server, t_rex_url
from examples.fetch_image import fetch_image_async


async def main() -> None:
    """Start a local cat server, fetch the dinosaur, report how it went."""
    async with serving(latency=0.5) as base_url:
        start = time.perf_counter()
        image = await fetch_image_async(t_rex_url(base_url))
        print(f"main: {len(image)} bytes in {time.perf_counter() - start:.2f} s")


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## From synchronous code: `asyncio.run` (Python 3.7+)
#
# It makes a new event loop, runs the coroutine until it is done, and closes the loop:
#
# ```python
# if __name__ == "__main__":
#     asyncio.run(main())
# ```
#
# In here, it can't: this notebook's kernel is already running a loop.

# %% tags=["raises-exception"] raises="RuntimeError"
coro = main()
asyncio.run(coro)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `asyncio.run` where no loop is running
#
# A worker thread has no loop of its own, so `asyncio.run` works fine there:

# %%
await asyncio.to_thread(asyncio.run, coro)

# %% [markdown] slideshow={"slide_type": "fragment"}
# and in a fresh process, which is how the generated module runs:

# %%
# !{sys.executable} -m examples.running

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Several calls, one loop: `asyncio.Runner` (Python 3.11+)
#
# Things that belong to a loop (servers, sessions, tasks) survive from one `run` to the next.

# %% tags=["example:running"]
def fetch_with_runner() -> int:
    """Start a server, fetch from it and stop it, in three runs on the same event loop."""
    with asyncio.Runner() as runner:
        server, base_url = runner.run(start_server(latency=0.5))
        # -- between runs nothing happens on the loop; the server waits for the next run --
        image = runner.run(fetch_image_async(t_rex_url(base_url)))
        runner.run(server.cleanup())
    # -- the Runner closed the loop here --
    return len(image)


# %%
await asyncio.to_thread(fetch_with_runner)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Inside another coroutine: `await` it

# %% tags=["example:running"]
async def other_func() -> int:
    """A coroutine can run another coroutine by awaiting it."""
    async with serving(latency=0.5) as base_url:
        image = await fetch_image_async(t_rex_url(base_url))
    return len(image)


# %% [markdown] slideshow={"slide_type": "fragment"}
# and in a notebook (Jupyter, IPython), top-level `await` does it for you:

# %%
await other_func()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## What not to do: the Python 3.6 way
#
# ```python
# loop = asyncio.get_event_loop()
# loop.run_until_complete(main())
# ```
#
# - outside a running loop, `get_event_loop()` makes a loop that nobody closes, with a
#   `DeprecationWarning` since 3.12; since 3.14 it is an error
# - in a thread it fails:

# %% tags=["example:running"]
def fetch_the_legacy_way() -> int:
    """Python 3.6 style. Don't: the loop is never closed, and this fails in threads and loops."""
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(other_func())


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### ...in a thread, `get_event_loop()` fails

# %% tags=["raises-exception"] raises="RuntimeError"
await asyncio.to_thread(fetch_the_legacy_way)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### ...and in a running loop, `run_until_complete` fails

# %% tags=["raises-exception"] raises="RuntimeError"
coro = other_func()
asyncio.get_event_loop().run_until_complete(coro)

# %% tags=["remove-cell"]
coro.close()  # never started: close it, so that Python has no "never awaited" to warn about
