"""Fault tests for examples/echo_server.py: churn, resets and floods against one running server."""

import asyncio
import gc
import logging
import os
import random
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest

from examples import echo_server
from tests.conftest import LoopErrors
from tests.test_echo_server import close_client, exchange

GUARD = 30.0  # seconds: an upper bound so a broken test fails instead of hanging, never a measure
CYCLES = 1000  # connect/disconnect cycles against one server, half of them ended by a reset
WORKERS = 20  # clients cycling side by side, so that handlers overlap
FLOOD = 8 * 1024 * 1024  # bytes in one write: 128 of the server's reads, no newline anywhere


@pytest.fixture
async def port() -> AsyncIterator[int]:
    """The port of echo_server.main() on this test's loop; must still be serving at the end."""
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(echo_server.main("127.0.0.1", 0, echo_server.IDLE_TIMEOUT, started))
    async with asyncio.timeout(GUARD):
        port = await started
    yield port
    assert not task.done(), "the server stopped during the test"
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled(), f"the server ended with {task.exception()!r}"


def open_fds() -> int:
    """How many file descriptors this process holds, sockets included."""
    return len(os.listdir("/proc/self/fd"))


async def handlers_finished(baseline: set[asyncio.Task[Any]]) -> None:
    """Return once the loop runs only the `baseline` tasks again (waiting at most GUARD s)."""
    async with asyncio.timeout(GUARD):
        while extra := asyncio.all_tasks() - baseline:  # look again: more may have started
            await asyncio.wait(extra)


def reset_on_close(writer: asyncio.StreamWriter) -> None:
    """Make closing this client send a TCP reset instead of a polite FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def polite_cycle(port: int, number: int) -> None:
    """Connect, get one line echoed, say goodbye with EOF and wait for the server to hang up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        line = f"cycle {number}\n".encode()
        writer.write(line)
        assert await reader.readexactly(len(line)) == line
        writer.write_eof()
        assert await reader.read() == b""
    finally:
        await close_client(writer)


async def abrupt_cycle(port: int, number: int) -> None:
    """Connect and reset the connection: at once, or after half a message."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    if number % 4 == 3:
        writer.write(b"half a mess")
        await writer.drain()
    reset_on_close(writer)
    writer.transport.abort()  # no EOF, no goodbye
    await writer.wait_closed()  # our socket is closed once the transport has let go of it


async def test_thousand_connect_disconnect_cycles_leak_no_tasks_or_fds(
    port: int, loop_errors: LoopErrors, capsys: pytest.CaptureFixture[str]
) -> None:
    """After 1,000 cycles, half of them resets, the loop holds the same tasks and fds as before."""
    tasks_before = asyncio.all_tasks()  # this test, main() and serve_forever()
    assert await exchange(port, b"warm-up\n") == b"warm-up\n"  # anything created lazily exists
    await handlers_finished(tasks_before)
    gc.collect()  # sockets an earlier test of this process dropped: closed now, not mid-test
    fds_before = open_fds()

    async def worker(first: int) -> None:
        for number in range(first, CYCLES, WORKERS):
            if number % 2 == 0:
                await polite_cycle(port, number)
            else:
                await abrupt_cycle(port, number)

    async with asyncio.timeout(GUARD), asyncio.TaskGroup() as group:
        for first in range(WORKERS):
            group.create_task(worker(first))
    await handlers_finished(tasks_before)

    gc.collect()
    assert open_fds() <= fds_before  # a leak adds fds; the same count or fewer is no leak
    assert loop_errors == []
    out = capsys.readouterr().out
    connected, goodbyes = out.count(" connected\n"), out.count(" said goodbye after ")
    assert goodbyes >= 1 + CYCLES // 2  # the warm-up and every polite client
    assert goodbyes + out.count(" vanished\n") == connected  # every handler ended, quietly
    assert "stalled" not in out
    assert await exchange(port, b"still serving\n") == b"still serving\n"


async def test_multi_megabyte_write_without_newline_is_echoed_in_full(port: int) -> None:
    """8 MB in one write, with no line ending anywhere, comes back byte for byte."""
    payload = random.Random(8).randbytes(FLOOD).replace(b"\n", b" ")
    async with asyncio.timeout(GUARD):
        assert await exchange(port, payload) == payload


async def test_next_client_is_served_after_a_flood(port: int) -> None:
    """A client that follows a multi-megabyte one gets its echo from the same server."""
    async with asyncio.timeout(GUARD):
        assert await exchange(port, b"x" * FLOOD) == b"x" * FLOOD
        assert await exchange(port, b"after the flood\n") == b"after the flood\n"


async def test_flooding_client_that_resets_mid_echo_does_not_stop_the_server(
    port: int, loop_errors: LoopErrors, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that sends megabytes, reads none of the echo and resets leaves the server up."""
    tasks_before = asyncio.all_tasks()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"x" * FLOOD)
    async with asyncio.timeout(GUARD):
        await reader.readexactly(1)  # the server is echoing: its handler is mid-conversation
    reset_on_close(writer)
    writer.transport.abort()
    await writer.wait_closed()
    await handlers_finished(tasks_before)
    async with asyncio.timeout(GUARD):
        assert await exchange(port, b"next\n") == b"next\n"
    assert loop_errors == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
