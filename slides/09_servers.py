# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=3
# # Example time: a web app with Sanic
#
# An async web framework: every handler is a coroutine, and the server is `asyncio` underneath.

# %% [markdown] slideshow={"slide_type": "notes"}
# Example time: a webapp using Sanic, a TCP echo server, then (next section) bridging a
# callback-based library for Kafka with `asyncio`.
#
# Everything in this section runs for real during the build, against servers we start
# ourselves on 127.0.0.1: no internet needed, and every output you see was produced by the code
# above it.

# %% tags=["example:teapot", "remove-input"]
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from types import SimpleNamespace

from sanic import Request, Sanic
from sanic.config import Config
from sanic.response import HTTPResponse, text

TeapotApp = Sanic[Config, SimpleNamespace]  # Sanic is generic in its config and context types

HOST = os.environ.get("TEAPOT_HOST", "127.0.0.1")  # loopback: only this machine can connect
PORT = int(os.environ.get("TEAPOT_PORT", "8000"))  # 0 lets the OS pick a free port


# %% tags=["example:teapot"]
def create_app(name: str = "teapot") -> TeapotApp:
    """Build the app; Sanic insists every app in a process has its own name."""
    app: TeapotApp = Sanic(name)

    @app.get("/")
    async def teapot(request: Request[TeapotApp, SimpleNamespace]) -> HTTPResponse:
        return text("I'm a teapot", status=418)

    return app


# %% [markdown] slideshow={"slide_type": "notes"}
# The seed wrote `app = Sanic(__name__)` at module level and listened on `0.0.0.0`, which is
# every network interface: anyone on the conference Wi-Fi could have made tea. Ours listens on
# loopback unless `TEAPOT_HOST` says otherwise. The factory exists because Sanic keeps a
# registry of apps by name: a second `Sanic("teapot")` in the same process is an error, which
# bites in tests and when you re-run a notebook cell.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Running it inside a running event loop
#
# Our notebook already runs an event loop, so `app.run()` is out. Sanic's low-level API hands
# us the server instead, and we drive its life cycle ourselves.

# %% tags=["example:teapot"] steps="1-4|5-10|11-12|13-20"
@contextlib.asynccontextmanager
async def serving(app: TeapotApp, host: str = HOST, port: int = PORT) -> AsyncIterator[str]:
    """Serve `app` on the running loop (a notebook, a test) and yield its base URL."""
    with socket.create_server((host, port)) as sock:  # port 0: the OS picks a free port
        server = await app.create_server(sock=sock, asyncio_server_kwargs={"start_serving": False})
        assert server is not None  # None only with the deprecated return_asyncio_server=False
        await server.startup()  # finalise the routes
        await server.before_start()  # run the app's listeners, as app.run() would
        await server.after_start()
        await server.start_serving()  # only now accept connections
        try:
            yield "http://{}:{}".format(*sock.getsockname()[:2])
        finally:
            await server.before_stop()
            closing = server.close()  # stop accepting, release the port
            for connection in list(server.connections):  # keep-alive clients too
                if not connection.close_if_idle():
                    connection.transport.abort()  # mid-request: we are not waiting for it
            await closing
            await server.after_stop()


# %% [markdown] slideshow={"slide_type": "notes"}
# Why `connection.transport.abort()` and not Sanic's own `connection.abort()`? Sanic's forgets
# the transport first, and a client caught halfway through its request line or headers then
# makes Sanic 25.12 log an `AttributeError` traceback ("protocol.connection_task uncaught") as
# we shut down. Aborting the transport hangs up just as fast, and Sanic tidies up as it does
# when a client vanishes. A fault test found it: tests/test_teapot_faults.py.

# %% [markdown] slideshow={"slide_type": "fragment"}
# Making tea (`serving` runs the app on this notebook's loop: deeper →):

# %%
import aiohttp

app = create_app()
app.config.MOTD = False  # keep the slide quiet: no start-up banner

async with serving(app, port=0) as url:
    print(f"parent: teapot serving on {url}")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        print(f"  client: {response.status} {response.reason}")
        print(f"  client: {response.headers['Content-Type']}: {await response.text()!r}")
print("parent: teapot stopped")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Running it the usual way
#
# Outside a notebook, `app.run()` takes over the process and its event loop:
# `python -m examples.teapot`, or `TEAPOT_PORT=8080 python -m examples.teapot`.

# %% tags=["example:teapot"]
def main(host: str = HOST, port: int = PORT) -> None:
    """Serve until Ctrl+C; Sanic owns the process and its event loop."""
    # bind it ourselves, as above: Sanic would read port 0 as "use its default, 8000"
    with socket.create_server((host, port)) as sock:
        create_app().run(sock=sock, single_process=True)


# %% tags=["example:teapot", "skip-execution"]
if __name__ == "__main__":
    main()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A TCP echo server
#
# `asyncio` streams: one coroutine per client, reading and writing like blocking code.

# %% tags=["example:echo_server"]
import asyncio
import contextlib
import os

