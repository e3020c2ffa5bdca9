#!/usr/bin/env python3
"""Build the talk: execute percent-format slides into one offline reveal.js deck, extract examples.

    python build.py build [SOURCES...] [--out DIR] [--timeout SECONDS]
    python build.py extract [--check]
    python build.py serve [SOURCES...] [--port N] [--out DIR]
    python build.py pdf [--out DIR]

Run `python build.py --help` or `python build.py COMMAND --help` for details.
"""

from __future__ import annotations

import os

# jupyter_core warns on import unless told which path scheme to use; choose the future one.
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

import argparse
import ast
import base64
import dataclasses
import functools
import hashlib
import json
import mimetypes
import multiprocessing
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

import jupytext
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent
DEFAULT_SOURCES = "slides/*.py"
DEFAULT_OUT = ROOT / "build"
DEFAULT_EXAMPLES = ROOT / "examples"
TEMPLATES = ROOT / "templates"
REVEAL = ROOT / "node_modules" / "reveal.js" / "dist"
REVEAL_THEME = "white"

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-", ""}
KNOWN_TAGS = {"raises-exception", "remove-input", "remove-output", "remove-cell", "skip-execution"}
EXAMPLE_TAG = "example:"
MODULE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
CELL_MARKER = re.compile(r"^# %%(?:\s|$)")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class BuildError(Exception):
    """A problem with the input or the environment, reported as one short message."""


# --------------------------------------------------------------------------- reading sources


@dataclasses.dataclass
class Source:
    """One slide file: its path, its notebook, and the `.py` line where each cell starts."""

    path: Path
    notebook: NotebookNode
    cell_lines: list[int]

    @property
    def name(self) -> str:
        return display_path(self.path)

    def where(self, index: int, line_in_cell: int = 0) -> str:
        """`file:line: cell N` for messages; line_in_cell counts from 1 within the cell."""
        line = self.cell_lines[index] + line_in_cell if line_in_cell else self.cell_lines[index]
        return f"{self.name}:{line}: cell {index + 1}"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cell_start_lines(text: str, count: int) -> list[int]:
    """The 1-based line of each cell's `# %%` marker (or of a marker-less first cell)."""
    lines = text.splitlines()
    markers = [number for number, line in enumerate(lines, 1) if CELL_MARKER.match(line)]
    if len(markers) == count:
        return markers
    first = 1
    if lines and lines[0].startswith("# ---"):  # skip jupytext's YAML header
        first = next((n for n, line in enumerate(lines[1:], 2) if line.startswith("# ---")), 1) + 1
    while first <= len(lines) and not lines[first - 1].strip():
        first += 1
    starts = [first, *markers]
    return (starts + [starts[-1]] * count)[:count]


def read_source(path: Path) -> Source:
    """Read a jupytext percent-format file and check its cell metadata."""
    if not path.is_file():
        raise BuildError(f"{display_path(path)}: no such file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BuildError(f"{display_path(path)}:{line}: not valid UTF-8 ({error.reason})") from None
    if not text.strip():
        raise BuildError(f"{display_path(path)}: the file is empty")
    notebook = jupytext.reads(text, fmt="py:percent")
    source = Source(path, notebook, cell_start_lines(text, len(notebook.cells)))
    for index, cell in enumerate(notebook.cells):
        check_metadata(source, index, cell)
    return source


def check_metadata(source: Source, index: int, cell: NotebookNode) -> None:
    metadata = cell.metadata
    if "incorrectly_encoded_metadata" in metadata:
        raise BuildError(
            f"{source.where(index)}: cannot parse the cell metadata "
            f"{metadata['incorrectly_encoded_metadata']!r} (write key=value pairs with JSON values)"
        )
    slide_type = metadata.get("slideshow", {}).get("slide_type", "")
    if slide_type not in SLIDE_TYPES:
        known = ", ".join(sorted(t for t in SLIDE_TYPES if t))
        raise BuildError(
            f"{source.where(index)}: unknown slide_type {slide_type!r} (use one of {known})"
        )
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise BuildError(f"{source.where(index)}: tags must be a list of strings, got {tags!r}")
    for tag in tags:
        name = tag.removeprefix(EXAMPLE_TAG)
        if name != tag and (cell.cell_type != "code" or not MODULE_NAME.fullmatch(name)):
            raise BuildError(
                f"{source.where(index)}: bad tag {tag!r}: example tags go on code cells "
                "and name a module, e.g. example:echo_server"
            )
    if "raises" in metadata and "raises-exception" not in tags:
        raise BuildError(f"{source.where(index)}: `raises` needs the raises-exception tag too")


def resolve_sources(patterns: Sequence[str]) -> list[Path]:
    """Expand the command line's sources; the default is every slide file in name order."""
    if not patterns:
        found = sorted(ROOT.glob(DEFAULT_SOURCES))
        if not found:
            raise BuildError(f"no sources match {DEFAULT_SOURCES}")
        return found
    return [Path(pattern) for pattern in patterns]


# --------------------------------------------------------------------------- execution


class ProjectKernelSpecManager(KernelSpecManager):
    """Every kernel name means this interpreter: installed kernelspecs are never consulted."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (project)",
            language="python",
            resource_dir=str(ROOT),
        )


class ProjectKernelManager(AsyncKernelManager):
    """A kernel manager whose only kernelspec is this interpreter."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_spec_manager", ProjectKernelSpecManager())
        super().__init__(**kwargs)


