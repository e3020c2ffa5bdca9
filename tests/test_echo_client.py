"""Tests for examples/echo_client.py, against the real echo server on a free loopback port."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from examples import echo_client, echo_server

GUARD = 30.0  # seconds: an upper bound so a broken test fails instead of hanging, never a measure


@pytest.fixture
async def port() -> AsyncIterator[int]:
    """The port of echo_server.main() running on this test's loop; cancelled afterwards."""
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(echo_server.main("127.0.0.1", 0, started=started))
    async with asyncio.timeout(GUARD):
        port = await started
    yield port
    task.cancel()
    await asyncio.wait([task])
    assert task.cancelled(), f"the server ended with {task.exception()!r}"


async def test_echo_client_returns_the_echoes_in_order(port: int) -> None:
    """Every message comes back, in the order it was sent."""
    messages = ["hi", "how are you?", "", "ünïcödé ☕"]
    async with asyncio.timeout(GUARD):
        assert await echo_client.echo_client("alice", messages, port=port) == messages


async def test_echo_client_takes_back_a_line_longer_than_a_stream_limit(
    port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1 MB message, far past StreamReader's 64 KiB line limit, comes back whole."""
    message = "x" * 1_000_000
    async with asyncio.timeout(GUARD):
        assert await echo_client.echo_client("dave", [message], port=port) == [message]
    capsys.readouterr()  # a million x's on the terminal help nobody


async def test_echo_client_prints_each_send_before_its_echo(
    port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A client's own lines: where it connected from, then each send before its echo."""
    async with asyncio.timeout(GUARD):
        await echo_client.echo_client("bob", ["a", "b"], port=port)
    lines = [line for line in capsys.readouterr().out.splitlines() if "bob:" in line]
    assert lines[0].startswith("  bob: connected from 127.0.0.1:")
    assert lines[1:] == [
        "  bob: sending 'a'",
        "  bob: got 'a' back",
        "  bob: sending 'b'",
        "  bob: got 'b' back",
    ]


async def test_concurrent_clients_each_get_their_own_echoes(port: int) -> None:
    """Three clients in one TaskGroup, as on the slide, each get exactly their messages back."""
    conversations = {"alice": ["hi", "how are you?"], "bob": ["hello there"], "carol": list("abc")}
    async with asyncio.timeout(GUARD), asyncio.TaskGroup() as group:
        tasks = {
            name: group.create_task(echo_client.echo_client(name, messages, port=port))
            for name, messages in conversations.items()
        }
    assert {name: task.result() for name, task in tasks.items()} == conversations


async def test_echo_client_raises_when_the_server_hangs_up_mid_echo() -> None:
    """A server that sends half an echo and leaves makes the client raise IncompleteReadError."""

    async def rude_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"hal")  # no newline, then gone
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(rude_server, "127.0.0.1", 0)
    async with server:
        rude_port = server.sockets[0].getsockname()[1]
        async with asyncio.timeout(GUARD):
            with pytest.raises(asyncio.IncompleteReadError) as raised:
                await echo_client.echo_client("carol", ["half"], port=rude_port)
    assert raised.value.partial == b"hal"


async def test_echo_client_says_goodbye_before_returning(
    port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """The client sends EOF and waits for the server to hang up, so the server saw it all."""
    async with asyncio.timeout(GUARD):
        await echo_client.echo_client("dave", ["bye"], port=port)
    assert "said goodbye after 4 bytes" in capsys.readouterr().out


def test_module_defaults_to_loopback_port_8888() -> None:
    """Without ECHO_HOST and ECHO_PORT the client connects to 127.0.0.1:8888, like the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHO_")}
    code = "from examples import echo_client as m; print(m.HOST, m.PORT)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["127.0.0.1", "8888"]


async def test_running_the_module_echoes_its_arguments(port: int) -> None:
    """`python -m examples.echo_client one two` sends its arguments as lines and prints echoes."""
    env = {**os.environ, "ECHO_HOST": "127.0.0.1", "ECHO_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "examples.echo_client", "one", "two", env=env, stdout=subprocess.PIPE
    )
    async with asyncio.timeout(GUARD):
        out, _ = await process.communicate()
    assert process.returncode == 0
    lines = out.decode().splitlines()
    assert lines[0].startswith("  client: connected from 127.0.0.1:")
    assert lines[1:] == [
        "  client: sending 'one'",
        "  client: got 'one' back",
        "  client: sending 'two'",
        "  client: got 'two' back",
    ]
