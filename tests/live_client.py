"""A `build.py present` for the tests: the server as a subprocess, and a WebSocket client of it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from bs4 import BeautifulSoup

from tests.presenting import ROOT
from tests.test_bad_decks import processes_with

WAIT = 120  # seconds any one step may take on a loaded machine before the test gives up


class Presenter:
    """A running `build.py present` on some slide files, with its address and token."""

    def __init__(self, folder: Path, sources: list[Path]) -> None:
        self.folder = folder
        self.out = folder / "build"
        self.marker = uuid.uuid4().hex  # in the environment of the server and its kernels
        command = [sys.executable, str(ROOT / "build.py"), "present", *map(str, sources)]
        self.process = subprocess.Popen(
            [*command, "--port", "0", "--out", str(self.out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=folder,
            env=dict(
                os.environ, BUILD_CACHE_DIR=str(folder / "cache"), BUILD_TEST_MARKER=self.marker
            ),
        )
        self.log: list[str] = []
        announced = threading.Event()
        self.drainer = threading.Thread(target=self.drain, args=(announced,), daemon=True)
        self.drainer.start()
        assert announced.wait(WAIT), "".join(self.log)
        match = next(
            m for line in self.log if (m := re.search(r"open (http://\S+)/\?token=(\S+)", line))
        )
        self.base, self.token = match[1], match[2]
        self.port = int(self.base.rsplit(":", 1)[1])

    def drain(self, announced: threading.Event) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)
            if "?token=" in line:
                announced.set()
        announced.set()  # the server exited: the waiting test reads why in the log

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout=WAIT)
        self.drainer.join(timeout=WAIT)
        assert self.process.stdout is not None
        self.process.stdout.close()
        print("".join(self.log))
        return code

    async def ready(self) -> None:
        """Wait until the deck is built and every kernel has replayed its file."""
        async with aiohttp.ClientSession() as session:
            socket = await self.connect(session)
            await socket.ws.close()

    async def connect(self, session: aiohttp.ClientSession) -> Socket:
        """A WebSocket as the served page opens it (its origin, the token); every file idle."""
        url = f"{self.base}/__live__?token={self.token}"
        ws = await session.ws_connect(url, origin=self.base)
        socket = Socket(ws)
        await socket.next()  # hello
        for key in socket.states:
            await socket.wait_state(key, "idle")
        return socket


class Socket:
    """One client of /__live__: it keeps every message and the files' latest states."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.log: list[dict[str, Any]] = []
        self.states: dict[str, str] = {}

    async def next(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT):
            message: dict[str, Any] = await self.ws.receive_json()
        self.log.append(message)
        if message["type"] == "hello":
            self.states.update(message["files"])
        if message["type"] == "state":
            self.states[message["file"]] = message["state"]
        return message

    async def until(self, condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while not condition(message := await self.next()):
            pass
        return message

    async def wait_state(self, key: str, state: str) -> None:
        if self.states.get(key) != state:
            await self.until(lambda m: m["type"] == "state" and self.states[key] == state)

    async def send_run(self, cell: str, code: str | None = None) -> str:
        """Ask to run code in cell's file; without code, the cell's own code in the file."""
        run_id = uuid.uuid4().hex
        message = {"type": "run", "id": run_id, "cell": cell}
        await self.ws.send_json(message if code is None else {**message, "code": code})
        return run_id

    async def finish(self, run_id: str) -> list[dict[str, Any]]:
        """The run's messages so far and up to its done."""
        await self.until(lambda m: m["type"] == "done" and m["id"] == run_id)
        return [m for m in self.log if m.get("id") == run_id]

    async def run(self, cell: str, code: str | None = None) -> list[dict[str, Any]]:
        return await self.finish(await self.send_run(cell, code))


def text(messages: list[dict[str, Any]]) -> str:
    """What a run printed, from its stream outputs."""
    return "".join(
        BeautifulSoup(m["text_html"], "html.parser").get_text() for m in messages if m.get("stream")
    )


def done(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in messages if m["type"] == "done")


@contextlib.contextmanager
def presenting(folder: Path, slides: Mapping[str, str] | Sequence[Path]) -> Iterator[Presenter]:
    """`build.py present` on slide files, replayed; Ctrl-C at the end.

    slides are files to write into folder/slides (name -> text), or existing files. Stopping
    must exit 0 and leave no process behind: no kernel, nothing a cell started.
    """
    if isinstance(slides, Mapping):
        (folder / "slides").mkdir()
        for name, text in slides.items():
            (folder / "slides" / name).write_text(text, encoding="utf-8")
        slides = [folder / "slides" / name for name in slides]
    running = Presenter(folder, list(slides))
    try:
        # in a thread of its own: the caller may be running an event loop (Playwright's sync
        # API keeps one running in the tests' thread)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, running.ready()).result()
        yield running
    finally:
        code = running.stop()
    assert code == 0
    assert processes_with(running.marker) == []
