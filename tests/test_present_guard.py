"""`build.py present`'s guard: only the address it printed, on this machine, can run code."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.live_client import WAIT, Presenter, presenting

DECK = """\
# %% [markdown] slideshow={"slide_type": "slide"}
# # A guarded deck

# %%
print("built")
"""
PRINT = "01_guarded-1"


@pytest.fixture(scope="module")
def presenter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Presenter]:
    """One present server for the module; Ctrl-C at the end must leave no kernel behind."""
    with presenting(tmp_path_factory.mktemp("present-guard"), {"01_guarded.py": DECK}) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.mark.parametrize(
    ("token", "host", "origin"),
    [
        (None, "127.0.0.1", "http://127.0.0.1:{port}"),
        ("wrong", "127.0.0.1", "http://127.0.0.1:{port}"),
        ("right", "127.0.0.1", "http://evil.example"),
        ("right", "127.0.0.1", None),
        ("right", "localhost", "http://127.0.0.1:{port}"),
        ("right", "evil.example", "http://evil.example:{port}"),
    ],
    ids=["no-token", "wrong-token", "foreign-origin", "no-origin", "origin-not-host", "rebinding"],
)
async def test_a_foreign_socket_is_refused_and_runs_nothing(
    presenter: Presenter,
    session: aiohttp.ClientSession,
    token: str | None,
    host: str,
    origin: str | None,
) -> None:
    """Without the token, or from another origin or host name, the upgrade gets 403."""
    marker = presenter.folder / f"ran-{uuid.uuid4().hex}"
    query = "" if token is None else f"?token={presenter.token if token == 'right' else token}"
    headers = {"Host": f"{host}:{presenter.port}"}
    if origin is not None:
        headers["Origin"] = origin.format(port=presenter.port)
    status = 101
    try:
        ws = await session.ws_connect(f"{presenter.base}/__live__{query}", headers=headers)
    except aiohttp.WSServerHandshakeError as error:
        status = error.status
    else:  # refused it was not: try to run a cell, which the asserts below must catch
        await ws.send_json(
            {"type": "run", "id": "x", "cell": PRINT, "code": f"open({str(marker)!r}, 'w')"}
        )
        async with asyncio.timeout(WAIT):
            while (await ws.receive_json())["type"] != "done":
                pass
        await ws.close()
    # a run that got in would be queued before this one on the same kernel: it has had its turn
    socket = await presenter.connect(session)
    await socket.run(PRINT, "pass")
    assert (status, marker.exists()) == (403, False)


@pytest.mark.parametrize(
    ("path", "host"),
    [
        ("/", "127.0.0.1"),
        ("/?token=wrong", "127.0.0.1"),
        ("/__deck_version__", "127.0.0.1"),
        ("/?token={token}", "evil.example"),
    ],
)
async def test_a_foreign_request_is_refused(
    presenter: Presenter, session: aiohttp.ClientSession, path: str, host: str
) -> None:
    """Pages and the version need the token and this machine's host name."""
    url = presenter.base + path.format(token=presenter.token)
    async with session.get(url, headers={"Host": f"{host}:{presenter.port}"}) as response:
        assert response.status == 403
        assert "DECK_LIVE" not in await response.text()


async def test_the_address_may_name_localhost(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """http://localhost:PORT is this machine too: its socket, with its own origin, is accepted."""
    localhost = f"localhost:{presenter.port}"
    ws = await session.ws_connect(
        f"{presenter.base}/__live__?token={presenter.token}",
        origin=f"http://{localhost}",
        headers={"Host": localhost},
    )
    assert (await ws.receive_json())["type"] == "hello"
    await ws.close()


async def test_the_cookie_alone_opens_the_page_and_the_socket(presenter: Presenter) -> None:
    """After one visit with the token, the HttpOnly cookie is enough, as for the page's scripts."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{presenter.base}/?token={presenter.token}") as response:
            assert response.status == 200
        async with browser.get(f"{presenter.base}/__deck_version__") as response:
            assert response.status == 200
        ws = await browser.ws_connect(f"{presenter.base}/__live__", origin=presenter.base)
        assert (await ws.receive_json())["type"] == "hello"
        await ws.close()