HOST = os.environ.get("ECHO_HOST", "127.0.0.1")  # loopback: only this machine can connect
PORT = int(os.environ.get("ECHO_PORT", "8888"))  # 0 lets the OS pick a free port
IDLE_TIMEOUT = 10.0  # seconds a client may stall before we hang up
CHUNK_SIZE = 64 * 1024  # echo whatever has arrived, up to this many bytes at a time



# %% tags=["example:echo_server"] steps="1-7|8-18|19-21|22-23|24-27|28-31"
async def handle_echo(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_timeout: float = IDLE_TIMEOUT
) -> None:
    """Echo one client's bytes back until it sends EOF, stalls or vanishes."""
    client = "{}:{}".format(*writer.get_extra_info("peername")[:2])
    print(f"  server: {client} connected")
    echoed = 0
    try:
        while True:
            # a client that stops sending, or stops reading its echoes, gets idle_timeout
            async with asyncio.timeout(idle_timeout):
                chunk = await reader.read(CHUNK_SIZE)
                if not chunk:  # EOF: the client has nothing more to say
                    break
                writer.write(chunk)
                await writer.drain()  # wait while the client is slow to read
            echoed += len(chunk)
        print(f"  server: {client} said goodbye after {echoed} bytes")
    except TimeoutError:
        print(f"  server: {client} stalled for {idle_timeout} s, hanging up")
        writer.transport.abort()  # don't wait to flush echoes it will never read
    except ConnectionError:  # reset, broken pipe: the client vanished mid-conversation
        print(f"  server: {client} vanished")
    except asyncio.CancelledError:  # the server is shutting down
        print(f"  server: shutting down, hanging up on {client}")
        writer.transport.abort()
        raise  # never swallow a cancellation
    finally:
        writer.close()  # flushes what is left, then closes (a no-op after abort)
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


# %% [markdown] slideshow={"slide_type": "notes"}
# The seed's handler did one `read(100)`: a message longer than 100 bytes was cut short, and the
# connection closed after one exchange. It never awaited `wait_closed()`, and a client that
# disconnected or went quiet either raised in a task nobody awaited ("Task exception was never
# retrieved") or held the connection open forever. This one loops until EOF, gives every client
# an idle timeout, and tidies up in `finally` whatever happened.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Serving forever (until cancelled)

# %% tags=["example:echo_server"] steps="1-8|10-11|13-19|20-27"
async def main(
    host: str = HOST,
    port: int = PORT,
    idle_timeout: float = IDLE_TIMEOUT,
    started: asyncio.Future[int] | None = None,
) -> None:
    """Serve echo clients until cancelled; `started` gets the port, or why we could not listen."""
    tasks = asyncio.TaskGroup()  # the server and every client: cancelling main cancels them all

    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.create_task(handle_echo(reader, writer, idle_timeout))

    try:
        server = await asyncio.start_server(on_connect, host, port, start_serving=False)
    except OSError as exc:  # e.g. the port is taken
        if started is None or started.done():
            raise
        started.set_exception(exc)  # the error is the caller's now, as with Trio's started()
        return
    async with server, tasks:  # on the way out: the tasks end first, then the server closes
        await server.start_serving()  # listen: clients can connect from here on
        tasks.create_task(server.serve_forever())  # serves until cancelled
        bound_port: int = server.sockets[0].getsockname()[1]
        print(f"server: listening on {host}:{bound_port}")
        if started is not None:
            started.set_result(bound_port)
        # -- main waits here, at the end of the TaskGroup block, until it is cancelled --


# %% [markdown] slideshow={"slide_type": "notes"}
# Why not the textbook `async with server: await server.serve_forever()`? Since Python 3.12 a
# cancelled `serve_forever` waits for every connected client to leave before it returns, and
# the clients' handlers would only be cancelled after that: shutting down would take as long as
# the slowest client (measured: one idle timeout on 3.12 and 3.13, instantly on 3.11). With the
# server as one more task in the clients' TaskGroup, one cancellation reaches all of them at
# once. (Python 3.13 adds `server.close_clients()`, another way out; we support 3.11.) The
# streams protocol has kept a reference to each handler task since 3.11, so nothing is garbage
# collected either way; the TaskGroup's gift is that a bug in one handler stops the whole
# server loudly instead of being logged and forgotten. `async with server, tasks` exits right
# to left: the TaskGroup waits for its tasks, then the server closes its listening socket,
# also when something fails before serve_forever() starts (hence `start_serving=False`: a
# cancellation at start_server's own last step would lose a server already listening).
# `started` is the asyncio version of Trio's `task_status.started()`: a future, as on the
# futures slides, that the caller awaits to learn the port; if the port is taken, the same
# await raises main's OSError, at once.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["backup"]
# ## ...and a client

# %% tags=["example:echo_client"]
import asyncio
import os
import sys

HOST = os.environ.get("ECHO_HOST", "127.0.0.1")  # must match the echo server
PORT = int(os.environ.get("ECHO_PORT", "8888"))  # must match the echo server


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Send a line, read its echo

