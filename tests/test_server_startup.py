"""Each server example refuses a taken port in its caller; cancelled at any await, leaks nothing.

The servers: examples.echo_server, examples.teapot and examples.cat_server. A cancellation
sweep runs the owning coroutine in a task, lets it run for 0, 1, 2, ... loop steps (each
`sleep(0)` lets it go on to its next await), cancels it there, and checks that the process holds
the file descriptors, tasks and threads it held before.
"""

import asyncio
import contextlib
import os
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sanic import Sanic

from examples import cat_server, cats, echo_server, fetch_image, teapot
from tests.conftest import StartCatServer

SOON = 1.0  # seconds: a taken port must be reported this fast (it hangs forever when it is not)
GUARD = 30.0  # seconds: an upper bound so a broken test fails instead of hanging, never a measure
STEPS = range(12)  # loop steps before the cancellation: from "not started" to "serving"
TAKEN_HOST = "127.0.0.1"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another socket is listening on for the whole test."""
    with socket.create_server((TAKEN_HOST, 0)) as holder:
        yield holder.getsockname()[1]


def open_fds() -> int:
    """How many file descriptors this process holds, sockets included."""
    return len(os.listdir("/proc/self/fd"))


async def until(condition: Callable[[], bool]) -> None:
    """Wait until `condition()` holds (closing transports finish a loop step or two later)."""
    async with asyncio.timeout(GUARD):
        while not condition():  # noqa: ASYNC110 -- a closed fd sets no event to wait on
            await asyncio.sleep(0.01)


async def cancel_after(steps: int, coroutine: Coroutine[Any, Any, object]) -> None:
    """Run `coroutine` in a task for `steps` loop steps, cancel it, and wait for it to end."""
    task = asyncio.create_task(coroutine)
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    async with asyncio.timeout(GUARD):
        await asyncio.wait([task])
    if not task.cancelled():  # it may also have finished or failed before the cancellation
        assert task.exception() is None, f"ended with {task.exception()!r}"


@contextlib.asynccontextmanager
async def leaves_nothing_behind() -> AsyncIterator[None]:
    """The block leaves the fds, tasks and threads as it found them."""
    fds, tasks, threads = open_fds(), asyncio.all_tasks(), set(threading.enumerate())
    yield
    await until(lambda: open_fds() <= fds)
    assert asyncio.all_tasks() == tasks
    # the loop's default executor keeps its idle worker threads (asyncio_0, ...) for reuse
    assert {t for t in threading.enumerate() if not t.name.startswith("asyncio_")} <= threads


# -- a taken port: the caller hears it at once ------------------------------------------------


async def test_echo_server_started_raises_the_bind_error_in_the_caller(taken_port: int) -> None:
    """`port = await started` raises main()'s OSError when the port is taken, not hangs."""
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(echo_server.main(TAKEN_HOST, taken_port, started=started))
    with pytest.raises(OSError, match=str(taken_port)):
        async with asyncio.timeout(SOON):
            await started
    await asyncio.wait([server])
    assert server.exception() is None  # handed to the caller, not left in the task as well


async def test_echo_server_without_started_raises_the_bind_error(taken_port: int) -> None:
    """With nobody waiting on `started`, main() itself raises the OSError."""
    with pytest.raises(OSError, match=str(taken_port)):
        async with asyncio.timeout(SOON):
            await echo_server.main(TAKEN_HOST, taken_port)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[teapot.TeapotApp]:
    """A fresh teapot under a unique name (Sanic keeps a registry of apps by name)."""
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps per process, as in test_teapot
    app = teapot.create_app(f"teapot_{uuid.uuid4().hex}")
    app.config.MOTD = False
    yield app
    Sanic.unregister_app(app)


async def test_teapot_serving_raises_the_bind_error(app: teapot.TeapotApp, taken_port: int) -> None:
    """teapot.serving() on a taken port raises OSError in the `async with`, at once."""
    with pytest.raises(OSError, match="ddress already in use"):
        async with asyncio.timeout(SOON), teapot.serving(app, TAKEN_HOST, taken_port):
            pytest.fail("serving on a taken port")


def test_teapot_main_raises_the_bind_error(taken_port: int) -> None:
    """`python -m examples.teapot` on a taken port fails with OSError before Sanic starts."""
    with pytest.raises(OSError, match="ddress already in use"):
        teapot.main(TAKEN_HOST, taken_port)


@pytest.fixture
def cleanups(monkeypatch: pytest.MonkeyPatch) -> list[web.Application]:
    """The cat server's apps whose cleanup ran: make_app() is wrapped to record it."""
    cleaned: list[web.Application] = []
    make_app = cat_server.make_app

    def recording_make_app(latency: float = cat_server.DEFAULT_LATENCY) -> web.Application:
        app = make_app(latency)

        async def note(app: web.Application) -> None:
            cleaned.append(app)

        app.on_cleanup.append(note)
        return app

    monkeypatch.setattr(cat_server, "make_app", recording_make_app)
    return cleaned


