# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# # Appendix: how these demos run offline
#
# The cat demos fetch pictures from [http.cat](https://http.cat), one cat per HTTP status code.
# Conference Wi-Fi being what it is, every demo in this deck talks to a local stand-in instead:
# a small `aiohttp` server on `127.0.0.1` that draws its own cats.
#
# - `GET /{status}` returns a PNG cat for that status code (an unknown code gets the 404 cat,
#   with status 404)
# - `GET /t-rex.png` returns the dinosaur from the first demo
# - every response takes `latency` seconds (0.5 s by default), like a real round trip

# %% [markdown] slideshow={"slide_type": "notes"}
# Online, with real cats: set `HTTP_CAT_URL=https://http.cat` (and `T_REX_URL` to any PNG) before
# building, and the slides use the real thing instead of starting the stand-in.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The server
#
# Each request waits out the simulated round trip while a worker thread draws the picture, so
# the event loop stays free for the other requests.

# %% tags=["example:cat_server"]
import argparse
import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus

from aiohttp import web

DEFAULT_LATENCY = 0.5  # seconds: about one round trip to the real http.cat
T_REX_PATH = "/t-rex.png"  # the dinosaur of the first HTTP demo
LATENCY = web.AppKey("latency", float)  # per-app setting, read by the handlers


async def after_latency(latency: float, draw: Callable[[], bytes]) -> bytes:
    """Draw the picture in a worker thread while the simulated round trip elapses."""
    async with asyncio.TaskGroup() as tg:
        picture = tg.create_task(asyncio.to_thread(draw))
        tg.create_task(asyncio.sleep(latency))
    # -- both are done here: the response took at least `latency` seconds --
    return picture.result()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Two handlers, one app

# %% tags=["example:cat_server"]
async def handle_status(request: web.Request) -> web.Response:
    """GET /{status}: the cat for a known status code, else the 404 cat with status 404."""
    try:
        status, http_status = HTTPStatus(int(request.match_info["status"])), 200
    except ValueError:  # not a number, or not a status code
        status, http_status = HTTPStatus.NOT_FOUND, 404
    png = await after_latency(request.app[LATENCY], functools.partial(status_cat_png, status))
    return web.Response(body=png, status=http_status, content_type="image/png")


async def handle_t_rex(request: web.Request) -> web.Response:
    """GET /t-rex.png: the dinosaur."""
    png = await after_latency(request.app[LATENCY], t_rex_png)
    return web.Response(body=png, content_type="image/png")


def make_app(latency: float = DEFAULT_LATENCY) -> web.Application:
    """The http.cat stand-in as an aiohttp application."""
    app = web.Application(middlewares=[count_connections])
    app[LATENCY] = latency
    app[CONNECTIONS] = ConnectionCounter()
    app.router.add_get(T_REX_PATH, handle_t_rex)  # before the catch-all /{status}
    app.router.add_get("/{status}", handle_status)
    return app


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Starting it
#
# `start_server` returns as soon as the server listens; the server keeps running on the caller's
# event loop until `await runner.cleanup()`. `serving` wraps that in an `async with`.

# %% tags=["example:cat_server"] steps="1-4|5-9|10-16|17-20"
async def start_server(
    host: str = "127.0.0.1", port: int = 0, latency: float = DEFAULT_LATENCY
) -> tuple[web.AppRunner, str]:
    """Start serving in the background; return the runner and the base URL (port 0: any free)."""
    # a request is cancelled when its client hangs up, or half a second after we stop
    runner = web.AppRunner(
        make_app(latency), access_log=None, handler_cancellation=True, shutdown_timeout=0.5
    )
    await runner.setup()
    starting = asyncio.create_task(web.TCPSite(runner, host, port).start())
    try:
        await asyncio.shield(starting)  # OSError here if the port is taken
    except BaseException:  # that, or a cancellation: undo it all before the caller hears
        await asyncio.wait([starting])  # cancelled? start() ends first, so cleanup() closes it
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    if ":" in bound_host:  # an IPv6 address needs brackets in a URL
        bound_host = f"[{bound_host}]"
    return runner, f"http://{bound_host}:{bound_port}"


# %% [markdown] slideshow={"slide_type": "notes"}
# Why the shield: `loop.create_server()` takes one more loop step after it starts listening
# (CPython 3.11 to 3.13), and a cancellation landing there loses the server it made, listening
# socket and all, before aiohttp can note it. So start() runs to its end whatever happens to
# us, and cleanup() then closes everything it opened. tests/test_server_startup.py found it by
# cancelling at each step. The echo server avoids it differently: `start_serving=False`, then
# `start_serving()` inside `async with server`, which closes the server wherever we stop.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### ...or as an `async with`

# %% tags=["example:cat_server"]
@contextlib.asynccontextmanager
async def serving(
    host: str = "127.0.0.1", port: int = 0, latency: float = DEFAULT_LATENCY
) -> AsyncIterator[str]:
    """Serve while the `async with` block runs; yield the base URL."""
    runner, url = await start_server(host, port, latency)
    try:
        yield url
    finally:
        await runner.cleanup()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## For the slides
