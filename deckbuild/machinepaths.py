"""This machine's folders in outputs, named the same on every machine.

A traceback through an installed package prints where the package lives:
`/home/ana/talks/asyncio/.venv/lib/python3.11/site-packages/aiohttp/client.py`. The slide then
says where the deck was built, and how wide its lines are depends on it: a checkout a few
characters deeper made a traceback too wide for its slide. Every output the deck shows, built or
live, names these folders by what they are instead:

- the interpreter's site-packages: `…/site-packages/aiohttp/client.py`;
- its standard library: `…/python3.11/asyncio/base_events.py`;
- the project: relative to its root, `examples/echo.py`;
- the user's home: `~/notes.txt`.
"""

from __future__ import annotations

import functools
import re
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deckbuild.paths import ROOT

ELLIPSIS = "…"


# A folder's name starts a path: at the start, after a space, a quote or an ANSI colour code,
# never inside a longer path (the project at /work/main is not in /tmp/work/main/).
STARTS_A_PATH = r"(?:(?<![\w/.~-])|(?<=\x1b\[\dm)|(?<=\x1b\[\d\dm))"


@functools.cache
def replacements() -> dict[str, str]:
    """Each folder, with its trailing slash, and its short name.

    The kernel runs this same interpreter (execute.kernel_argv), so its folders are ours. A
    folder is also found as IPython writes it in tracebacks, below `~` when it is in the home.
    """
    home = Path.home()
    named: dict[str, str] = {}

    def name(folder: Path, short: str) -> None:
        for spelling in {folder, folder.resolve()}:
            named[f"{spelling}/"] = short
            if spelling != home != home.parent and spelling.is_relative_to(home):  # not "/"
                named[f"~/{spelling.relative_to(home)}/"] = short

    name(home, "~/")
    name(ROOT, "")
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        folder = Path(sysconfig.get_paths()[key])
        name(folder, f"{ELLIPSIS}/{folder.name}/")
    return named


@functools.cache
def folders() -> re.Pattern[str]:
    """Any of the folders, the longest first: the project's site-packages before the project."""
    longest_first = sorted(replacements(), key=len, reverse=True)
    return re.compile(STARTS_A_PATH + "(?:" + "|".join(map(re.escape, longest_first)) + ")")


def shorten(text: str) -> str:
    """Text with this machine's folders named by what they are (see the module's docstring)."""
    if "/" not in text:
        return text
    return folders().sub(lambda found: replacements()[found.group()], text)


def shorten_output(msg_type: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """One output (an nbformat output's fields or an iopub message's content), paths shortened.

    Text is shortened where a slide shows it as text: streams, tracebacks, and `text/plain`.
    HTML, images and other rich data are left as their code made them.
    """
    shortened = dict(content)
    if msg_type == "stream":
        shortened["text"] = shorten(joined(content.get("text", "")))
    elif msg_type == "error":
        shortened["evalue"] = shorten(str(content.get("evalue", "")))
        shortened["traceback"] = [shorten(str(line)) for line in content.get("traceback", [])]
    elif msg_type in ("execute_result", "display_data") and "text/plain" in content.get("data", {}):
        data = dict(content["data"])
        data["text/plain"] = shorten(joined(data["text/plain"]))
        shortened["data"] = data
    return shortened


def joined(value: str | list[str]) -> str:
    """nbformat allows multi-line strings as lists of lines."""
    return value if isinstance(value, str) else "".join(value)
