"""`present`'s kernels: one per slide file, replaying its code, then running cells one at a time.

A Session starts its file's kernel in the file's folder, replays the file's code cells as the build
ran them, then runs the cells browsers send, in order, streaming each run's messages to the socket
that asked. Live holds the sessions and the open sockets, and answers the sockets' messages.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from deckbuild.errors import BuildError
from deckbuild.kernel import Kernel, KernelDied
from deckbuild.outputs import Run
from deckbuild.sources import Source, cell_tags, code_cells, file_key, read_source

Send = Callable[[dict[str, Any]], None]  # queues a message for one socket, never blocks


def code_signature(source: Source) -> list[tuple[str, list[str]]]:
    """What a replay depends on: each code cell's text and tags."""
    return [(cell.source, cell_tags(cell)) for cell in code_cells(source.notebook)]


class Session:
    """One slide file's kernel: replay, a queue of runs, interrupt, restart, shutdown."""

    def __init__(self, path: Path, timeout: int, broadcast: Send) -> None:
        self.path = path
        self.key = file_key(path)  # its cells' ids are `<key>-<index>`
        self.timeout = timeout  # seconds a replayed cell may take before it is interrupted
        self.broadcast = broadcast
        self.state = "starting"
        self.source = read_source(path)
        self.runs: asyncio.Queue[Run] = asyncio.Queue()
        self.current: Run | None = None
        self.kernel: Kernel | None = None
        self.worker: asyncio.Task[None] | None = None
        self.restarting: asyncio.Task[None] | None = None
        self.closing = False

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.broadcast({"type": "state", "file": self.key, "state": state})

    def start(self) -> None:
        if self.closing:
            return
        self.set_state("starting")
        self.worker = asyncio.create_task(self.work(), name=f"kernel {self.key}")

    def is_code_cell(self, index: int) -> bool:
        cells = self.source.notebook.cells
        return 0 <= index < len(cells) and cells[index].cell_type == "code"

    def code_of(self, run: Run) -> str | None:
        """The run's code, else its cell's in the file as replayed (None: no code cell there)."""
        if run.code is None and self.is_code_cell(run.cell):
            cell = self.source.notebook.cells[run.cell]
            run.code, run.show_input = cell.source, "remove-input" not in cell_tags(cell)
        return run.code

    def submit(self, run: Run) -> None:
        """Queue run; tell its socket why it waits, or that it never will (a dead kernel)."""
        if self.state == "dead":
            run.done("dead", f"the kernel of {self.path.name} is dead: restart it to run cells")
            return
        if self.state in ("starting", "replaying"):
            run.send({"type": "queued", "id": run.id, "reason": "replaying"})
        elif self.state == "busy" or not self.runs.empty():
            run.send({"type": "queued", "id": run.id, "reason": "busy"})
        self.runs.put_nowait(run)

    def abort(self, message: str, queued_only: bool = False) -> None:
        """End the queued runs, and unless queued_only the running one, with status aborted."""
        if self.current is not None and not queued_only:
            self.current.done("aborted", message)
            self.current = None
        while not self.runs.empty():
            self.runs.get_nowait().done("aborted", message)

    async def interrupt(self) -> None:
        """Interrupt the running (or replayed) cell; runs queued behind a user's run are dropped."""
        if self.state == "busy":
            self.abort("interrupted before it ran", queued_only=True)
            if self.current is not None:
                self.current.interrupted = True
        if self.state in ("busy", "replaying") and self.kernel is not None:
            await self.kernel.interrupt()

    def restart(self) -> None:
        """Kill the kernel and end its runs, then start it again and replay; newer runs wait."""
        if self.closing:
            return
        if self.worker is not None:
            self.worker.cancel()  # now, so that it takes no further run nor sends more output
        self.abort("the kernel was restarted")
        self.set_state("starting")
        previous = self.restarting

        async def again() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await self.stop()
            if not self.closing:
                self.start()

        self.restarting = asyncio.create_task(again(), name=f"restart {self.key}")

    async def stop(self) -> None:
        """Cancel the worker and kill the kernel (with everything it started)."""
        if self.worker is not None:
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)
            self.worker = None
        if self.kernel is not None:
            await self.kernel.kill()
            self.kernel = None

    async def shutdown(self) -> None:
        """End every run and kill the kernel, after any restart under way."""
        self.closing = True
        if self.restarting is not None:
            await asyncio.gather(self.restarting, return_exceptions=True)
        self.abort("the server is stopping")
        await self.stop()

    async def work(self) -> None:
        """Start the kernel, replay the file, then run what is queued, one at a time."""
        try:
            kernel = await self.boot()
            self.set_state("replaying")
            await self.replay(kernel)
            while True:
                self.set_state("busy" if not self.runs.empty() else "idle")
                run = await self.runs.get()
                self.set_state("busy")
                self.current = run
                code = self.code_of(run)
                if code is None:
                    run.done("error", f"{self.path.name} has no code cell {run.cell} any more")
                else:
                    run.finish(await kernel.execute(code, run.forward))
                self.current = None
        except Exception as error:  # KernelDied, or the kernel's channels failed
            died = error if isinstance(error, KernelDied) else f"the kernel failed: {error!r}"
            message = f"{self.path.name}: {died}; restart it to run cells again"
            if self.current is not None:
                self.current.done("dead", message)
                self.current = None
            self.abort(message)
            self.set_state("dead")
            print(f"present: {message}", file=sys.stderr, flush=True)

    async def boot(self) -> Kernel:
        """Start a kernel in the file's folder, on the file as it is now."""
        try:
            self.source = read_source(self.path)
        except BuildError as error:
            print(f"present: {error}", file=sys.stderr, flush=True)  # replay the last good read
        self.kernel = Kernel(self.path.name)
        await self.kernel.start(self.path.resolve().parent)
        return self.kernel

    async def replay(self, kernel: Kernel) -> None:
        """Run the file's code cells as the build did: errors allowed, skip-execution skipped."""
        for index, cell in enumerate(self.source.notebook.cells):
            if cell.cell_type != "code" or "skip-execution" in cell_tags(cell):
                continue
            reply = await kernel.execute(cell.source, limit=self.timeout)
            if reply.get("status") == "error" and "raises-exception" not in cell_tags(cell):
                where = self.source.where(index)
                found = f"{reply.get('ename')}: {reply.get('evalue')}"
                print(f"present: {where}: the replay raised {found}", file=sys.stderr, flush=True)


