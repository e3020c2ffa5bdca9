# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=2
# # Debug mode
#
# `python -X dev` or `PYTHONASYNCIODEBUG=1`, on a program with the two classic bugs:

# %% tags=["example:debug_mode"]
import asyncio
import time


async def fetch_data() -> str:
    await asyncio.sleep(0.01)
    return "data"


def read_config() -> str:
    time.sleep(0.2)  # a blocking call: a file on a slow network drive, say
    return "config"


async def main() -> None:
    fetch_data()  # type: ignore[unused-coroutine]  # bug 1: never awaited (mypy knows)
    read_config()  # bug 2: the whole loop stops for 0.2 s
    print("main: done")


# %% [markdown] slideshow={"slide_type": "notes"}
# Debug mode (`-X dev` turns it on along with Python's other development checks, or
# `PYTHONASYNCIODEBUG=1`, or `asyncio.run(main(), debug=True)`): coroutines remember where
# they were created, any callback or task step that holds the loop longer than 100 ms is
# logged (`loop.slow_callback_duration`), and calling loop methods from the wrong thread
# raises instead of corrupting the loop quietly. It costs speed: for development and tests.

# %% tags=["example:debug_mode", "remove-cell"]
# Running the program for the slides, and shortening its output to fit them.
import os
import sys
import textwrap
from pathlib import Path

import examples

PROJECT = f"{Path(examples.__file__).resolve().parents[1]}{os.sep}"  # paths shown from here
ASYNCIO = os.path.dirname(asyncio.__file__)  # asyncio's own frames are left out


async def run_program(*flags: str, env: dict[str, str] | None = None) -> str:
    """Run `python -u FLAGS -m examples.debug_mode`: its output, stdout and stderr in order."""
    program = await asyncio.create_subprocess_exec(
        sys.executable, "-u", *flags, "-m", "examples.debug_mode",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=None if env is None else {**os.environ, **env},
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            output, _ = await program.communicate()
    finally:
        if program.returncode is None:  # cancelled or timed out: leave nothing running
            program.kill()
            await program.wait()
    return output.decode()


def shorten(output: str) -> str:
    """Paths relative, frames outside our file and tracemalloc's hint left out, lines wrapped."""
    shown: list[str] = []
    skipping = False  # inside a left-out frame: its source line goes too
    for line in output.replace(PROJECT, "").replace(ASYNCIO, "asyncio").splitlines():
        if line.startswith('  File "'):
            skipping = not line.startswith('  File "examples')
        elif not (skipping and line.startswith("    ")):
            skipping = False
        if not skipping and "Enable tracemalloc" not in line:
            shown.extend(textwrap.wrap(line, 88, subsequent_indent="      ") or [""])
    return "\n".join(shown)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `python -X dev -m examples.debug_mode`

# %%
print(shorten(await run_program("-X", "dev")))

# %% [markdown] slideshow={"slide_type": "notes"}
# The real output of the program run in a process of its own (paths shortened, asyncio's own
# frames and the hint to enable tracemalloc left out). The warning names the line where the coroutine was created, not just the
# line where Python noticed: in a real program those are far apart. Then the slow step: the
# task's one step took 0.2 s, and nothing else ran meanwhile. Without debug mode the first
# bug gets a one-line warning and the second nothing at all (next slide, in the backup).
#
# Questions? 😺 This isn't your last chance: examples of more complex stuff come after this.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## Deeper: `PYTHONASYNCIODEBUG=1`, and no debug mode at all
#
# The environment variable turns on asyncio's checks alone:

# %%
print(shorten(await run_program(env={"PYTHONASYNCIODEBUG": "1"})))

# %% [markdown] slideshow={"slide_type": "notes"}
# The same two findings as with `-X dev`: asyncio's debug mode is all it takes for these two.
# `-X dev` adds Python's other development checks on top (all warnings shown, ResourceWarning
# for unclosed files and sockets, checks on memory allocation).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Without debug mode

# %%
print(shorten(await run_program()))

# %% [markdown] slideshow={"slide_type": "notes"}
# No origin for the coroutine, and the 0.2 s stall passes in silence. pytest-asyncio tests can
# run in debug mode too: `PYTHONASYNCIODEBUG=1 pytest`, or `-X dev`.