def execute(source: Source, timeout: int) -> tuple[NotebookNode, list[str]]:
    """Run every code cell in a fresh kernel of this interpreter; raise BuildError on surprises.

    Returns the executed notebook and the local files (project modules) its kernel imported.
    """
    notebook = source.notebook
    current: dict[str, int] = {}
    probe = nbformat.v4.new_code_cell(IMPORTED_FILES_PROBE)  # type: ignore[no-untyped-call]
    notebook.cells.append(probe)

    def on_cell_start(cell: NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        notebook,
        kernel_name="python3",
        kernel_manager_class=ProjectKernelManager,
        timeout=timeout,
        startup_timeout=120,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(source.path.resolve().parent)}},
        on_cell_start=on_cell_start,
    )
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    # The kernel's own stderr goes to a file: shown when the kernel dies, hidden otherwise.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        try:
            client.execute(env=env, stderr=stderr)
        except Exception as error:
            index = current.get("index")
            found = None if index is None else error_output(notebook.cells[index])
            interrupted = found is not None and found[0] == "KeyboardInterrupt"
            if interrupted and not isinstance(error, CellTimeoutError):
                raise KeyboardInterrupt from None  # Ctrl-C reached the kernel too
            raise execution_error(source, index, error, timeout, stderr) from None
        finally:
            shut_down(client)
            notebook.cells.remove(probe)
    check_expected_errors(source)
    imported = json.loads("".join(o.get("text", "") for o in probe.outputs) or "[]")
    return notebook, [path for path in imported if is_local(Path(path), source)]


def execution_error(
    source: Source, index: int | None, error: Exception, timeout: int, stderr: Any
) -> BuildError:
    """One short message for what went wrong while executing source."""
    if index is None:
        return BuildError(f"{source.name}: the kernel did not start: {error}")
    if isinstance(error, CellTimeoutError):
        return BuildError(f"{source.where(index)}: timed out after {timeout} s (raise --timeout?)")
    if isinstance(error, DeadKernelError):
        stderr.seek(0)
        noise = "running over TCP without encryption"  # jupyter_client's usual start-up warning
        lines = stderr.read().splitlines()
        last = [line for line in lines if line.strip() and noise not in line][-3:]
        detail = f" ({' / '.join(last)})" if last else ""
        return BuildError(f"{source.where(index)}: the kernel died{detail}")
    found = error_output(source.notebook.cells[index])
    if found is None:
        return BuildError(f"{source.where(index)}: {type(error).__name__}: {error}")
    ename, evalue, line = found
    return BuildError(f"{source.where(index, line)}: {ename}: {evalue}")


def shut_down(client: NotebookClient) -> None:
    """Make sure the kernel is gone, even after Ctrl-C interrupted nbclient's own clean-up."""
    kernel = client.km
    if kernel is not None and kernel.has_kernel:
        shutdown = cast(Callable[..., Awaitable[None]], kernel.shutdown_kernel)  # async here
        run_sync(shutdown)(now=True)


