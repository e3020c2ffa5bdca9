"""The HTTP examples against a misbehaving server: a 500, early hang-ups, and silence."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import pytest
import requests

from examples import cats, fetch_image, threads

pytestmark = pytest.mark.timeout(30)  # a fetch that hangs fails here, not after the global 300 s

TIMEOUT = 0.5  # seconds: the examples' timeouts are shortened to this for these tests
BOUND = TIMEOUT + 2  # seconds: coarse, since the point is "never hangs", not a precise duration

Fault = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
AsyncFetch = Callable[[str], Awaitable[bytes]]

# a response head that promises 1000 bytes of body
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n"


async def server_error(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A complete 500 response (http.cat answers 200 with its 500 cat; a broken server does not)."""
    writer.write(
        b"HTTP/1.1 500 Internal Server Error\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops\n"
    )


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Close the connection without answering."""


async def status_line_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send the status line, then close: no headers, no body."""
    writer.write(b"HTTP/1.1 200 OK\r\n")


async def short_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promise 1000 bytes, send 100, then close."""
    writer.write(HEAD + bytes(100))


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Never answer: wait until the client gives up and closes its end."""
    await reader.read()  # returns at end of file


async def stalled_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promise 1000 bytes, send 100, then wait until the client gives up."""
    writer.write(HEAD + bytes(100))
    await writer.drain()
    await reader.read()


# the first path segment of a request picks the fault: GET /silent/418
FAULTS: dict[str, Fault] = {
    "server-error": server_error,
    "hang-up": hang_up,
    "status-line-only": status_line_only,
    "short-body": short_body,
    "silent": silent,
    "stalled-body": stalled_body,
}


@pytest.fixture
async def faulty() -> AsyncIterator[str]:
    """Root URL of a raw HTTP server on 127.0.0.1 that misbehaves as its path says: {url}/silent."""
    handlers: set[asyncio.Task[None]] = set()
    writers: set[asyncio.StreamWriter] = set()

    async def misbehave(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")  # a GET has no body
            fault = head.split(b" ", 2)[1].split(b"/")[1].decode()
            await FAULTS[fault](reader, writer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up first
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(misbehave, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    yield f"http://{host}:{port}"
    server.close()
    for writer in writers:
        writer.close()  # a stall still waiting for its client reads end of file and returns
    if handlers:
        await asyncio.wait(handlers, timeout=5)
    await server.wait_closed()


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples' timeouts shortened to TIMEOUT, so a silent server costs half a second."""
    monkeypatch.setattr(fetch_image, "TIMEOUT", TIMEOUT)
    monkeypatch.setattr(threads, "TIMEOUT", TIMEOUT)
    monkeypatch.setattr(cats, "TIMEOUT", aiohttp.ClientTimeout(total=TIMEOUT))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A session made the way the cats slide makes it: with cats.TIMEOUT."""
    async with aiohttp.ClientSession(timeout=cats.TIMEOUT) as session:
        yield session


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail if the block takes `seconds` or longer."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s"


async def all_chunks(url: str) -> bytes:
    """image_chunks drained into one bytes object."""
    return b"".join([chunk async for chunk in fetch_image.image_chunks(url)])


ASYNC_FETCHES = pytest.mark.parametrize(
    "fetch", [fetch_image.fetch_image_async, all_chunks], ids=["fetch_image_async", "image_chunks"]
)
EARLY_CLOSES_ASYNC = pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("hang-up", aiohttp.ServerDisconnectedError),
        ("status-line-only", aiohttp.ServerDisconnectedError),
        ("short-body", aiohttp.ClientPayloadError),
    ],
)
EARLY_CLOSES_SYNC = pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("hang-up", requests.ConnectionError),
        ("short-body", requests.exceptions.ChunkedEncodingError),
    ],
)
STALLS = pytest.mark.parametrize("fault", ["silent", "stalled-body"])


# fetch_image: requests


async def test_sync_fetch_raises_http_error_for_a_500(faulty: str) -> None:
    """fetch_image_sync turns a 500 into requests.HTTPError instead of returning the error page."""
    with within(BOUND), pytest.raises(requests.HTTPError) as raised:
        await asyncio.to_thread(fetch_image.fetch_image_sync, f"{faulty}/server-error/t-rex.png")
    assert raised.value.response is not None
    assert raised.value.response.status_code == 500


@EARLY_CLOSES_SYNC
async def test_sync_fetch_raises_when_the_connection_closes_early(
    faulty: str, fault: str, error: type[Exception]
) -> None:
    """A hang-up before the response, or mid-body, is a requests exception, raised at once."""
    with within(BOUND), pytest.raises(error):
        await asyncio.to_thread(fetch_image.fetch_image_sync, f"{faulty}/{fault}/t-rex.png")


async def test_sync_fetch_returns_no_bytes_when_cut_after_the_status_line(faulty: str) -> None:
    """requests takes a close right after the status line for an empty 200: no error, no image.

    http.client reads end of file as the end of the headers, and a body without a length runs
    until the connection closes, so the examples cannot tell (aiohttp raises instead).
    """
    with within(BOUND):
        image = await asyncio.to_thread(
            fetch_image.fetch_image_sync, f"{faulty}/status-line-only/t-rex.png"
        )
    assert image == b""


async def test_sync_fetch_times_out_when_the_server_never_answers(faulty: str) -> None:
    """A server that accepts the request and stays silent makes requests raise Timeout."""
    with within(BOUND), pytest.raises(requests.Timeout):
        await asyncio.to_thread(fetch_image.fetch_image_sync, f"{faulty}/silent/t-rex.png")


async def test_sync_fetch_gives_up_when_the_body_stalls(faulty: str) -> None:
    """A body that stops arriving raises requests.ConnectionError (read timed out) within TIMEOUT.

    requests raises its Timeout only while waiting for the headers; once the body is being read,
    the same read timeout comes out as ConnectionError.
    """
    with within(BOUND), pytest.raises(requests.ConnectionError, match="Read timed out"):
        await asyncio.to_thread(fetch_image.fetch_image_sync, f"{faulty}/stalled-body/t-rex.png")


# fetch_image: aiohttp


@ASYNC_FETCHES
async def test_async_fetch_raises_client_response_error_for_a_500(
    faulty: str, fetch: AsyncFetch
) -> None:
    """raise_for_status turns a 500 into aiohttp.ClientResponseError with status 500."""
    with within(BOUND), pytest.raises(aiohttp.ClientResponseError) as raised:
        await fetch(f"{faulty}/server-error/t-rex.png")
    assert raised.value.status == 500


@ASYNC_FETCHES
@EARLY_CLOSES_ASYNC
async def test_async_fetch_raises_when_the_connection_closes_early(
    faulty: str, fault: str, error: type[Exception], fetch: AsyncFetch
) -> None:
    """A hang-up before, inside or after the response head is an aiohttp error, raised at once."""
    with within(BOUND), pytest.raises(error):
        await fetch(f"{faulty}/{fault}/t-rex.png")


@ASYNC_FETCHES
@STALLS
async def test_async_fetch_times_out_when_the_server_stalls(
    faulty: str, fault: str, fetch: AsyncFetch
) -> None:
    """The session's ClientTimeout ends a silent or stalled response with TimeoutError."""
    with within(BOUND), pytest.raises(TimeoutError):
        await fetch(f"{faulty}/{fault}/t-rex.png")


