"""Tests for examples/echo_server.py: real servers on free loopback ports, real TCP clients."""

import asyncio
import contextlib
import gc
import logging
import os
import random
import socket
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

import pytest

from examples import echo_server

GUARD = 30.0  # seconds: an upper bound so a broken test fails instead of hanging, never a measure


class Server(NamedTuple):
    port: int
    task: asyncio.Task[None]


StartServer = Callable[..., Awaitable[Server]]  # await start_server(idle_timeout=...) -> Server


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """A factory that runs echo_server.main() on a free loopback port; stopped after the test."""
    tasks: list[asyncio.Task[None]] = []

    async def start(idle_timeout: float = echo_server.IDLE_TIMEOUT) -> Server:
        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(echo_server.main("127.0.0.1", 0, idle_timeout, started))
        tasks.append(task)
        async with asyncio.timeout(GUARD):
            port = await started
        return Server(port, task)

    yield start
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        assert task.cancelled(), f"the server ended with {task.exception()!r}"


class Handled(NamedTuple):
    port: int
    tasks: asyncio.Queue[asyncio.Task[None]]  # each connection's handler task, as it starts


StartHandler = Callable[[float], Awaitable[Handled]]


@pytest.fixture
async def start_handler() -> AsyncIterator[StartHandler]:
    """A factory for a bare asyncio server running handle_echo, wired as the seed wired it.

    The coroutine goes straight to start_server, so a handler that raises is reported to the
    loop's exception handler ("Unhandled exception in client_connected_cb", or "Task exception
    was never retrieved" on older Pythons).
    """
    servers: list[asyncio.Server] = []

    async def start(idle_timeout: float) -> Handled:
        tasks: asyncio.Queue[asyncio.Task[None]] = asyncio.Queue()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.put_nowait(task)
            await echo_server.handle_echo(reader, writer, idle_timeout)

        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return Handled(server.sockets[0].getsockname()[1], tasks)

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def finished(handled: Handled) -> asyncio.Task[None]:
    """The next handler task, once it and its done callbacks have run."""
    async with asyncio.timeout(GUARD):
        task = await handled.tasks.get()
        await asyncio.wait([task])  # wakes up after the callbacks the server added to the task
    return task