def error_output(cell: NotebookNode) -> tuple[str, str, int] | None:
    """The exception name, value and line within the cell of the cell's error output, if any."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            traceback = ANSI.sub("", "\n".join(output.get("traceback", [])))
            match = re.search(r"Cell In\[\d+\], line (\d+)", traceback)
            if match is None:  # a SyntaxError points at the line differently
                match = re.search(r'File "<[^>]*>", line (\d+)', traceback)
            return output.ename, output.evalue, int(match.group(1)) if match else 0
    return None


MAX_OUTPUT = 1_000_000  # characters of text one cell may put on a slide


def output_size(cell: NotebookNode) -> int:
    size = 0
    for output in cell.get("outputs", []):
        size += len(output.get("text", ""))
        for mime in ("text/plain", "text/html", "text/markdown"):
            size += len(output.get("data", {}).get(mime, ""))
    return size


def check_outputs(source: Source) -> None:
    """Refuse outputs no slide can show; a cell tagged remove-output may print what it likes."""
    for index, cell in enumerate(source.notebook.cells):
        if "remove-output" in cell.metadata.get("tags", []):
            continue
        size = output_size(cell)
        if size > MAX_OUTPUT:
            raise BuildError(
                f"{source.where(index)}: printed {size / 1e6:.1f} MB of text, more than a slide "
                f"can show (limit {MAX_OUTPUT / 1e6:.0f} MB); print less or tag it remove-output"
            )


def check_expected_errors(source: Source) -> None:
    check_outputs(source)
    for index, cell in enumerate(source.notebook.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "raises-exception" not in tags or "skip-execution" in tags:
            continue
        found = error_output(cell)
        if found is None:
            raise BuildError(f"{source.where(index)}: tagged raises-exception but raised nothing")
        expected = cell.metadata.get("raises")
        if expected and found[0] != expected:
            raise BuildError(
                f"{source.where(index, found[2])}: expected {expected}, got {found[0]}: {found[1]}"
            )


def is_local(path: Path, source: Source) -> bool:
    """A file of this project or next to the source, not an installed package."""
    if any(part in {"site-packages", "dist-packages", ".venv"} for part in path.parts):
        return False
    return path.is_relative_to(ROOT) or path.is_relative_to(source.path.resolve().parent)


# Run last in every kernel: which module files did the cells import?
IMPORTED_FILES_PROBE = """\
import json as _json, sys as _sys
print(_json.dumps(sorted({
    str(getattr(_m, "__file__", None)) for _m in list(_sys.modules.values())
    if getattr(_m, "__file__", None)
})))"""


# --------------------------------------------------------------------------- execution cache

CACHE = Path(os.environ.get("BUILD_CACHE_DIR", ROOT / ".cache" / "execution"))
CACHE_FORMAT = 1  # bump when execution changes in a way that invalidates old outputs
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@functools.cache
def environment_fingerprint() -> str:
    """The interpreter and every installed package, version included.

    The packages' metadata folders are named `name-version.dist-info`: listing them is much
    faster than parsing every METADATA file, and a no-change rebuild should take a second.
    """
    packages = sorted(
        {
            path.name
            for entry in sys.path
            if os.path.isdir(entry)
            for path in Path(entry).iterdir()
            if path.suffix in {".dist-info", ".egg-info"}
        }
    )
    return digest([CACHE_FORMAT, sys.executable, sys.version, packages])


def code_cells(notebook: NotebookNode) -> list[NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def cache_key(source: Source) -> str:
    """What decides a source's outputs besides the files it imports: code, tags, interpreter."""
    cells = [
        [cell.source, sorted(cell.metadata.get("tags", [])), cell.metadata.get("raises")]
        for cell in code_cells(source.notebook)
    ]
    folder = str(source.path.resolve().parent)  # cells run there
    return digest([environment_fingerprint(), folder, cells])


def environment_used(texts: Sequence[str]) -> dict[str, str | None]:
    """The values of the environment variables these texts could read (named in capitals)."""
    names = {name for text in texts for name in ENV_NAME.findall(text)}
    return {name: os.environ.get(name) for name in sorted(names)}


def reuse_cached(source: Source) -> bool:
    """Fill source's code cells with cached outputs if nothing that affects them changed."""
    path = CACHE / f"{cache_key(source)}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        files = entry["files"]
        if any(file_digest(Path(name)) != sha for name, sha in files.items()):
            return False
        if any(os.environ.get(name) != value for name, value in entry["environment"].items()):
            return False
        outputs = entry["outputs"]
        cells = code_cells(source.notebook)
        if len(outputs) != len(cells):
            raise ValueError("cell count")
        restored = [
            (nbformat.from_dict(o["outputs"]), o["execution_count"])  # type: ignore[no-untyped-call]
            for o in outputs
        ]
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"ignoring a corrupt cache entry {display_path(path)} ({error})", file=sys.stderr)
        return False
    for cell, (cell_outputs, count) in zip(cells, restored, strict=True):
        cell.outputs = cell_outputs
        cell.execution_count = count
    if entry.get("language_info"):  # as the kernel reported it: the deck's highlighting uses it
        source.notebook.metadata["language_info"] = entry["language_info"]
    return True