#
# Some demos block the kernel's event loop on purpose (`requests.get`, `time.sleep`). A server
# on that loop would stall with them, so the slides' server gets its own loop in its own
# thread.

# %% tags=["example:cat_server"] steps="6-13|14-16|17-24|25-28"
import concurrent.futures
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def serving_in_thread(
    host: str = "127.0.0.1", port: int = 0, latency: float = DEFAULT_LATENCY
) -> Iterator[str]:
    """Serve from a new event loop in a daemon thread while the `with` block runs; yield the URL.

    For callers whose own loop may block, or that have none (synchronous code and tests).
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="cat-server", daemon=True)
    thread.start()
    try:
        started: concurrent.futures.Future[tuple[web.AppRunner, str]]
        started = asyncio.run_coroutine_threadsafe(start_server(host, port, latency), loop)
        runner, url = started.result()
        try:
            yield url
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One server per kernel
#
# A hidden first cell does `base_url = await start_for_slides()`; the global `ExitStack` keeps
# the server open for as long as the kernel lives.

# %% tags=["example:cat_server"]
_slide_servers = contextlib.ExitStack()  # never closed: the server lives as long as the kernel
_slide_url: str | None = None


async def start_for_slides() -> str:
    """Base URL for the cat demos: $HTTP_CAT_URL if set, else a local server (started once)."""
    global _slide_url
    if real_url := os.environ.get("HTTP_CAT_URL"):  # e.g. https://http.cat, for a live venue
        return real_url.rstrip("/")
    if _slide_url is None:
        _slide_url = await asyncio.to_thread(_slide_servers.enter_context, serving_in_thread())
    return _slide_url


def t_rex_url(base_url: str) -> str:
    """URL of the dinosaur: $T_REX_URL if set (http.cat has none), else the stand-in's."""
    return os.environ.get("T_REX_URL") or f"{base_url}{T_REX_PATH}"


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### From the command line