# %% tags=["example:echo_client"] steps="1-7|8-18|19-20|21-24"
async def echo_client(
    name: str, messages: list[str], host: str = HOST, port: int = PORT
) -> list[str]:
    """Send each message as a line, print the echo and return all the echoes."""
    reader, writer = await asyncio.open_connection(host, port)
    print("  {}: connected from {}:{}".format(name, *writer.get_extra_info("sockname")[:2]))
    echoes: list[str] = []
    try:
        for message in messages:
            print(f"  {name}: sending {message!r}")
            line = f"{message}\n".encode()
            writer.write(line)
            await writer.drain()
            # an echo is as long as what we sent, however long that is;
            # IncompleteReadError here means the server hung up mid-echo
            echo = (await reader.readexactly(len(line))).decode().removesuffix("\n")
            print(f"  {name}: got {echo!r} back")
            echoes.append(echo)
        writer.write_eof()  # "I'm done sending"...
        await reader.read()  # ...then wait for the server to hang up
    finally:
        writer.close()
        await writer.wait_closed()
    return echoes


# %% tags=["example:echo_client", "skip-execution"]
if __name__ == "__main__":
    # python -m examples.echo_client some words to echo
    asyncio.run(echo_client("client", sys.argv[1:] or ["hello", "world"]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Let's run it: one server, three clients, one thread

# %% slideshow={"slide_type": "fragment"}
async def one_server_three_clients() -> tuple[asyncio.Task[None], asyncio.Task[list[str]]]:
    """Start the server, then three clients at once; return the server's task and alice's."""
    print("parent: starting the server")
    started = asyncio.get_running_loop().create_future()
    server_task = asyncio.create_task(main(port=0, started=started))  # keep a reference!
    port = await started  # the port, or the OSError that stopped main() from listening

    print("parent: starting three clients")
    async with asyncio.timeout(10), asyncio.TaskGroup() as clients:
        alice = clients.create_task(echo_client("alice", ["hi", "how are you?"], port=port))
        clients.create_task(echo_client("bob", ["hello there"], port=port))
        clients.create_task(echo_client("carol", ["a", "b", "c"], port=port))
        print("parent: waiting for the clients to finish...")
        # -- we exit the TaskGroup block here --
    return server_task, alice


# %% [markdown] slideshow={"slide_type": "notes"}
# `main` (the server, serving forever until cancelled, telling `started` its port) and
# `echo_client` are the echo server's code from the slide before and its backup slides.

# %% slideshow={"slide_type": "subslide"}
server_task, alice = await one_server_three_clients()

# %% [markdown] slideshow={"slide_type": "notes"}
# The server task is still serving: the next (backup) slide cancels it and waits for it to
# finish, which closes its listening socket. A server is stopped by cancelling its task.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### The clients are done: stop the server

# %%
print(f"parent: alice got {alice.result()}")
print("parent: cancelling the server")
server_task.cancel()
await asyncio.wait([server_task])  # wait for it to finish, without raising its CancelledError here
print(f"parent: all done! server cancelled: {server_task.cancelled()}")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Clients misbehave
#
# A client that goes quiet and one that vanishes mid-message don't bother the others.

# %% slideshow={"slide_type": "fragment"}
async def quiet_client(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    host, client_port = writer.get_extra_info("sockname")
    print(f"  quiet: connected from {host}:{client_port}, saying nothing")
    await reader.read()  # EOF when the server gives up on us
    print("  quiet: the server hung up on me")
    writer.close()
    await writer.wait_closed()


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### One that pulls the plug

# %%
import socket
import struct


async def vanishing_client(port: int) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    host, client_port = writer.get_extra_info("sockname")
    print(f"  vanishing: connected from {host}:{client_port}")
    print("  vanishing: sending half a message, then pulling the plug")
    writer.write(b"half a mess")
    await writer.drain()
    # close with a TCP reset instead of a polite EOF, as a crashed machine or a dead link would
    linger_0s = struct.pack("ii", 1, 0)
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_0s)
    writer.transport.abort()


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Quiet, vanishing and polite, all at once

# %%
async def all_at_once() -> None:
    """One server with a short idle timeout, and a client of each kind, all at once."""
    started = asyncio.get_running_loop().create_future()
    server_task = asyncio.create_task(main(port=0, idle_timeout=0.5, started=started))
    port = await started

    async with asyncio.timeout(10), asyncio.TaskGroup() as clients:
        clients.create_task(quiet_client(port))
        clients.create_task(vanishing_client(port))
        clients.create_task(echo_client("polite", ["still", "here"], port=port))

    server_task.cancel()
    await asyncio.wait([server_task])
    print(f"parent: server cancelled: {server_task.cancelled()}, no handler crashed")


# %% [markdown] slideshow={"slide_type": "notes"}
# The server starts in the same cell as the clients because Jupyter sends a task's prints to the
# cell that created it: started a cell earlier, the server's lines would be missing here.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ### Quiet, vanishing and polite: the output

# %%
await all_at_once()

# %% [markdown] slideshow={"slide_type": "notes"}
# Point out the order: the polite client finishes long before the quiet one is dropped, and
# nothing in the output says "Task exception was never retrieved". Next up: Kafka, where the
# library calls *us* back from another thread.