async def test_cat_server_start_raises_the_bind_error_and_cleans_up(
    taken_port: int, cleanups: list[web.Application]
) -> None:
    """start_server() on a taken port raises OSError at once, after undoing the runner's setup."""
    with pytest.raises(OSError, match=str(taken_port)):
        async with asyncio.timeout(SOON):
            await cat_server.start_server(TAKEN_HOST, taken_port)
    assert len(cleanups) == 1


async def test_cat_server_serving_raises_the_bind_error(taken_port: int) -> None:
    """cat_server.serving() on a taken port raises OSError in the `async with`, at once."""
    with pytest.raises(OSError, match=str(taken_port)):
        async with asyncio.timeout(SOON), cat_server.serving(TAKEN_HOST, taken_port):
            pytest.fail("serving on a taken port")


def test_cat_server_in_a_thread_raises_the_bind_error_and_stops_its_thread(
    taken_port: int, cleanups: list[web.Application]
) -> None:
    """serving_in_thread() on a taken port raises OSError and leaves no cat-server thread."""
    with (
        pytest.raises(OSError, match=str(taken_port)),
        cat_server.serving_in_thread(TAKEN_HOST, taken_port),
    ):
        pytest.fail("serving on a taken port")
    assert [t for t in threading.enumerate() if t.name == "cat-server"] == []
    assert len(cleanups) == 1


# -- cancelled at any await: nothing left behind ----------------------------------------------


@pytest.mark.parametrize("steps", STEPS)
async def test_echo_server_cancelled_at_any_step_leaves_nothing(steps: int) -> None:
    """main() cancelled before, while and after it starts listening closes all it opened."""
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    async with leaves_nothing_behind():
        await cancel_after(steps, echo_server.main(TAKEN_HOST, 0, started=started))
    if started.done() and not started.cancelled():  # it got as far as listening
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(TAKEN_HOST, started.result())


async def serve_teapot(app: teapot.TeapotApp) -> None:
    async with teapot.serving(app, TAKEN_HOST, 0):
        await asyncio.Event().wait()  # until cancelled


@pytest.mark.parametrize("steps", STEPS)
async def test_teapot_serving_cancelled_at_any_step_leaves_nothing(
    app: teapot.TeapotApp, steps: int
) -> None:
    """serving() cancelled during any of Sanic's start-up steps, or after, closes its socket."""
    async with leaves_nothing_behind():
        await cancel_after(steps, serve_teapot(app))


async def serve_cats() -> None:
    async with cat_server.serving(TAKEN_HOST, 0):
        await asyncio.Event().wait()  # until cancelled


@pytest.mark.parametrize("steps", STEPS)
async def test_cat_server_serving_cancelled_at_any_step_leaves_nothing(steps: int) -> None:
    """cat_server.serving() cancelled during its start-up, or after, closes what it opened."""
    async with leaves_nothing_behind():
        await cancel_after(steps, serve_cats())


async def serve_and_fetch(url_seen: asyncio.Future[str]) -> None:
    """A client in mid-request when the cancellation comes: a session and a server to close."""
    async with cat_server.serving(TAKEN_HOST, 0, latency=GUARD) as url:
        url_seen.set_result(url)
        async with aiohttp.ClientSession() as session, session.get(f"{url}/200"):
            pytest.fail("answered within GUARD")


@pytest.mark.parametrize("steps", [0, 5, 10, 20, 40])
async def test_cat_client_and_server_cancelled_mid_request_leave_nothing(
    steps: int, drawn_pictures: None
) -> None:
    """A session waiting for its response and the server handling it both close on cancel."""
    url_seen: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    async with leaves_nothing_behind():
        await cancel_after(steps, serve_and_fetch(url_seen))


@pytest.mark.parametrize("steps", [0, 2, 5, 10, 20, 40])
async def test_cats_main_cancelled_at_any_step_leaves_nothing(
    steps: int, drawn_pictures: None
) -> None:
    """cats.main() (its own server and session, fetching in every way) cancelled mid-way."""
    async with leaves_nothing_behind():
        await cancel_after(steps, cats.main(latency=0.05))


async def fetch_then_stream(base_url: str) -> None:
    """Both HTTP clients of 03_http.py: a whole image, then one in chunks."""
    await fetch_image.fetch_image_async(f"{base_url}/418")
    async for _ in fetch_image.image_chunks(cat_server.t_rex_url(base_url), chunk_size=64):
        pass


@pytest.mark.parametrize("steps", range(0, 40, 3))  # both fetches take about 38 steps
async def test_fetch_image_clients_cancelled_at_any_step_leave_nothing(
    steps: int, start_cat_server: StartCatServer
) -> None:
    """The sessions of fetch_image_async() and image_chunks() close wherever they are cancelled."""
    base_url = await start_cat_server(latency=0.0)  # pictures drawn: a few steps each
    async with leaves_nothing_behind():
        await cancel_after(steps, fetch_then_stream(base_url))