# %% tags=["example:cat_server"]
async def main() -> None:
    """Serve the stand-in until Ctrl-C: python -m examples.cat_server [--port N] [--latency S]."""
    parser = argparse.ArgumentParser(description="An offline stand-in for http.cat.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY, help="seconds")
    args = parser.parse_args()
    async with serving(args.host, args.port, args.latency) as url:
        print(f"cat server: serving on {url} (try {url}/418), Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()  # nobody sets it: wait until Ctrl-C cancels us


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Drawing the cats
#
# No pictures are copied from anywhere: matplotlib draws each one the first time it is asked
# for, and `functools.cache` keeps the PNG bytes.

# %% tags=["example:cat_server"] steps="1-11|13-28"
import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Arc, Circle, Ellipse, Polygon

# matplotlib is not thread-safe: worker threads draw one picture at a time
_draw_lock = threading.Lock()
# fur colour by status class: 1xx informational, 2xx success, ..., 5xx server error
FUR = {1: "#b0b0b0", 2: "#f4a259", 3: "#8ecae6", 4: "#c8874a", 5: "#7d8590"}


def new_canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A blank figure with data coordinates 0..10 across, no axes drawn."""
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10 * height / width)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A cat for every status

# %% tags=["example:cat_server"] steps="1-10|11-19|22-30"
def draw_cat_face(ax: Axes, fur: str, happy: bool) -> None:
    """A cat face centred at (5, 7.4): ears, head, eyes, nose, mouth and whiskers."""
    for side in (1, -1):  # right half, then its mirror image
        ear = [(5 + side * 2.9, 8.6), (5 + side * 2.5, 11.3), (5 + side * 0.7, 10.2)]
        inner = [(5 + side * 2.5, 9.2), (5 + side * 2.3, 10.7), (5 + side * 1.2, 9.9)]
        ax.add_patch(Polygon(ear, facecolor=fur, edgecolor="black", linewidth=2))
        ax.add_patch(Polygon(inner, facecolor="#f6bdc0"))
    ax.add_patch(Circle((5, 7.4), 3, facecolor=fur, edgecolor="black", linewidth=2))
    for x in (3.9, 6.1):
        ax.add_patch(Ellipse((x, 8.0), 1.1, 1.4, facecolor="#d9f99d", edgecolor="black"))
        ax.add_patch(Ellipse((x, 8.0), 0.35, 1.1, facecolor="black"))
    ax.add_patch(Polygon([(4.6, 6.9), (5.4, 6.9), (5, 6.4)], facecolor="#f08080"))
    ax.plot([5, 5], [6.4, 6.0], color="black", linewidth=1.5)
    for x in (4.6, 5.4):  # smile for the good codes, frown for the errors
        low, high = (180, 360) if happy else (0, 180)
        ax.add_patch(Arc((x, 6.0 if happy else 5.6), 0.8, 0.7, theta1=low, theta2=high))
    for side in (1, -1):
        for dy in (0.3, -0.1, -0.5):
            ax.plot([5 + side * 1.1, 5 + side * 3.6], [6.5, 6.5 + dy], color="black", lw=1)


@functools.cache
def status_cat_png(status: HTTPStatus) -> bytes:
    """The cat for one status: face, code and reason phrase, as PNG bytes (drawn once)."""
    with _draw_lock:
        fig, ax = new_canvas(3, 3.6)
        draw_cat_face(ax, FUR[status.value // 100], happy=status.value < 400)
        ax.text(5, 2.1, str(status.value), ha="center", va="center", fontsize=34, weight="bold")
        ax.text(5, 0.7, status.phrase, ha="center", va="center", fontsize=11)
        return to_png(fig)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### And the dinosaur

# %% tags=["example:cat_server"] steps="1-11|12-21|22-31"
@functools.cache
def t_rex_png() -> bytes:
    """A green tyrannosaur facing right, as PNG bytes (drawn once)."""
    with _draw_lock:
        fig, ax = new_canvas(2, 2)
        green, dark = "#4caf50", "#2e7d32"
        legs = [(3.4, 4.2), (4.6, 4.0), (4.0, 1.3), (4.8, 0.6), (3.1, 0.6), (3.5, 1.3)]
        ax.add_patch(Polygon(legs, facecolor=dark))  # the far leg, in the shade
        body = [
            (0.2, 4.0),  # tail tip, then along the back to the neck
            (3.0, 5.7),
            (5.2, 6.7),
            (6.5, 7.6),
            (7.6, 7.3),
            (7.0, 6.0),
            (6.4, 4.7),
            (5.6, 3.7),
            (4.2, 3.5),
            (2.8, 4.3),  # back along the belly
        ]
        ax.add_patch(Polygon(body, facecolor=green, edgecolor=dark, linewidth=1.5))
        head = [(6.3, 7.3), (6.8, 9.0), (9.2, 9.0), (9.8, 8.2), (9.6, 7.0), (7.8, 6.8)]
        ax.add_patch(Polygon(head, facecolor=green, edgecolor=dark, linewidth=1.5))
        near_leg = [(4.6, 4.2), (5.9, 4.0), (5.4, 1.3), (6.2, 0.6), (4.5, 0.6), (4.8, 1.3)]
        ax.add_patch(Polygon(near_leg, facecolor=green, edgecolor=dark, linewidth=1.5))
        ax.plot([6.8, 7.6, 7.9], [6.0, 5.5, 5.8], color=dark, linewidth=2.5)  # tiny arm
        ax.plot([7.6, 9.7], [7.7, 7.7], color=dark, linewidth=1.5)  # mouth
        for x in (8.0, 8.5, 9.0, 9.5):
            ax.add_patch(Polygon([(x - 0.2, 7.7), (x + 0.2, 7.7), (x, 7.35)], facecolor="white"))
        ax.add_patch(Circle((8.2, 8.5), 0.22, facecolor="black"))  # eye
        return to_png(fig)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Counting connections
#
# Each app counts the TCP connections its requests arrive on (`app[CONNECTIONS].opened`): the
# bounded-concurrency demo shows how many a client opened.

# %% tags=["example:cat_server"] steps="1-11|13-26"
import weakref

from aiohttp.typedefs import Handler


class ConnectionCounter:
    """The connections a server's requests arrived on: each counted the first time it is seen."""

    def __init__(self) -> None:
        self.opened = 0
        self._seen: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()  # still open

    def saw(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None and transport not in self._seen:
            self._seen.add(transport)
            self.opened += 1


CONNECTIONS = web.AppKey("connections", ConnectionCounter)


@web.middleware
async def count_connections(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Note the request's connection in the app's ConnectionCounter, then handle the request."""
    request.app[CONNECTIONS].saw(request.transport)
    return await handler(request)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Running it on its own
#
# `python -m examples.cat_server --port 8000` serves until Ctrl-C, which is how you stop it, so it
# is not an error:

# %% tags=["example:cat_server", "skip-execution"]
if __name__ == "__main__":  # not run on the slide: the kernel is already running a loop
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## What it serves
#
# A server with a short latency, just for this slide:

# %%
import time

import aiohttp

pictures = []
paths = ["/t-rex.png", "/200", "/418", "/503", "/999"]
async with serving(latency=0.1) as url, aiohttp.ClientSession() as session:
    for path in paths:
        start = time.perf_counter()
        async with session.get(url + path) as response:
            pictures.append(await response.read())
        elapsed = time.perf_counter() - start
        print(f"GET {path}: {response.status} {response.content_type}, {elapsed:.2f} s")

# %% tags=["remove-input"]
# The pictures side by side, to fit the slide: one <img> each, its PNG inlined as a data: URL.
import base64

from IPython.display import HTML, display

row = "".join(
    f'<img alt="the picture at {path}" width="120" '
    f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
    for path, png in zip(paths, pictures, strict=True)
)
display(HTML(f'<div style="display: flex; gap: 1em">{row}</div>'))
