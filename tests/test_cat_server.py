"""Tests for examples.cat_server, the offline stand-in for http.cat."""

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from http import HTTPStatus

import aiohttp
import pytest
import requests

from examples import cat_server

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def get(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of one GET request."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.content_type, await response.read()


async def test_known_status_code_gets_a_png_cat(cat_server_url: str) -> None:
    """GET /418 answers 200 with a PNG image."""
    status, content_type, body = await get(f"{cat_server_url}/418")
    assert (status, content_type) == (200, "image/png")
    assert body.startswith(PNG_SIGNATURE)


async def test_error_status_code_is_still_served_with_200(cat_server_url: str) -> None:
    """GET /500 answers 200: the picture of an error is not an error, as on http.cat."""
    status, _, body = await get(f"{cat_server_url}/500")
    assert status == 200
    assert body == cat_server.status_cat_png(HTTPStatus.INTERNAL_SERVER_ERROR)


@pytest.mark.parametrize("path", ["/999", "/42", "/teapot"])
async def test_unknown_status_code_gets_404(cat_server_url: str, path: str) -> None:
    """A path that is not a known status code answers 404 with the 404 cat."""
    status, content_type, body = await get(cat_server_url + path)
    assert (status, content_type) == (404, "image/png")
    assert body == cat_server.status_cat_png(HTTPStatus.NOT_FOUND)


async def test_t_rex_is_a_png(cat_server_url: str) -> None:
    """GET /t-rex.png answers 200 with the dinosaur."""
    status, content_type, body = await get(cat_server.t_rex_url(cat_server_url))
    assert (status, content_type) == (200, "image/png")
    assert body == cat_server.t_rex_png()


@pytest.mark.parametrize("cat_server_url", [0.3], indirect=True)
async def test_response_takes_at_least_the_latency(cat_server_url: str) -> None:
    """A request takes no less than the configured latency."""
    start = time.monotonic()
    await get(f"{cat_server_url}/200")
    assert time.monotonic() - start >= 0.3 - 0.01  # the loop's timers may fire a tick early


@pytest.mark.parametrize("cat_server_url", [0.3], indirect=True)
async def test_concurrent_requests_wait_out_their_latency_together(cat_server_url: str) -> None:
    """Five concurrent requests take much less than five latencies: the server never blocks."""
    start = time.monotonic()
    async with asyncio.TaskGroup() as tg:
        for code in (200, 404, 418, 500, 503):
            tg.create_task(get(f"{cat_server_url}/{code}"))
    assert time.monotonic() - start < 0.5 * 5 * 0.3


def test_each_picture_is_drawn_once() -> None:
    """The PNG bytes for a status code are cached, not drawn again."""
    first = cat_server.status_cat_png(HTTPStatus.IM_A_TEAPOT)
    assert cat_server.status_cat_png(HTTPStatus.IM_A_TEAPOT) is first


def test_different_codes_get_different_pictures() -> None:
    """Each status code has its own picture."""
    assert cat_server.status_cat_png(HTTPStatus.OK) != cat_server.status_cat_png(HTTPStatus.CREATED)


async def test_serving_stops_the_server_on_exit(drawn_pictures: None) -> None:
    """After the `async with serving()` block, the port no longer accepts connections."""
    async with cat_server.serving(latency=0) as url:
        status, _, _ = await get(f"{url}/200")
        assert status == 200
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(f"{url}/200")


async def test_start_for_slides_prefers_the_real_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """With HTTP_CAT_URL set, start_for_slides returns it and starts nothing."""
    monkeypatch.setenv("HTTP_CAT_URL", "https://http.cat/")
    monkeypatch.setattr(cat_server, "_slide_url", None)
    assert await cat_server.start_for_slides() == "https://http.cat"
    assert cat_server._slide_url is None


async def test_start_for_slides_starts_one_local_server(
    monkeypatch: pytest.MonkeyPatch, drawn_pictures: None
) -> None:
    """Without HTTP_CAT_URL, start_for_slides starts a local server once and reuses it."""
    monkeypatch.delenv("HTTP_CAT_URL", raising=False)
    monkeypatch.setattr(cat_server, "_slide_url", None)
    with contextlib.ExitStack() as servers:
        monkeypatch.setattr(cat_server, "_slide_servers", servers)
        url = await cat_server.start_for_slides()
        assert url.startswith("http://127.0.0.1:")
        assert await cat_server.start_for_slides() == url
        status, _, _ = await get(f"{url}/200")
        assert status == 200


def test_server_in_thread_answers_blocking_clients(threaded_cat_server_url: str) -> None:
    """A server on its own thread answers a blocking `requests` call from a plain function."""
    response = requests.get(f"{threaded_cat_server_url}/418", timeout=10)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "image/png")


def test_server_in_thread_stops_on_exit(drawn_pictures: None) -> None:
    """After the `with serving_in_thread()` block, the port is closed and the thread is gone."""
    with cat_server.serving_in_thread(latency=0) as url:
        assert requests.get(f"{url}/200", timeout=10).status_code == 200
    assert not any(thread.name == "cat-server" for thread in threading.enumerate())
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/200", timeout=10)


def test_t_rex_url_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """T_REX_URL overrides the stand-in's dinosaur, which http.cat does not have."""
    monkeypatch.delenv("T_REX_URL", raising=False)
    assert cat_server.t_rex_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/t-rex.png"
    monkeypatch.setenv("T_REX_URL", "https://example.org/t-rex.png")
    assert cat_server.t_rex_url("http://127.0.0.1:8000") == "https://example.org/t-rex.png"


async def test_script_serves_until_ctrl_c() -> None:
    """`python -m examples.cat_server` prints its URL, serves, and exits cleanly on Ctrl-C."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "examples.cat_server", "--port", "0", "--latency", "0",
        stdout=asyncio.subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )  # fmt: skip
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):  # importing matplotlib is slow on a busy machine
            line = (await process.stdout.readline()).decode()
        assert "serving on http://127.0.0.1:" in line
        url = line.split("serving on ")[1].split()[0]
        status, _, _ = await get(f"{url}/204")
        assert status == 200
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            returncode = await process.wait()
    assert returncode == 0


async def test_connections_are_counted_once_each(drawn_pictures: None) -> None:
    """Three requests on one kept-alive connection count 1; on three sessions they count 3 more."""
    runner, url = await cat_server.start_server(latency=0)
    try:
        counter = runner.app[cat_server.CONNECTIONS]
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.get(f"{url}/200") as response:
                    await response.read()
        assert counter.opened == 1
        for _ in range(3):
            await get(f"{url}/200")
        assert counter.opened == 4
    finally:
        await runner.cleanup()
