"""Serving the built deck on 127.0.0.1 while rebuilding it on every edit, and reloading browsers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deckbuild.errors import ERROR_PREFIX, BuildError
from deckbuild.paths import DEFAULT_SOURCES, ROOT, TEMPLATES, display_path
from deckbuild.sources import resolve_sources

VERSION_PATH = "/__deck_version__"
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
        self.lock = threading.Lock()
        self.builds = 0
        self.error: str | None = None
        self.process: subprocess.Popen[str] | None = None
        self.stopping = False

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {"version": f"{os.getpid()}.{self.builds}", "error": self.error}

    def rebuild(self) -> None:
        """Build once; a success bumps the version, a failure keeps the last good deck."""
        with self.lock:
            if self.stopping:
                return
            self.process = subprocess.Popen(
                self.command, stderr=subprocess.PIPE, text=True, cwd=Path.cwd()
            )
        process = self.process
        errors: list[str] = []
        assert process.stderr is not None
        for line in process.stderr:
            sys.stderr.write(line)
            if line.startswith(ERROR_PREFIX):
                errors.append(line.strip())
        code = process.wait()
        with self.lock:
            self.process = None
            if code == 0:
                self.builds += 1
                self.error = None
            elif not self.stopping:
                self.error = errors[-1] if errors else f"build.py build exited with {code}"
        print(f"serve: {'rebuilt the deck' if code == 0 else 'the build failed'}", flush=True)

    def watch(self, stop: threading.Event, interval: float) -> None:
        """Build now, then again whenever a watched file changes, until stop is set."""
        seen = watched_files(self.patterns)  # taken before building: edits during it count
        self.rebuild()
        while not stop.wait(interval):
            now = watched_files(self.patterns)
            if now != seen:
                changed = sorted({*now.items()} ^ {*seen.items()})
                print(f"serve: {display_path(changed[0][0])} changed", flush=True)
                seen = now
                self.rebuild()

    def stop(self) -> None:
        """Stop a running build the way Ctrl-C would, so that its kernels shut down."""
        with self.lock:
            self.stopping = True
            process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def serve(patterns: Sequence[str], out: Path, port: int, timeout: int) -> int:
    """Serve out/ on 127.0.0.1, rebuild on changes and make open browsers reload."""
    import http.server

    rebuilder = Rebuilder(patterns, out, timeout)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(out), **kwargs)

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def send_body(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0].split("#")[0]
            if path == VERSION_PATH:
                self.send_body(json.dumps(rebuilder.state()).encode(), "application/json")
                return
            local = Path(self.translate_path(path))
            if local.is_dir():
                local = local / "index.html"
            if local.suffix == ".html" and local.is_relative_to(out.resolve()):
                html = local.read_text(encoding="utf-8") if local.is_file() else None
                if html is None and local != out.resolve() / "index.html":
                    super().do_GET()  # a 404 as usual
                    return
                html = html or PLACEHOLDER
                at = html.rfind("</body>")
                at = len(html) if at < 0 else at
                body = html[:at] + RELOAD_SCRIPT + html[at:]
                self.send_body(body.encode("utf-8"), "text/html; charset=utf-8")
                return
            super().do_GET()

        def do_HEAD(self) -> None:
            self.do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            if not self.path.startswith(VERSION_PATH):  # the browsers poll it twice a second
                super().log_message(format, *args)

    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as error:  # e.g. the port is taken by another `make serve`
        raise BuildError(f"cannot serve on 127.0.0.1:{port}: {error.strerror}") from None
    server.daemon_threads = True
    stop = threading.Event()
    watcher = threading.Thread(target=rebuilder.watch, args=(stop, 0.5), daemon=True)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        host, bound = server.server_address[:2]
        print(f"serving {display_path(out)} at http://{host!s}:{bound}/ (Ctrl-C stops)", flush=True)
        watcher.start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("serve: stopping", flush=True)
    finally:
        stop.set()
        rebuilder.stop()
        server.server_close()
        watcher.join(timeout=35)
        signal.signal(signal.SIGTERM, previous)
    return 0
