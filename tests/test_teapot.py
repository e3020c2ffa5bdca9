"""Tests for examples/teapot.py: real Sanic servers on free loopback ports, called over HTTP."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from sanic import Sanic

from examples import teapot

STARTUP_TIMEOUT = 30.0  # seconds; generous, the machine is shared


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[teapot.TeapotApp]:
    """A fresh app under a unique name, taken out of Sanic's app registry afterwards."""
    # Sanic rewrites its protocol classes' methods ("TouchUp") when an app starts; a second app
    # in the same process fails with KeyError unless Sanic knows it is under test
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = teapot.create_app(f"teapot_{uuid.uuid4().hex}")
    app.config.MOTD = False  # no start-up banner in the test output
    yield app
    Sanic.unregister_app(app)


@pytest.fixture
async def url(app: teapot.TeapotApp) -> AsyncIterator[str]:
    """The base URL of `app`, served on this test's event loop."""
    async with teapot.serving(app, "127.0.0.1", 0) as url:
        yield url


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def test_root_answers_418_im_a_teapot(url: str) -> None:
    """GET / answers 418 I'm a teapot, with that text as a plain-text body."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 418
        assert response.reason == "I'm a teapot"
        assert response.content_type == "text/plain"
        assert await response.text() == "I'm a teapot"


async def test_concurrent_requests_all_get_tea(url: str) -> None:
    """Twenty concurrent requests on one loop all get their 418."""

    async def status(session: aiohttp.ClientSession) -> int:
        async with session.get(url) as response:
            await response.read()
            return response.status

    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:
        tasks = [group.create_task(status(session)) for _ in range(20)]
    assert [task.result() for task in tasks] == [418] * 20


async def test_serving_binds_the_host_it_is_given(app: teapot.TeapotApp) -> None:
    """The URL that serving() yields names the loopback address it was asked to bind."""
    async with teapot.serving(app, "127.0.0.1", 0) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert port_of(url) != 0


async def test_serving_releases_the_port_on_exit(app: teapot.TeapotApp) -> None:
    """Once the serving() block is left, nothing listens on its port any more."""
    async with teapot.serving(app, "127.0.0.1", 0) as url:
        pass
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port_of(url))


async def test_serving_closes_keep_alive_connections_on_exit(app: teapot.TeapotApp) -> None:
    """An idle keep-alive connection is closed by the server when serving() ends."""
    async with teapot.serving(app, "127.0.0.1", 0) as url:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
        writer.write(b"GET / HTTP/1.1\r\nHost: teapot\r\n\r\n")  # keep-alive is the default
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 418 I'm a teapot\r\n")
        assert b"keep-alive" in head.lower()
        assert await reader.readexactly(len(b"I'm a teapot")) == b"I'm a teapot"
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            assert await reader.read() == b""  # EOF: the server hung up
    finally:
        writer.close()
        await writer.wait_closed()


def test_module_defaults_to_loopback_port_8000() -> None:
    """Without TEAPOT_HOST and TEAPOT_PORT the module listens on 127.0.0.1:8000, not 0.0.0.0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAPOT_")}
    code = "from examples import teapot; print(teapot.HOST, teapot.PORT)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["127.0.0.1", "8000"]


def test_module_takes_host_and_port_from_the_environment() -> None:
    """TEAPOT_HOST and TEAPOT_PORT override the defaults."""
    env = {**os.environ, "TEAPOT_HOST": "::1", "TEAPOT_PORT": "8418"}
    code = "from examples import teapot; print(teapot.HOST, teapot.PORT)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["::1", "8418"]


def test_running_the_module_serves_tea_until_interrupted() -> None:
    """`python -m examples.teapot` serves 418 on the port it is given and exits on Ctrl+C."""
    env = {**os.environ, "TEAPOT_HOST": "127.0.0.1", "TEAPOT_PORT": "0", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.teapot"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:  # Sanic logs its address, then "Worker ready" once listening
            if match := re.search(r"Goin' Fast @ (http://127\.0\.0\.1:\d+)", line):
                url = match[1]
            if "Worker ready" in line:
                break
        assert url is not None, "the server never said where it listens"

        async def get() -> tuple[int, str]:
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                return response.status, await response.text()

        assert asyncio.run(get()) == (418, "I'm a teapot")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=STARTUP_TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
