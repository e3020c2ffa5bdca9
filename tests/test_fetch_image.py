"""Tests for examples.fetch_image: the same image fetched with requests and with aiohttp."""

import asyncio
import inspect

import aiohttp
import pytest
import requests

from examples.cat_server import t_rex_png, t_rex_url
from examples.fetch_image import fetch_image_async, fetch_image_sync, image_chunks


@pytest.fixture
def image_url(cat_server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The local stand-in's dinosaur, whatever the environment says."""
    monkeypatch.delenv("T_REX_URL", raising=False)
    return t_rex_url(cat_server_url)


async def test_sync_and_async_fetch_return_the_same_image(image_url: str) -> None:
    """fetch_image_sync and fetch_image_async both return the served PNG bytes."""
    image_sync = await asyncio.to_thread(fetch_image_sync, image_url)  # it blocks: not on our loop
    image_async = await fetch_image_async(image_url)
    assert image_sync == image_async == t_rex_png()


async def test_image_chunks_add_up_to_the_image(image_url: str) -> None:
    """`async for` over image_chunks yields pieces no bigger than asked that make up the image."""
    chunks = [chunk async for chunk in image_chunks(image_url, chunk_size=1000)]
    assert len(chunks) > 1
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert b"".join(chunks) == t_rex_png()


async def test_fetches_raise_for_an_error_status(cat_server_url: str) -> None:
    """A 404 is an exception for both versions, not an image to display."""
    with pytest.raises(requests.HTTPError):
        await asyncio.to_thread(fetch_image_sync, f"{cat_server_url}/999")
    with pytest.raises(aiohttp.ClientResponseError) as raised:
        await fetch_image_async(f"{cat_server_url}/999")
    assert raised.value.status == 404


async def test_plain_with_on_a_client_session_raises_type_error() -> None:
    """The slide's first bug: a plain `with` on ClientSession raises TypeError."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TypeError, match="Use async with instead"), session:
            pytest.fail("the with block must not start")


async def test_forgotten_await_on_read_gives_a_coroutine(image_url: str) -> None:
    """The slide's second bug: response.read() without await is a coroutine, not bytes."""
    async with aiohttp.ClientSession() as session, session.get(image_url) as response:
        body = response.read()  # forgot await
        assert inspect.iscoroutine(body)
        with pytest.raises(TypeError, match="has no len"):
            len(body)  # type: ignore[arg-type]
        assert await body == t_rex_png()  # awaited, it is the image
