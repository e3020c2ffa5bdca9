"""Shared fixtures: the local http.cat stand-in, a Kafka mock cluster, the loop's errors."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http import HTTPStatus
from typing import Any

import pytest
from aiohttp import web

from examples.cat_server import serving_in_thread, start_server, status_cat_png, t_rex_png
from examples.kafka_cluster import kafka_cluster

LoopErrors = list[dict[str, Any]]  # contexts passed to the loop's exception handler

TEST_LATENCY = 0.2  # seconds: well above the time to serve a drawn picture, short enough for CI
# the codes the demos ask for; drawing one takes ~0.1 s, so draw them before any timing starts
USUAL_CODES = (200, 201, 204, 301, 302, 400, 403, 404, 418, 429, 500, 502, 503)

StartCatServer = Callable[..., Awaitable[str]]  # start_cat_server(latency=...) -> base URL


@pytest.fixture(scope="session")
def drawn_pictures() -> None:
    """Draw (and cache) the usual cats and the t-rex once per session."""
    for code in USUAL_CODES:
        status_cat_png(HTTPStatus(code))
    t_rex_png()


@pytest.fixture
async def start_cat_server(drawn_pictures: None) -> AsyncIterator[StartCatServer]:
    """A factory: `url = await start_cat_server(latency=0.1)` starts a server on a free port.

    Every server started through it is stopped when the test ends.
    """
    runners: list[web.AppRunner] = []

    async def start(latency: float = TEST_LATENCY) -> str:
        runner, url = await start_server(port=0, latency=latency)
        runners.append(runner)
        return url

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def cat_server_url(request: pytest.FixtureRequest, start_cat_server: StartCatServer) -> str:
    """Base URL of a cat server with TEST_LATENCY, or another latency given by indirect parametrize:

    @pytest.mark.parametrize("cat_server_url", [0.5], indirect=True)
    """
    latency: float = getattr(request, "param", TEST_LATENCY)
    return await start_cat_server(latency=latency)


@pytest.fixture
def threaded_cat_server_url(drawn_pictures: None) -> Iterator[str]:
    """Base URL of a cat server (TEST_LATENCY) on its own thread and event loop.

    For tests of blocking code (requests, time.sleep in the test's own loop), which would stall
    a server running on the test's event loop.
    """
    with serving_in_thread(latency=TEST_LATENCY) as url:
        yield url


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    """Bootstrap servers of one Kafka mock cluster shared by a test module's tests."""
    with kafka_cluster() as servers:
        yield servers


@pytest.fixture
def topic() -> str:
    """A topic name no other test uses (the mock cluster creates it on first produce)."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def unreachable() -> str:
    """Bootstrap servers where nobody listens: a port bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.fixture
async def loop_errors() -> AsyncIterator[LoopErrors]:
    """Everything reported to the loop's exception handler during the test."""
    loop = asyncio.get_running_loop()
    reported: LoopErrors = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    yield reported
    loop.set_exception_handler(None)
