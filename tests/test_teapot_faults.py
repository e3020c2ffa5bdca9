"""Fault tests for examples/teapot.py: oversized and malformed requests over raw loopback TCP."""

import asyncio
import contextlib
import logging
import socket
import struct
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, text

from examples import teapot
from tests.conftest import LoopErrors

GUARD = 30.0  # seconds: an upper bound so a broken test fails instead of hanging, never a measure
MAX_BODY = 1024  # bytes: REQUEST_MAX_SIZE for these tests, far below Sanic's default 100 MB
TEA = b"HTTP/1.1 418 I'm a teapot"
TOO_LARGE = b"HTTP/1.1 413 Request Entity Too Large"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request"
GET_TEA = b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"  # answered, then closed


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[teapot.TeapotApp]:
    """The teapot with a small body limit, plus a route that reads its body to test it with.

    The teapot's own GET route ignores any body (Sanic's default for GET), so on its own it
    never meets the limit.
    """
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps per process, as in test_teapot
    app = teapot.create_app(f"teapot_{uuid.uuid4().hex}")
    app.config.MOTD = False
    app.config.REQUEST_MAX_SIZE = MAX_BODY

    @app.post("/kettle")
    async def kettle(request: Request[teapot.TeapotApp, Any]) -> HTTPResponse:
        return text(f"{len(request.body)} bytes of water")

    yield app
    Sanic.unregister_app(app)


@pytest.fixture
async def port(app: teapot.TeapotApp) -> AsyncIterator[int]:
    """The port of `app`, served on this test's event loop by teapot.serving()."""
    async with teapot.serving(app, "127.0.0.1", 0) as url:
        yield int(url.rsplit(":", 1)[1])


async def status_then_hang_up(port: int, request: bytes) -> bytes:
    """Send raw bytes; return the response's status line once the server has hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(GUARD):
            writer.write(request)
            status_line = (await reader.readuntil(b"\r\n")).removesuffix(b"\r\n")
            # a reset is a hang-up too: closing with an unread body in its buffer sends one
            with contextlib.suppress(ConnectionResetError):
                while await reader.read(64 * 1024):  # the rest of the response, then EOF
                    pass
        return status_line
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def tea(port: int) -> bytes:
    """The status line of a plain GET /, on a fresh connection."""
    return await status_then_hang_up(port, GET_TEA)


def post(path: str, body: bytes) -> bytes:
    """A raw POST of `body`, asking the server to close the connection after answering."""
    head = f"POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def error_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def test_body_within_the_limit_is_read(port: int) -> None:
    """A body of exactly REQUEST_MAX_SIZE bytes reaches the handler: the limit is inclusive."""
    assert await status_then_hang_up(port, post("/kettle", b"w" * MAX_BODY)) == b"HTTP/1.1 200 OK"


async def test_oversized_body_gets_413_and_the_server_keeps_serving(
    port: int, loop_errors: LoopErrors, caplog: pytest.LogCaptureFixture
) -> None:
    """A body one byte over REQUEST_MAX_SIZE is refused with 413; the next GET still gets 418."""
    assert await status_then_hang_up(port, post("/kettle", b"w" * (MAX_BODY + 1))) == TOO_LARGE
    assert await tea(port) == TEA
    assert loop_errors == []
    assert error_logs(caplog) == []


async def test_oversized_body_on_the_teapot_route_gets_418_and_a_hang_up(port: int) -> None:
    """GET / ignores its body, so it answers 418, then closes instead of reading the excess."""
    request = b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 65536\r\n\r\n" + b"w" * 65536
    assert await status_then_hang_up(port, request) == TEA  # keep-alive, yet hung up on
    assert await tea(port) == TEA


async def test_oversized_header_gets_413_and_the_server_keeps_serving(port: int) -> None:
    """A header section over REQUEST_MAX_HEADER_SIZE is refused with 413; GET still gets 418."""
    request = b"GET / HTTP/1.1\r\nHost: t\r\nX-Leaves: " + b"l" * 20_000 + b"\r\n\r\n"
    assert await status_then_hang_up(port, request) == TOO_LARGE
    assert await tea(port) == TEA


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost teapot\r\n\r\n",  # a header line without a colon
        b"GET / HTTP/4.2\r\nHost: t\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: lots\r\n\r\n",
        "GET /thé HTTP/1.1\r\nHost: t\r\n\r\n".encode(),  # URLs must be ASCII
    ],
    ids=["garbage", "header-without-colon", "unknown-version", "bad-length", "non-ascii-url"],
)
async def test_malformed_request_gets_400_and_the_server_keeps_serving(
    port: int, request_bytes: bytes, loop_errors: LoopErrors, caplog: pytest.LogCaptureFixture
) -> None:
    """A request that does not parse gets 400 Bad Request; the next GET still gets 418."""
    assert await status_then_hang_up(port, request_bytes) == BAD_REQUEST
    assert await tea(port) == TEA
    assert loop_errors == []
    assert error_logs(caplog) == []


async def test_client_that_resets_mid_request_leaves_the_server_serving(
    port: int, loop_errors: LoopErrors, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that sends half a request and resets the connection costs nothing: GET gets 418."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /kettle HTTP/1.1\r\nContent-Length: 100\r\n\r\nhalf a bo")
    await writer.drain()
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # a TCP reset: no EOF, no goodbye
    await writer.wait_closed()
    assert await tea(port) == TEA
    assert loop_errors == []
    assert error_logs(caplog) == []


async def test_leaving_serving_with_a_half_sent_request_logs_no_error(
    app: teapot.TeapotApp, loop_errors: LoopErrors, caplog: pytest.LogCaptureFixture
) -> None:
    """serving() hangs up on a client stuck mid-header without an error in the logs."""
    async with teapot.serving(app, "127.0.0.1", 0) as url:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHo")  # ...and nothing more
        await writer.drain()
        # one loop runs both: by the time this round trip is over, the server has read "GET..."
        assert await tea(port) == TEA
    try:
        async with asyncio.timeout(GUARD):
            assert await reader.read() == b""  # hung up on
    finally:
        writer.close()
        await writer.wait_closed()
    assert loop_errors == []
    assert error_logs(caplog) == []