def store_cached(source: Source, imported: Sequence[str]) -> None:
    """Remember source's outputs and what they depend on; failing to write is no loss."""
    files = {name: file_digest(Path(name)) for name in imported}
    texts = [cell.source for cell in code_cells(source.notebook)]
    texts += [
        Path(name).read_text(encoding="utf-8", errors="replace") for name in files if files[name]
    ]
    entry = {
        "source": str(source.path),
        "files": files,
        "environment": environment_used(texts),
        "language_info": source.notebook.metadata.get("language_info"),
        "outputs": [
            {"outputs": cell.get("outputs", []), "execution_count": cell.get("execution_count")}
            for cell in code_cells(source.notebook)
        ],
    }
    try:
        write_atomically(CACHE / f"{cache_key(source)}.json", json.dumps(entry))
    except OSError as error:
        print(f"cannot write the execution cache ({error})", file=sys.stderr)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def execute_in_worker(source: Source, timeout: int) -> tuple[NotebookNode, list[str]]:
    """execute() in a pool process; SIGTERM interrupts it like Ctrl-C: its kernel is shut down."""
    signal.signal(signal.SIGTERM, interrupt)
    return execute(source, timeout)


def execute_all(sources: Sequence[Source], timeout: int, jobs: int, use_cache: bool) -> None:
    """Execute what the cache cannot supply, jobs kernels at a time; errors in source order."""
    pending = [s for s in sources if not (use_cache and reuse_cached(s))]
    for source in sources:
        state = "executing" if source in pending else "reusing cached outputs of"
        print(f"{state} {source.name}", file=sys.stderr, flush=True)
    results: dict[int, tuple[NotebookNode, list[str]] | BuildError] = {}
    if jobs <= 1 or len(pending) <= 1:
        for index, source in enumerate(pending):
            results[index] = execute(source, timeout)
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(execute_in_worker, source, timeout) for source in pending]
            try:
                for index, future in enumerate(futures):
                    try:
                        results[index] = future.result()
                    except BuildError as error:
                        results[index] = error
            except KeyboardInterrupt:
                for future in futures:
                    future.cancel()
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()  # each worker shuts its kernel down, then exits
                raise
    for index, source in enumerate(pending):
        result = results[index]
        if isinstance(result, BuildError):
            raise result
        source.notebook, imported = result
        if use_cache:
            store_cached(source, imported)


# --------------------------------------------------------------------------- rendering

MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
HTML_IMAGE = re.compile(r"(<img\b[^>]*?\bsrc=)([\"'])([^\"']+)\2", re.IGNORECASE)


def data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_images(source: Source) -> None:
    """Replace local image paths in markdown cells by data URIs; a missing file is an error."""
    folder = source.path.resolve().parent
    for index, cell in enumerate(source.notebook.cells):
        if cell.cell_type != "markdown":
            continue

        def embed(
            target: str, match_start: int, cell_index: int = index, text: str = cell.source
        ) -> str:
            if re.match(r"^(data:|attachment:|#)", target):
                return target
            if re.match(r"^([a-z]+:)?//", target, re.IGNORECASE):
                line = text.count("\n", 0, match_start) + 1
                raise BuildError(
                    f"{source.where(cell_index, line)}: image {target!r} would be loaded "
                    "from outside; keep images in the repository"
                )
            path = folder / target
            if not path.is_file():
                line = text.count("\n", 0, match_start) + 1
                raise BuildError(f"{source.where(cell_index, line)}: image {target!r} not found")
            return data_uri(path)

        text = MARKDOWN_IMAGE.sub(lambda m: m[1] + embed(m[2], m.start()) + m[3], cell.source)
        cell.source = HTML_IMAGE.sub(lambda m: m[1] + m[2] + embed(m[3], m.start()) + m[2], text)


CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)['\"]?\s*\)?\s*;")


def inline_css(path: Path) -> str:
    """A stylesheet with its @imports and url()s inlined, so that it loads nothing."""
    css = path.read_text(encoding="utf-8")
    css = CSS_IMPORT.sub(lambda m: inline_css((path.parent / m[1]).resolve()), css)

    def embed(match: re.Match[str]) -> str:
        target = match[2]
        if target.startswith(("data:", "#")):
            return match[0]
        local = (path.parent / target.split("?")[0].split("#")[0]).resolve()
        if not local.is_file():
            raise BuildError(f"{display_path(path)}: url({target}) is not a local file")
        return f'url("{data_uri(local)}")'

    return CSS_URL.sub(embed, css)


def inline_js(path: Path) -> str:
    """A script's text, safe to place inside <script>...</script>."""
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def reveal_assets() -> dict[str, Any]:
    files = [REVEAL / "reveal.css", REVEAL / "theme" / f"{REVEAL_THEME}.css", REVEAL / "reveal.js"]
    missing = [display_path(f) for f in files if not f.is_file()]
    if missing:
        raise BuildError(f"reveal.js is not installed ({', '.join(missing)}): run `npm ci`")
    return {
        "reveal_css": inline_css(REVEAL / "reveal.css"),
        "theme_css": inline_css(REVEAL / "theme" / f"{REVEAL_THEME}.css"),
        "deck_css": inline_css(TEMPLATES / "offline_reveal" / "static" / "deck.css"),
        "reveal_js": inline_js(REVEAL / "reveal.js"),
        "notes_js": inline_js(REVEAL / "plugin" / "notes.js"),
    }


def merge(notebooks: Sequence[NotebookNode], title: str) -> NotebookNode:
    """One notebook holding every source's cells in order."""
    merged: NotebookNode = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    merged.metadata = dict(notebooks[0].metadata) if notebooks else {}
    merged.metadata["title"] = title
    merged.metadata.setdefault("language_info", {"name": "python"})
    for notebook in notebooks:
        merged.cells.extend(notebook.cells)
    return merged


def render(notebook: NotebookNode) -> str:
    """The deck's HTML, with nothing loaded from outside."""
    from nbconvert.exporters import SlidesExporter  # 0.4 s to import: only when rendering

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    config.TagRemovePreprocessor.remove_input_tags = {"remove-input"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    exporter = SlidesExporter(  # type: ignore[no-untyped-call]
        config=config,
        template_name="offline_reveal",
        extra_template_basedirs=[str(TEMPLATES)],
    )
    resources = {"offline": reveal_assets()}  # reveal.js settings live in the template
    try:
        body, _ = exporter.from_notebook_node(notebook, resources=resources)
    except ValueError as error:  # e.g. "All cells are hidden, cannot create slideshow"
        raise BuildError(f"cannot render the deck: {error}") from None
    return str(body)


def render_cached(notebook: NotebookNode, use_cache: bool) -> str:
    """render(), or the deck it made last time from the same notebook, template and packages.

    Rendering takes seconds (nbconvert sanitizes every cell, then reparses the whole page), so a
    rebuild that changed nothing reuses the last deck. Only the latest deck is kept.
    """
    if not use_cache:
        return render(notebook)
    templates = sorted(path for path in TEMPLATES.rglob("*") if path.is_file())
    key = digest(
        [
            environment_fingerprint(),
            file_digest(Path(__file__)),  # render()'s own settings
            [(str(path.relative_to(TEMPLATES)), file_digest(path)) for path in templates],
            reveal_assets(),
            notebook.metadata,
            # jupytext gives cells new random ids on every read: they are not content
            [{k: v for k, v in cell.items() if k != "id"} for cell in notebook.cells],
        ]
    )
    path = CACHE / f"deck-{key}.json"
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["html"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"ignoring a corrupt cache entry {display_path(path)} ({error})", file=sys.stderr)
    deck = render(notebook)
    try:
        for old in CACHE.glob("deck-*.json"):
            old.unlink(missing_ok=True)
        write_atomically(path, json.dumps({"html": deck}))
    except OSError as error:
        print(f"cannot write the deck cache ({error})", file=sys.stderr)
    return deck


def deck_title(sources: Sequence[Source]) -> str:
    for source in sources:
        for cell in source.notebook.cells:
            if cell.cell_type == "markdown":
                match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
                if match:
                    return re.sub(r"[`*_]", "", match[1]).strip()
    return "Slides"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(handle.name, 0o666 & ~umask)  # as readable as any other file we write
    os.replace(handle.name, path)


def check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise BuildError(
            f"{display_path(out)}: cannot write the output folder ({error.strerror})"
        ) from None


def build(
    patterns: Sequence[str], out: Path, timeout: int, jobs: int = 1, use_cache: bool = True
) -> Path:
    """Execute and render the sources into out/index.html; nothing is written unless all succeed."""
    paths = resolve_sources(patterns)
    check_writable(out)
    sources = [read_source(path) for path in paths]
    for name, fragments in collect_examples(sources).items():
        module_text(name, fragments)  # refuse what extract would refuse, before any kernel runs
    for source in sources:
        inline_images(source)
    execute_all(sources, timeout, jobs, use_cache)
    deck = render_cached(merge([s.notebook for s in sources], deck_title(sources)), use_cache)
    written: set[Path] = set()
    for source in sources:
        notebook_path = out / "notebooks" / f"{source.path.stem}.ipynb"
        text = nbformat.writes(source.notebook)  # type: ignore[no-untyped-call]
        write_atomically(notebook_path, text)
        written.add(notebook_path)
    for old in set((out / "notebooks").glob("*.ipynb")) - written:
        old.unlink()  # a reader should find only the notebooks of this deck
    index = out / "index.html"
    write_atomically(index, deck)
    return index


# --------------------------------------------------------------------------- examples

GENERATED = "AUTOGENERATED by `python build.py extract`"


@dataclasses.dataclass
class Fragment:
    """One tagged cell's code and where it came from."""

    source: Source
    index: int
    code: str


def collect_examples(sources: Sequence[Source]) -> dict[str, list[Fragment]]:
    modules: dict[str, list[Fragment]] = {}
    for source in sources:
        for index, cell in enumerate(source.notebook.cells):
            for tag in cell.metadata.get("tags", []):
                if tag.startswith(EXAMPLE_TAG):
                    name = tag[len(EXAMPLE_TAG) :]
                    modules.setdefault(name, []).append(Fragment(source, index, cell.source))
    return modules


NOTEBOOK_ONLY = {"display", "get_ipython", "display_markdown", "display_html", "display_image"}


def parse_fragment(fragment: Fragment) -> ast.Module:
    """The fragment's syntax tree; notebook-only code is refused with its file and line."""
    for number, line in enumerate(fragment.code.splitlines(), 1):
        if line.lstrip().startswith(("%", "!")):
            raise BuildError(
                f"{fragment.source.where(fragment.index, number)}: IPython magic or shell command "
                "in an example cell; keep it in an untagged cell"
            )
    try:
        tree = ast.parse(fragment.code)
        compile(tree, fragment.source.name, "exec", dont_inherit=True)  # top-level await, ...
    except SyntaxError as error:
        hint = " (top-level await belongs in an untagged cell)" if "await" in str(error.msg) else ""
        raise BuildError(
            f"{fragment.source.where(fragment.index, error.lineno or 0)}: {error.msg}{hint}"
        ) from None
    return tree


def check_notebook_only(fragments: Sequence[Fragment], trees: Sequence[ast.Module]) -> None:
    defined: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.alias):
                defined.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
    for fragment, tree in zip(fragments, trees, strict=True):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in NOTEBOOK_ONLY and node.id not in defined:
                raise BuildError(
                    f"{fragment.source.where(fragment.index, node.lineno)}: `{node.id}` "
                    "exists only in a notebook; keep display code in an untagged cell"
                )


def top_level_names(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name, node.lineno
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.lineno


def check_conflicts(name: str, fragments: Sequence[Fragment], trees: Sequence[ast.Module]) -> None:
    """Two slide files defining the same name in one module would silently overwrite each other."""
    seen: dict[str, tuple[Fragment, int]] = {}
    for fragment, tree in zip(fragments, trees, strict=True):
        for defined, line in top_level_names(tree):
            first, first_line = seen.setdefault(defined, (fragment, line))
            if first.source.path != fragment.source.path:
                raise BuildError(
                    f"{fragment.source.where(fragment.index, line)}: examples/{name}.py would get "
                    f"`{defined}` twice; it is already defined at "
                    f"{first.source.where(first.index, first_line)}"
                )


def origin(source: Source) -> str:
    """The source as a module header names it: the same from whatever folder extract runs."""
    path = source.path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def generated_from(path: Path) -> list[str] | None:
    """The origins a generated module's header names, or None for a file written by hand."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if GENERATED not in text:
        return None
    listing = text.split(f"{GENERATED} from:", 1)[-1].split("Do not edit", 1)[0]
    return listing.split()


def module_text(name: str, fragments: Sequence[Fragment]) -> str:
    """The generated module, before formatting: header, hoisted imports, code, entry point."""
    trees = [parse_fragment(fragment) for fragment in fragments]
    check_notebook_only(fragments, trees)
    check_conflicts(name, fragments, trees)
    future: list[str] = []
    imports: list[str] = []
    bodies: list[str] = []
    for fragment, tree in zip(fragments, trees, strict=True):
        lines = fragment.code.splitlines()
        hoisted: set[int] = set()
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                span = range(node.lineno - 1, node.end_lineno or node.lineno)
                statement = "\n".join(lines[i] for i in span)
                is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
                target = future if is_future else imports
                if statement not in target:
                    target.append(statement)
                hoisted.update(span)
        body = "\n".join(line for i, line in enumerate(lines) if i not in hoisted).strip("\n")
        if body:
            bodies.append(body)
    names = dict.fromkeys(origin(fragment.source) for fragment in fragments)
    origins = "".join(f"\n    {name}" for name in names)
    header = (
        f'"""The `{name}` example of the talk.\n\n'
        f"{GENERATED} from:{origins}\n"
        'Do not edit: edit the slide, then run the command again.\n"""'
    )
    parts = [header, *future, *imports, *bodies]
    defines_main = any(
        isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == "main"
        for tree in trees
        for node in tree.body
    )
    has_entry = any(
        isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
        for tree in trees
        for node in tree.body
    )
    if defines_main and not has_entry:
        is_async = any(
            isinstance(node, ast.AsyncFunctionDef) and node.name == "main"
            for tree in trees
            for node in tree.body
        )
        if is_async and "import asyncio" not in imports:
            parts.insert(1, "import asyncio")
        call = "asyncio.run(main())" if is_async else "main()"
        parts.append(f'if __name__ == "__main__":\n    {call}')
    return "\n\n".join(parts) + "\n"


def ruff_format(text: str, name: str) -> str:
    """Sort imports and format like the rest of the code base, so a rerun is byte-identical."""
    ruff = [sys.executable, "-m", "ruff"]
    filename = str(ROOT / "examples" / f"{name}.py")
    fixed = subprocess.run(
        [
            *ruff,
            "check",
            "--quiet",
            "--fix-only",
            "--select",
            "I",
            "--stdin-filename",
            filename,
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if fixed.returncode != 0:
        raise BuildError(
            f"ruff could not sort the imports of examples/{name}.py: {fixed.stderr.strip()}"
        )
    formatted = subprocess.run(
        [*ruff, "format", "--quiet", "--stdin-filename", filename, "-"],
        input=fixed.stdout,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if formatted.returncode != 0:
        raise BuildError(f"ruff could not format examples/{name}.py: {formatted.stderr.strip()}")
    return formatted.stdout


def generate_examples(sources: Sequence[Source]) -> dict[str, str]:
    """File name -> content for every module the sources tag, plus the package's __init__."""
    package_doc = "Runnable example modules generated from the slides by `python build.py extract`."
    files = {"__init__.py": f'"""{package_doc}"""\n'}
    for name, fragments in sorted(collect_examples(sources).items()):
        files[f"{name}.py"] = ruff_format(module_text(name, fragments), name)
    return files


def extract(patterns: Sequence[str], examples: Path, check: bool) -> int:
    """Write (or, with check, compare) examples/; returns the exit status.

    Given some sources only, modules generated from other slide files are left alone.
    """
    sources = [read_source(path) for path in resolve_sources(patterns)]
    in_scope = {origin(source) for source in sources}
    wanted = generate_examples(sources)
    present = (
        {path.name: path for path in sorted(examples.glob("*.py"))} if examples.is_dir() else {}
    )
    stale: list[Path] = []
    problems: list[str] = []
    for name, text in wanted.items():
        path = examples / name
        if name not in present:
            problems.append(f"{display_path(path)}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{display_path(path)}: differs from its slides")
    for name, path in present.items():
        if name in wanted:
            continue
        origins = generated_from(path)
        if origins is None:
            problems.append(f"{display_path(path)}: has no source: written by hand?")
        elif not patterns or in_scope.intersection(origins):
            stale.append(path)
            problems.append(f"{display_path(path)}: stale: no slide tags it")
    if check:
        for problem in problems:
            print(problem)
        if problems:
            print("examples/ is out of date: run `python build.py extract`", file=sys.stderr)
        return 1 if problems else 0
    examples.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        path = examples / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomically(path, text)
            print(f"wrote {display_path(path)}")
    for path in stale:
        path.unlink()
        print(f"removed stale {display_path(path)}")
    return 0


# --------------------------------------------------------------------------- serving and printing

# Debian's chromium as the browser tests drive it: no sandbox (containers), no GPU, no phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
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
            if line.startswith("build.py: error:"):
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


def find_chromium() -> str:
    """Debian's chromium (or $CHROMIUM): Playwright's own browser download is not used."""
    import shutil

    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise BuildError("Chromium not found: `apt-get install chromium`, or set CHROMIUM=/path")


def print_pdf(out: Path) -> Path:
    """Print out/index.html through reveal.js's print view into out/talk.pdf, a page per slide."""
    index = out / "index.html"
    if not index.is_file():
        raise BuildError(f"{display_path(index)}: no deck to print; run `python build.py build`")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import Route, sync_playwright
    except ImportError:
        raise BuildError("playwright is not installed: pip install -e '.[dev]'") from None
    stale = [p for p in resolve_sources([]) if p.stat().st_mtime > index.stat().st_mtime]
    if out.resolve() == DEFAULT_OUT and stale:
        warning = f"build.py: warning: {display_path(stale[0])} is newer than the deck"
        print(warning, file=sys.stderr)
    chromium = find_chromium()
    pdf = out / "talk.pdf"
    partial = out / ".talk.pdf.partial"
    outside: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.route("**/*", offline)
                page.goto(index.resolve().as_uri() + "?print-pdf")
                ready = "() => window.Reveal?.isReady() && document.querySelector('.pdf-page')"
                page.wait_for_function(ready, timeout=60_000)
                page.evaluate("() => document.fonts.ready")
                page.pdf(path=str(partial), prefer_css_page_size=True, print_background=True)
            finally:
                browser.close()
    except PlaywrightError as error:
        partial.unlink(missing_ok=True)
        raise BuildError(f"printing {display_path(index)} failed: {error.message}") from None
    if outside:
        partial.unlink(missing_ok=True)
        raise BuildError(f"the deck tried to load {outside[0]} while printing")
    os.replace(partial, pdf)
    return pdf


# --------------------------------------------------------------------------- command line


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="build.py",
        description="Build the talk from jupytext percent-format slides.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build_cmd = commands.add_parser(
        "build",
        help="execute the sources and render one offline reveal.js deck",
        description="Execute each source in a fresh kernel of this interpreter, then render them, "
        "in order, into OUT/index.html (one self-contained file) and OUT/notebooks/*.ipynb. "
        "A failed build leaves the previous deck untouched.",
    )
    build_cmd.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"percent-format .py files (default: {DEFAULT_SOURCES})",
    )
    build_cmd.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/)"
    )
    build_cmd.add_argument(
        "--timeout", type=int, default=60, help="per-cell timeout in seconds (default: 60)"
    )
    build_cmd.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="sources executed in parallel kernels (default: the number of cores)",
    )
    build_cmd.add_argument(
        "--no-cache",
        dest="use_cache",
        action="store_false",
        help="execute every source even if its cached outputs are still valid "
        f"(the cache lives in {display_path(CACHE)}/, or $BUILD_CACHE_DIR)",
    )

    extract_cmd = commands.add_parser(
        "extract",
        help="write the tagged code cells into examples/ modules",
        description="Join the code cells tagged example:NAME into examples/NAME.py, "
        "in source order, formatted with ruff. "
        "With --check, write nothing and exit 1 if examples/ differs.",
    )
    extract_cmd.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"percent-format .py files (default: {DEFAULT_SOURCES})",
    )
    extract_cmd.add_argument(
        "--examples",
        type=Path,
        default=DEFAULT_EXAMPLES,
        help="the examples package (default: examples/)",
    )
    extract_cmd.add_argument("--check", action="store_true", help="report drift instead of writing")

    serve_cmd = commands.add_parser(
        "serve",
        help="serve the deck on 127.0.0.1, rebuild it on changes and reload the browser",
        description="Build the sources into OUT/, serve OUT/ on 127.0.0.1, rebuild whenever a file "
        "in the sources' folders or the templates changes, and make open browsers reload. "
        "The served HTML gets a small reload script; the built file never does. Ctrl-C stops.",
    )
    serve_cmd.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"percent-format .py files (default: {DEFAULT_SOURCES})",
    )
    serve_cmd.add_argument(
        "--port", type=int, default=8000, help="0 picks a free port (default: 8000)"
    )
    serve_cmd.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/)"
    )
    serve_cmd.add_argument(
        "--timeout", type=int, default=60, help="per-cell timeout in seconds (default: 60)"
    )

    pdf_cmd = commands.add_parser(
        "pdf",
        help="print the built deck to OUT/talk.pdf, one page per slide",
        description="Open OUT/index.html in headless Chromium with reveal.js's print view "
        "(?print-pdf) and print it to OUT/talk.pdf: one page per slide, fragments shown. "
        "Needs Chromium ($CHROMIUM, or `chromium` on the PATH) and a built deck.",
    )
    pdf_cmd.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="the built deck's folder (default: build/)"
    )
    return main


def run(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "build":
            index = build(args.sources, args.out, args.timeout, args.jobs, args.use_cache)
            print(f"wrote {display_path(index)}", file=sys.stderr)
            return 0
        if args.command == "extract":
            return extract(args.sources, args.examples, args.check)
        if args.command == "serve":
            return serve(args.sources, args.out, args.port, args.timeout)
        if args.command == "pdf":
            pdf = print_pdf(args.out)
            print(f"wrote {display_path(pdf)}", file=sys.stderr)
            return 0
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted; the previous deck is untouched", file=sys.stderr)
        return 128 + signal.SIGINT
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(run())
