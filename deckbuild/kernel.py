"""One live kernel of this interpreter for `present`: runs code, streams its messages, may die.

The build's kernels (execute.py) run a whole notebook through nbclient; this one runs one piece
of code at a time for as long as the server lives, and notices when its process is gone.
"""

from __future__ import annotations

import asyncio
import queue
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from deckbuild.execute import ProjectKernelManager, kernel_environment, last_words

OnMessage = Callable[[str, Mapping[str, Any]], None]  # an iopub message's type and content
POLL = 1.0  # seconds between checks that a silent kernel is still alive
STARTUP = 120  # seconds a kernel may take to answer, as the build allows


class KernelDied(Exception):
    """The kernel process is gone; the message says so, with its last words if any."""


class Kernel:
    """A kernel started in a folder; execute() one piece of code at a time."""

    def __init__(self, name: str) -> None:
        self.name = name  # for messages: the slide file it runs
        self.manager = ProjectKernelManager()
        self.client = self.manager.client()  # a placeholder until start() connects one
        # its own stderr, for the last words of a kernel that dies; closed by kill()
        self.stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115

    async def start(self, folder: Path) -> None:
        """Start the kernel with folder as its working directory; KernelDied if it cannot."""
        try:
            await self.manager.start_kernel(
                env=kernel_environment(), cwd=str(folder), stderr=self.stderr
            )
            self.client = self.manager.client()
            self.client.start_channels()
            await self.client.wait_for_ready(timeout=STARTUP)
        except RuntimeError as error:
            raise KernelDied(f"the kernel did not start: {error}") from None

    async def execute(
        self, code: str, on_message: OnMessage | None = None, limit: float | None = None
    ) -> dict[str, Any]:
        """Run code, passing its messages to on_message; the kernel's execute_reply content.

        After limit seconds the code is interrupted (once): the replay's equivalent of --timeout.
        """
        msg_id = self.client.execute(code, store_history=True, allow_stdin=False)
        loop = asyncio.get_running_loop()
        deadline = None if limit is None else loop.time() + limit
        reply: dict[str, Any] | None = None
        while True:
            message = await self.receive(self.client.get_iopub_msg)
            if message is None:
                if reply is not None:
                    break  # answered, and silent since: its idle status got lost, do not hang
                reply = await self.reply(msg_id, 0)
                if deadline is not None and loop.time() > deadline:
                    deadline = None
                    where = f"{self.name}: a replayed cell ran over {limit} s"
                    print(f"present: {where}, interrupting it", file=sys.stderr, flush=True)
                    await self.interrupt()
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue  # a late message of an earlier cell, or of a kernel_info
            if message["msg_type"] == "status":
                if message["content"]["execution_state"] == "idle":
                    break
                continue
            if on_message is not None:
                on_message(message["msg_type"], message["content"])
        while reply is None:
            reply = await self.reply(msg_id, POLL)
        return reply

    async def reply(self, msg_id: str, wait: float) -> dict[str, Any] | None:
        """The kernel's answer to msg_id, skipping others; None if none came within wait."""
        while (message := await self.receive(self.client.get_shell_msg, wait)) is not None:
            if message["parent_header"].get("msg_id") == msg_id:
                content: dict[str, Any] = message["content"]
                return content
        return None

    async def receive(self, get: Callable[..., Any], wait: float = POLL) -> dict[str, Any] | None:
        """A channel's next message, or None after wait seconds of silence (KernelDied if dead)."""
        try:
            message: dict[str, Any] = await get(timeout=wait)
            return message
        except queue.Empty:
            if wait and not await self.manager.is_alive():
                raise KernelDied(f"the kernel died{last_words(self.stderr)}") from None
            return None

    async def interrupt(self) -> None:
        """SIGINT to the kernel, as Jupyter's interrupt: the running code gets KeyboardInterrupt."""
        if self.manager.has_kernel:
            await self.manager.interrupt_kernel()
            # ipykernel only notices SIGINT during a top-level await once its loop wakes up
            self.client.kernel_info()

    async def kill(self) -> None:
        """Kill the kernel's process group: the kernel, and whatever its cells started."""
        self.client.stop_channels()
        if self.manager.has_kernel:
            await self.manager.shutdown_kernel(now=True)
        self.stderr.close()
