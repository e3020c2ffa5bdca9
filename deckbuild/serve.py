"""Serving the deck on 127.0.0.1 with aiohttp: rebuilt on edits, browsers reload; `present` runs it.

`present` is `serve` with live parts, added only to the HTML it sends: a kernel per slide file
behind a WebSocket, and a per-run token that every request must carry.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import signal
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp import web

from deckbuild.errors import BuildError
from deckbuild.live import Live
from deckbuild.paths import display_path
from deckbuild.rebuild import Rebuilder
from deckbuild.sources import resolve_sources

VERSION_PATH = "/__deck_version__"
LIVE_PATH = "/__live__"
STATIC = Path(__file__).resolve().parent / "static"  # live.js and live.css: present's front-end
# Injected into the HTML that `serve` sends, never into the built file: ask for the deck's next
# state (the server answers when a rebuild finished or failed), reload on a new version, show a
# failed build's message on top of the last good deck.
RELOAD_SCRIPT = """<script>/* added by `build.py serve` */
(() => {
  let version = null;
  let state = "";
  const banner = document.createElement("pre");
  banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;padding:0.5em 1em;"
    + "z-index:1000;background:#b00020;color:#fff;font:16px monospace;white-space:pre-wrap;";
  async function next() {
    try {
      const url = "__VERSION_PATH__?after=" + encodeURIComponent(state);
      const answer = await (await fetch(url, {cache: "no-store"})).json();
      if (version !== null && answer.version !== version) { location.reload(); return; }
      version = answer.version;
      state = answer.state;
      banner.textContent = answer.error || "";
      if (answer.error && !banner.isConnected) document.body.append(banner);
      if (!answer.error) banner.remove();
      setTimeout(next, 0);
    } catch (error) {
      setTimeout(next, 500);  /* the server is restarting or gone: keep asking */
    }
  }
  next();
})();
</script>""".replace("__VERSION_PATH__", VERSION_PATH)
PLACEHOLDER = "<!DOCTYPE html><title>Building</title><body><p>Building the deck&hellip;</p></body>"


class Server:
    """The aiohttp application: the deck, its version, and in present mode the live socket."""

    def __init__(self, out: Path, rebuilder: Rebuilder, live: Live | None) -> None:
        self.out = out
        self.rebuilder = rebuilder
        self.live = live
        self.token = secrets.token_urlsafe(32)  # per run; printed, never written to a file
        self.port = 0
        self.sockets: set[web.WebSocketResponse] = set()
        self.app = web.Application(middlewares=[self.guard])
        self.app.on_response_prepare.append(self.no_store)
        self.app.router.add_get(VERSION_PATH, self.version)
        if live is not None:
            self.app.router.add_get(LIVE_PATH, self.socket)
        self.app.router.add_get("/{path:.*}", self.file)

    @property
    def cookie(self) -> str:
        return f"deck_token_{self.port}"  # cookies ignore ports: one per server

    @web.middleware
    async def guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Refuse a foreign Host (DNS rebinding); when presenting, a foreign Origin or no token."""
        host = request.headers.get("Host", "").lower()
        if host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}"):
            raise web.HTTPForbidden(text="forbidden: wrong Host")
        if self.live is None:
            return await handler(request)
        given = request.query.get("token", request.cookies.get(self.cookie, ""))
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise web.HTTPForbidden(text="forbidden: open the address present printed")
        if request.path == LIVE_PATH and request.headers.get("Origin") != f"http://{host}":
            raise web.HTTPForbidden(text="forbidden: wrong Origin")
        response = await handler(request)
        if "token" in request.query and not isinstance(response, web.WebSocketResponse):
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict")
        return response

    async def no_store(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Cache-Control"] = "no-store"

    async def version(self, request: web.Request) -> web.Response:
        """The deck's state; with ?after=STATE, once it differs from that (a long poll)."""
        after = request.query.get("after")
        if after is None:
            return web.json_response(self.rebuilder.state())
        return web.json_response(await self.rebuilder.next_state(after))

    async def file(self, request: web.Request) -> web.StreamResponse:
        """A file of out/; HTML gets the reload script, and in present mode the live parts."""
        try:
            local = (self.out / request.match_info["path"]).resolve()
        except (OSError, ValueError):
            raise web.HTTPNotFound() from None
        if not local.is_relative_to(self.out):
            raise web.HTTPNotFound()
        if local.is_dir():
            local = local / "index.html"
        if local.suffix == ".html":
            if local.is_file():
                html = local.read_text(encoding="utf-8")
            elif local == self.out / "index.html":
                html = PLACEHOLDER
            else:
                raise web.HTTPNotFound()
            return web.Response(text=self.inject(html), content_type="text/html")
        if not local.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(local)

    def inject(self, html: str) -> str:
        """The page with the reload script (and the live front-end) before </body>."""
        extra = RELOAD_SCRIPT
        if self.live is not None:
            config = json.dumps({"socket": LIVE_PATH, "files": self.live.files()})
            extra += inline("script", f"window.DECK_LIVE = {config}")
            for name, tag in (("live.css", "style"), ("live.js", "script")):
                if (STATIC / name).is_file():  # the front-end may not be written yet
                    extra += inline(tag, (STATIC / name).read_text(encoding="utf-8"))
        at = html.rfind("</body>")
        at = len(html) if at < 0 else at
        return html[:at] + extra + html[at:]

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """One browser tab's WebSocket, for as long as it stays open."""
        assert self.live is not None
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20)  # a cell's code, however long
        await ws.prepare(request)
        self.sockets.add(ws)
        try:
            await self.live.converse(ws)
        finally:
            self.sockets.discard(ws)
        return ws