# cats


async def test_fetch_a_cat_raises_client_response_error_for_a_500(
    faulty: str, session: aiohttp.ClientSession
) -> None:
    """A real 500 (not the 500 cat) is a ClientResponseError, not a picture."""
    with within(BOUND), pytest.raises(aiohttp.ClientResponseError) as raised:
        await cats.fetch_a_cat(session, f"{faulty}/server-error", 500)
    assert raised.value.status == 500


@EARLY_CLOSES_ASYNC
async def test_fetch_a_cat_raises_when_the_connection_closes_early(
    faulty: str, fault: str, error: type[Exception], session: aiohttp.ClientSession
) -> None:
    """fetch_a_cat passes the aiohttp error on; it does not retry or hide it."""
    with within(BOUND), pytest.raises(error):
        await cats.fetch_a_cat(session, f"{faulty}/{fault}", 418)


@STALLS
async def test_fetch_a_cat_times_out_with_the_session_timeout(
    faulty: str, fault: str, session: aiohttp.ClientSession
) -> None:
    """With the slide's session (timeout=cats.TIMEOUT), a stalled cat raises TimeoutError."""
    with within(BOUND), pytest.raises(TimeoutError):
        await cats.fetch_a_cat(session, f"{faulty}/{fault}", 418)


async def test_fetch_with_timeout_gives_up_on_a_silent_server(
    faulty: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """asyncio.timeout bounds the cats even on a session without a timeout of its own."""
    async with aiohttp.ClientSession() as untimed:  # aiohttp's default: 5 minutes per request
        with within(BOUND), pytest.raises(TimeoutError):
            await cats.fetch_with_timeout(untimed, f"{faulty}/silent", seconds=TIMEOUT)
    out = capsys.readouterr().out
    assert all(f"cat {status}: cancelled!" in out for status in cats.CATS)


async def test_taskgroup_raises_a_group_of_client_response_errors_for_500s(
    faulty: str, session: aiohttp.ClientSession
) -> None:
    """Every cat failing with a 500 ends the TaskGroup with an ExceptionGroup of those errors."""
    with within(BOUND), pytest.raises(ExceptionGroup) as raised:
        await cats.fetch_cats_taskgroup(session, f"{faulty}/server-error")
    # the first failure cancels the other tasks, so the group holds one to three errors
    assert all(isinstance(error, aiohttp.ClientResponseError) for error in raised.value.exceptions)


# threads: requests in worker threads


async def test_fetch_a_cat_sync_raises_http_error_for_a_500(faulty: str) -> None:
    """fetch_a_cat_sync raises requests.HTTPError for a real 500."""
    with within(BOUND), pytest.raises(requests.HTTPError):
        await asyncio.to_thread(threads.fetch_a_cat_sync, f"{faulty}/server-error", 500)


@EARLY_CLOSES_SYNC
async def test_fetch_a_cat_sync_raises_when_the_connection_closes_early(
    faulty: str, fault: str, error: type[Exception]
) -> None:
    """A hang-up before the response, or mid-body, is a requests exception, raised at once."""
    with within(BOUND), pytest.raises(error):
        await asyncio.to_thread(threads.fetch_a_cat_sync, f"{faulty}/{fault}", 418)


async def test_fetch_a_cat_sync_times_out_when_the_server_never_answers(faulty: str) -> None:
    """A silent server makes the blocking fetch raise requests.Timeout after TIMEOUT."""
    with within(BOUND), pytest.raises(requests.Timeout):
        await asyncio.to_thread(threads.fetch_a_cat_sync, f"{faulty}/silent", 418)


@pytest.mark.parametrize(
    ("fault", "error"), [("server-error", requests.HTTPError), ("silent", requests.Timeout)]
)
async def test_fetch_cats_to_thread_raises_a_group_of_the_threads_errors(
    faulty: str, fault: str, error: type[Exception]
) -> None:
    """The threads' errors (500s or timeouts) end the TaskGroup in an ExceptionGroup, in time."""
    with within(BOUND), pytest.raises(ExceptionGroup) as raised:
        await threads.fetch_cats_to_thread(f"{faulty}/{fault}")
    # the first failure cancels the other tasks (not their threads), so one to three errors
    assert all(isinstance(e, error) for e in raised.value.exceptions)