class Live:
    """Every file's session and every open socket of one `present` server."""

    def __init__(self, paths: Sequence[Path], timeout: int) -> None:
        self.sockets: set[Send] = set()
        self.started = False
        self.sessions: dict[str, Session] = {}
        for path in paths:
            session = Session(path, timeout, self.broadcast)
            if session.key in self.sessions:
                raise BuildError(f"{path}: cell ids clash with {self.sessions[session.key].path}")
            self.sessions[session.key] = session

    def files(self) -> dict[str, str]:
        """Each file's key and the name the browser shows for it."""
        return {key: session.path.name for key, session in self.sessions.items()}

    def broadcast(self, message: dict[str, Any]) -> None:
        for send in list(self.sockets):
            send(message)

    def start(self) -> None:
        """Start every file's kernel, but for one a restart already started."""
        self.started = True
        for session in self.sessions.values():
            if session.worker is None and session.restarting is None:
                session.start()

    def hello(self, send: Send) -> None:
        """Welcome a new socket with every file's state; it hears every change from now on."""
        self.sockets.add(send)
        states = {key: session.state for key, session in self.sessions.items()}
        send({"type": "hello", "files": states})

    def refresh(self) -> None:
        """After a rebuild: restart (and so replay) the files whose code cells changed."""
        for session in self.sessions.values():
            try:
                fresh = read_source(session.path)
            except BuildError:
                continue
            if code_signature(fresh) != code_signature(session.source):
                session.restart()  # it reads the file again before replaying
            else:
                session.source = fresh  # the same code, perhaps at other cell indices

    async def converse(self, ws: web.WebSocketResponse) -> None:
        """One socket: JSON messages in; its runs' messages and every state change out."""
        outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def send(message: dict[str, Any]) -> None:
            if not ws.closed:
                outbox.put_nowait(message)

        async def write() -> None:
            while (message := await outbox.get()) is not None:
                try:
                    await ws.send_json(message)
                except (ConnectionError, RuntimeError):  # the tab went away mid-message
                    return

        writer = asyncio.create_task(write())
        self.hello(send)
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(message.data)
                except ValueError:
                    send({"type": "error", "id": None, "message": "not JSON"})
                    continue
                await self.handle(data, send)
        finally:
            self.sockets.discard(send)
            outbox.put_nowait(None)
            await writer

    async def handle(self, message: Any, send: Send) -> None:
        """Act on one client message: run (code, or the cell's own), interrupt or restart."""
        kind = message.get("type") if isinstance(message, dict) else None
        run_id = message.get("id") if isinstance(message, dict) else None
        run_id = run_id if isinstance(run_id, str) else None
        if kind == "run":
            code, cell = message.get("code"), message.get("cell")
            key, _, index = cell.rpartition("-") if isinstance(cell, str) else ("", "", "")
            session = self.sessions.get(key)
            if run_id is None or not isinstance(code, str | None):
                problem = "a run needs an id, and its code (if any) as text"
                send({"type": "error", "id": run_id, "message": problem})
            elif session is None or not index.isdigit() or not session.is_code_cell(int(index)):
                send({"type": "error", "id": run_id, "message": f"no code cell {cell!r}"})
            else:  # without code, the cell's own code runs: a remove-input cell's page has none
                session.submit(Run(run_id, code, send, int(index)))
            return
        if kind in ("interrupt", "restart"):
            name = message.get("file")
            session = self.sessions.get(name) if isinstance(name, str) else None
            if session is None:
                send({"type": "error", "id": None, "message": f"no file {name!r}"})
            elif kind == "interrupt":
                await session.interrupt()
            else:
                session.restart()
            return
        send({"type": "error", "id": run_id, "message": f"unknown message type {kind!r}"})

    async def shutdown(self) -> None:
        """Kill every kernel, and so whatever its cells started."""
        await asyncio.gather(*(session.shutdown() for session in self.sessions.values()))