def inline(tag: str, text: str) -> str:
    """text inside <tag>, unable to close it early: `</script` becomes `<\\/script`."""
    return f"<{tag}>" + text.replace(f"</{tag}", "<\\/" + tag) + f"</{tag}>"


def serve(patterns: Sequence[str], out: Path, port: int, timeout: int, cache: Path) -> int:
    """Serve out/ on 127.0.0.1, rebuild on changes (cache: the execution cache's folder)."""
    out.mkdir(parents=True, exist_ok=True)
    rebuilder = Rebuilder(patterns, out.resolve(), timeout, cache)
    return asyncio.run(run(rebuilder, out.resolve(), port, None))


def present(patterns: Sequence[str], out: Path, port: int, timeout: int, cache: Path) -> int:
    """serve(), plus a kernel per slide file so that every code cell can be edited and run."""
    out.mkdir(parents=True, exist_ok=True)
    live = Live(resolve_sources(patterns), timeout)
    rebuilder = Rebuilder(patterns, out.resolve(), timeout, cache)
    return asyncio.run(run(rebuilder, out.resolve(), port, live))


async def run(rebuilder: Rebuilder, out: Path, port: int, kernels: Live | None) -> int:
    """The server's life: bind, build, (start the kernels,) serve until Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = Server(out, rebuilder, kernels)
    runner = web.AppRunner(server.app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, "127.0.0.1", port).start()
        except OSError as error:  # e.g. the port is taken by another `make serve`
            raise BuildError(f"cannot serve on 127.0.0.1:{port}: {error.strerror}") from None
        server.port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{server.port}/"
        if kernels is None:
            print(f"serving {display_path(out)} at {url} (Ctrl-C stops)", flush=True)
        else:
            print(f"presenting {display_path(out)}: open {url}?token={server.token}", flush=True)

        def built(ok: bool) -> None:
            if kernels is None or stop.is_set():
                return
            if not kernels.started:
                kernels.start()  # after the first build, so that the two never run side by side
            elif ok:
                kernels.refresh()

        watcher = asyncio.create_task(rebuilder.watch(built))
        watcher.add_done_callback(lambda _: stop.set())  # it ends only when stopped, or failed
        await stop.wait()
        print("serve: stopping", flush=True)
        await asyncio.gather(rebuilder.stop(watcher), *([kernels.shutdown()] if kernels else []))
        for ws in list(server.sockets):
            await ws.close()
        if not watcher.cancelled():
            watcher.result()  # raises what made the watcher fail, if anything did
    finally:
        await runner.cleanup()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
