"""Serving the deck on 127.0.0.1 with aiohttp: rebuilt on edits, browsers reload; `present` runs it.

`present` is `serve` with live parts, added only to the HTML it sends: a kernel per slide file
behind a WebSocket, and a per-run token that every request must carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from deckbuild.errors import ERROR_PREFIX, BuildError
from deckbuild.live import Live
from deckbuild.paths import DEFAULT_SOURCES, ROOT, TEMPLATES, display_path
from deckbuild.sources import resolve_sources

VERSION_PATH = "/__deck_version__"
LIVE_PATH = "/__live__"
STATIC = Path(__file__).resolve().parent / "static"  # live.js and live.css: present's front-end
# Injected into the HTML that `serve` sends, never into the built file: poll the deck's version,
# reload when a rebuild finished, show a failed build's message on top of the last good deck.
RELOAD_SCRIPT = """<script>/* added by `build.py serve` */
(() => {
  let seen = null;
  const banner = document.createElement("pre");
  banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;margin:0;padding:0.5em 1em;"
    + "z-index:1000;background:#b00020;color:#fff;font:16px monospace;white-space:pre-wrap;";
  async function poll() {
    try {
      const state = await (await fetch("__VERSION_PATH__", {cache: "no-store"})).json();
      if (seen !== null && state.version !== seen) { location.reload(); return; }
      seen = state.version;
      banner.textContent = state.error || "";
      if (state.error && !banner.isConnected) document.body.append(banner);
      if (!state.error) banner.remove();
    } catch (error) { /* the server is restarting or gone: keep asking */ }
    setTimeout(poll, 500);
  }
  poll();
})();
</script>""".replace("__VERSION_PATH__", VERSION_PATH)
PLACEHOLDER = "<!DOCTYPE html><title>Building</title><body><p>Building the deck&hellip;</p></body>"


def watched_files(patterns: Sequence[str]) -> dict[Path, float]:
    """Modification times of every file a rebuild depends on: the sources' folders, templates."""
    try:
        folders = {path.resolve().parent for path in resolve_sources(patterns)}
    except BuildError:  # every slide was deleted: watch the default folder for new ones
        folders = {(ROOT / DEFAULT_SOURCES).parent}
    times: dict[Path, float] = {}
    for folder in sorted(folders | {TEMPLATES}):
        for path in folder.rglob("*"):
            parts = path.relative_to(folder).parts
            if any(p.startswith(".") or p == "__pycache__" for p in parts):
                continue
            try:
                if path.is_file():  # not the kernels' IPC sockets, not folders
                    times[path] = path.stat().st_mtime
            except OSError:  # deleted while we looked
                continue
    return times


class Rebuilder:
    """Runs `build.py build` in a subprocess whenever a watched file changes."""

    def __init__(self, patterns: Sequence[str], out: Path, timeout: int) -> None:
        self.command = [sys.executable, str(ROOT / "build.py"), "build", *patterns]
        self.command += ["--out", str(out), "--timeout", str(timeout)]
        self.patterns = list(patterns)
        self.builds = 0
        self.error: str | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.stopped = asyncio.Event()

    def state(self) -> dict[str, Any]:
        return {"version": f"{os.getpid()}.{self.builds}", "error": self.error}

    async def rebuild(self) -> bool:
        """Build once; a success bumps the version, a failure keeps the last good deck."""
        if self.stopped.is_set():
            return False
        self.process = process = await asyncio.create_subprocess_exec(
            *self.command, stderr=asyncio.subprocess.PIPE, cwd=Path.cwd(), limit=2**20
        )
        errors: list[str] = []
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode("utf-8", "replace")
            sys.stderr.write(line)
            if line.startswith(ERROR_PREFIX):
                errors.append(line.strip())
        code = await process.wait()
        self.process = None
        if code == 0:
            self.builds += 1
            self.error = None
        elif not self.stopped.is_set():
            self.error = errors[-1] if errors else f"build.py build exited with {code}"
        print(f"serve: {'rebuilt the deck' if code == 0 else 'the build failed'}", flush=True)
        return code == 0

    async def watch(self, interval: float, built: Callable[[bool], None]) -> None:
        """Build now, then again whenever a watched file changes, until stopped."""
        seen = await asyncio.to_thread(watched_files, self.patterns)  # edits while building count
        built(await self.rebuild())
        while not self.stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopped.wait(), interval)
            now = await asyncio.to_thread(watched_files, self.patterns)
            if now != seen and not self.stopped.is_set():
                changed = sorted({*now.items()} ^ {*seen.items()})
                print(f"serve: {display_path(changed[0][0])} changed", flush=True)
                seen = now
                built(await self.rebuild())

    async def stop(self, watcher: asyncio.Task[None]) -> None:
        """Stop a running build the way Ctrl-C would, so that its kernels shut down."""
        self.stopped.set()
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        await asyncio.gather(watcher, return_exceptions=True)


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
        return web.json_response(self.rebuilder.state())

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


def serve(patterns: Sequence[str], out: Path, port: int, timeout: int) -> int:
    """Serve out/ on 127.0.0.1, rebuild on changes and make open browsers reload."""
    out.mkdir(parents=True, exist_ok=True)
    return asyncio.run(run(Rebuilder(patterns, out, timeout), out.resolve(), port, None))


def present(patterns: Sequence[str], out: Path, port: int, timeout: int) -> int:
    """serve(), plus a kernel per slide file so that every code cell can be edited and run."""
    out.mkdir(parents=True, exist_ok=True)
    live = Live(resolve_sources(patterns), timeout)
    return asyncio.run(run(Rebuilder(patterns, out, timeout), out.resolve(), port, live))


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

        watcher = asyncio.create_task(rebuilder.watch(0.5, built))
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
