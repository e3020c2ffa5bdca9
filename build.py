#!/usr/bin/env python3
"""Build the talk: execute percent-format slides into one offline reveal.js deck, extract examples.

    python build.py build [SOURCES...] [--out DIR] [--timeout SECONDS]
    python build.py extract [--check]

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
import mimetypes
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, cast

import jupytext
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.exporters import SlidesExporter
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


def execute(source: Source, timeout: int) -> NotebookNode:
    """Run every code cell in a fresh kernel of this interpreter; raise BuildError on surprises."""
    notebook = source.notebook
    current: dict[str, int] = {}

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
            raise execution_error(source, current.get("index"), error, timeout, stderr) from None
        finally:
            shut_down(client)
    check_expected_errors(source)
    return notebook


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


def check_expected_errors(source: Source) -> None:
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
    resources = {"offline": reveal_assets(), "reveal": {"number": "c/t", "transition": "none"}}
    try:
        body, _ = exporter.from_notebook_node(notebook, resources=resources)
    except ValueError as error:  # e.g. "All cells are hidden, cannot create slideshow"
        raise BuildError(f"cannot render the deck: {error}") from None
    return str(body)


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


def build(patterns: Sequence[str], out: Path, timeout: int) -> Path:
    """Execute and render the sources into out/index.html; nothing is written unless all succeed."""
    paths = resolve_sources(patterns)
    check_writable(out)
    sources = [read_source(path) for path in paths]
    for source in sources:
        inline_images(source)
    for source in sources:
        print(f"executing {source.name}", file=sys.stderr, flush=True)
        execute(source, timeout)
    deck = render(merge([s.notebook for s in sources], deck_title(sources)))
    for source in sources:
        notebook_path = out / "notebooks" / f"{source.path.stem}.ipynb"
        text = nbformat.writes(source.notebook)  # type: ignore[no-untyped-call]
        write_atomically(notebook_path, text)
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


def origin(fragment: Fragment) -> str:
    """The fragment's file as the header names it: the same from whatever folder extract runs."""
    path = fragment.source.path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def module_text(name: str, fragments: Sequence[Fragment]) -> str:
    """The generated module, before formatting: header, hoisted imports, code, entry point."""
    trees = [parse_fragment(fragment) for fragment in fragments]
    check_notebook_only(fragments, trees)
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
    origins = "".join(f"\n    {origin}" for origin in dict.fromkeys(map(origin, fragments)))
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
    """Write (or, with check, compare) examples/; returns the exit status."""
    sources = [read_source(path) for path in resolve_sources(patterns)]
    wanted = generate_examples(sources)
    present = (
        {path.name: path for path in sorted(examples.glob("*.py"))} if examples.is_dir() else {}
    )
    problems: list[str] = []
    for name, text in wanted.items():
        path = examples / name
        if name not in present:
            problems.append(f"{display_path(path)}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{display_path(path)}: differs from its slides")
    for name, path in present.items():
        if name not in wanted:
            generated = GENERATED in path.read_text(encoding="utf-8", errors="replace")
            reason = "stale: no slide tags it" if generated else "has no source: written by hand?"
            problems.append(f"{display_path(path)}: {reason}")
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
    for name, path in present.items():
        if name not in wanted and GENERATED in path.read_text(encoding="utf-8", errors="replace"):
            path.unlink()
            print(f"removed stale {display_path(path)}")
    return 0


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
    return main


def run(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "build":
            index = build(args.sources, args.out, args.timeout)
            print(f"wrote {display_path(index)}", file=sys.stderr)
            return 0
        if args.command == "extract":
            return extract(args.sources, args.examples, args.check)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("build.py: interrupted; the previous deck is untouched", file=sys.stderr)
        return 128 + signal.SIGINT
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(run())