async def open_client(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def close_client(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def exchange(port: int, payload: bytes) -> bytes:
    """Send payload and EOF while reading concurrently; return all the server sent back."""
    reader, writer = await open_client(port)
    try:

        async def send() -> None:
            writer.write(payload)
            await writer.drain()
            writer.write_eof()

        async with asyncio.TaskGroup() as group:
            group.create_task(send())
            received = group.create_task(reader.read())  # everything, up to EOF
        return received.result()
    finally:
        await close_client(writer)


def reset_on_close(writer: asyncio.StreamWriter) -> None:
    """Make closing this client send a TCP reset instead of a polite FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def test_round_trip_echoes_bytes_until_eof(start_server: StartServer) -> None:
    """Whatever a client sends, in lines or not, comes back byte for byte before the EOF."""
    server = await start_server()
    payload = b"hello\nworld\n\x00\xff no newline at the end"
    async with asyncio.timeout(GUARD):
        assert await exchange(server.port, payload) == payload


async def test_large_payload_is_echoed_chunk_by_chunk(start_server: StartServer) -> None:
    """A megabyte, far more than one read, comes back intact and in order."""
    server = await start_server()
    payload = random.Random(5).randbytes(1024 * 1024)
    async with asyncio.timeout(GUARD):
        assert await exchange(server.port, payload) == payload


async def test_two_hundred_concurrent_clients_get_their_own_bytes_back(
    start_server: StartServer,
) -> None:
    """200 clients, all connected at once before any sends, each get exactly their bytes."""
    server = await start_server()
    clients = 200
    connected = 0
    all_connected = asyncio.Event()

    async def client(number: int) -> bytes:
        nonlocal connected
        reader, writer = await open_client(server.port)
        try:
            connected += 1
            if connected == clients:
                all_connected.set()
            await all_connected.wait()  # every connection is open, so handlers overlap
            writer.write(f"client {number} says hi\n".encode() * (number + 1))
            writer.write_eof()
            return await reader.read()
        finally:
            await close_client(writer)

    async with asyncio.timeout(GUARD), asyncio.TaskGroup() as group:
        tasks = [group.create_task(client(number)) for number in range(clients)]
    for number, task in enumerate(tasks):
        assert task.result() == f"client {number} says hi\n".encode() * (number + 1)


async def test_stalled_client_does_not_block_others(start_server: StartServer) -> None:
    """While one client sits on half a message, another gets its echo."""
    server = await start_server(idle_timeout=GUARD)  # the stalled client stays connected
    stalled_reader, stalled_writer = await open_client(server.port)
    try:
        stalled_writer.write(b"half a mess")  # ...and then nothing
        await stalled_writer.drain()
        async with asyncio.timeout(GUARD):
            assert await exchange(server.port, b"ping\n") == b"ping\n"
        assert not stalled_reader.at_eof()  # still connected, not hung up on
    finally:
        await close_client(stalled_writer)


async def test_silent_client_is_dropped_after_the_idle_timeout(
    start_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A client that never sends anything gets EOF once the idle timeout runs out."""
    server = await start_server(idle_timeout=0.2)
    reader, writer = await open_client(server.port)
    try:
        async with asyncio.timeout(GUARD):
            assert await reader.read() == b""  # the server hung up
    finally:
        await close_client(writer)
    assert "stalled for 0.2 s, hanging up" in capsys.readouterr().out


async def test_client_that_never_reads_is_dropped_after_the_idle_timeout(
    start_handler: StartHandler,
) -> None:
    """A client that sends but never reads its echo cannot pin the handler on drain()."""
    handled = await start_handler(0.2)
    _, writer = await open_client(handled.port)
    try:
        # far more than the socket buffers hold: the server's echo backs up on drain()
        writer.write(b"x" * (32 * 1024 * 1024))
        task = await finished(handled)
        assert task.exception() is None  # the handler returned normally
    finally:
        writer.transport.abort()  # our own unsent megabytes are not worth waiting for


@pytest.mark.parametrize("payload_size", [11, 4 * 1024 * 1024], ids=["mid-line", "mid-echo"])
async def test_vanishing_client_leaves_no_unretrieved_task_exception(
    start_handler: StartHandler, caplog: pytest.LogCaptureFixture, payload_size: int
) -> None:
    """A client that resets the connection mid-message ends its handler without an error."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        handled = await start_handler(GUARD)
        _, writer = await open_client(handled.port)
        writer.write(b"x" * payload_size)
        await writer.drain()
        reset_on_close(writer)
        writer.transport.abort()  # gone: no EOF, no goodbye
        task = await finished(handled)
        gc.collect()  # "Task exception was never retrieved" is reported when a task is collected
    finally:
        loop.set_exception_handler(None)
    assert reported == []
    assert task.exception() is None  # the handler returned normally
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_cancelling_the_server_closes_the_port_and_finishes_handlers(
    start_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cancelling main() releases the port, hangs up on connected clients and leaves no task."""
    server = await start_server(idle_timeout=GUARD)  # only the cancellation can end handlers
    clients = [await open_client(server.port) for _ in range(3)]
    try:
        for reader, writer in clients:  # a round trip proves each handler is up and running
            writer.write(b"still here?\n")
            async with asyncio.timeout(GUARD):
                assert await reader.readuntil(b"\n") == b"still here?\n"

        server.task.cancel()
        async with asyncio.timeout(GUARD):
            with pytest.raises(asyncio.CancelledError):  # not an ExceptionGroup from a handler
                await server.task

        assert asyncio.all_tasks() == {asyncio.current_task()}  # every handler has finished
        for reader, _ in clients:
            async with asyncio.timeout(GUARD):
                assert await reader.read() == b""  # hung up on
        with pytest.raises(ConnectionRefusedError):
            await open_client(server.port)
    finally:
        for _, writer in clients:
            await close_client(writer)
    assert capsys.readouterr().out.count("shutting down, hanging up on") == 3


async def test_main_announces_its_address(
    start_server: StartServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() prints the loopback address and the port it actually got."""
    server = await start_server()
    assert f"server: listening on 127.0.0.1:{server.port}" in capsys.readouterr().out


def test_module_defaults_to_loopback_port_8888() -> None:
    """Without ECHO_HOST and ECHO_PORT the server listens on 127.0.0.1:8888."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHO_")}
    code = "from examples import echo_server as m; print(m.HOST, m.PORT)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["127.0.0.1", "8888"]


async def test_running_the_module_serves_on_the_port_from_the_environment() -> None:
    """`ECHO_PORT=0 python -m examples.echo_server` listens on a free port and echoes."""
    env = {**os.environ, "ECHO_HOST": "127.0.0.1", "ECHO_PORT": "0", "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "examples.echo_server", env=env, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(GUARD):
            line = (await process.stdout.readline()).decode()
            assert line.startswith("server: listening on 127.0.0.1:")
            port = int(line.rsplit(":", 1)[1])
            assert await exchange(port, b"hello\n") == b"hello\n"
    finally:
        process.terminate()  # graceful shutdown is the cancellation test's job
        await process.wait()
