"""Running a source's cells in a kernel of this interpreter, and checking what they printed.

Knows nothing of caches or files: it gets a Source and gives back the executed notebook.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any, cast

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from deckbuild.errors import BuildError
from deckbuild.machinepaths import shorten_output
from deckbuild.paths import ROOT
from deckbuild.sources import Source, cell_tags, code_cells

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOISE = "running over TCP without encryption"  # jupyter_client's usual start-up warning
SOCKET_PATH_ROOM = 100  # a Unix socket's path: 107 bytes on Linux, less the "-5" of the fifth
MAX_OUTPUT = 1_000_000  # characters of text one cell may put on a slide
# Run last in every kernel: which module files did the cells import?
IMPORTED_FILES_PROBE = """\
import json as _json, sys as _sys
print(_json.dumps(sorted({
    str(getattr(_m, "__file__", None)) for _m in list(_sys.modules.values())
    if getattr(_m, "__file__", None)
})))"""


def kernel_argv() -> list[str]:
    """The command that starts a kernel of this interpreter."""
    return [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


class ProjectKernelSpecManager(KernelSpecManager):
    """Every kernel name means this interpreter: installed kernelspecs are never consulted."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=kernel_argv(),
            display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (project)",
            language="python",
            resource_dir=str(ROOT),
        )


class ProjectKernelManager(AsyncKernelManager):
    """A kernel manager whose only kernelspec is this interpreter, talking to its kernel over
    Unix sockets of its own.

    Over TCP, jupyter_client picks five free ports and lets them go for the kernel to bind: a
    kernel starting at the same moment can take one first, and this kernel dies before it
    replies ("Address already in use"), as it did about once in 300 starts with a dozen at a
    time. Unix sockets named after this manager cannot be taken by another kernel.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_spec_manager", ProjectKernelSpecManager())
        if os.name == "posix":
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", socket_prefix())
        super().__init__(**kwargs)


def socket_prefix() -> str:
    """Where a kernel's five sockets go: PREFIX-1 ... PREFIX-5, in Jupyter's runtime folder (only
    its user can enter it), or in the temporary folder if that path is too long for a socket."""
    name = f"deck-kernel-{uuid.uuid4().hex[:12]}"
    folder = Path(jupyter_runtime_dir())
    if len(str(folder / name)) > SOCKET_PATH_ROOM:
        folder = Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)


def kernel_environment() -> dict[str, str]:
    """The environment kernels run with: ours, minus debugpy's warning about frozen modules."""
    return dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")


@dataclasses.dataclass
class Executed:
    """A source's notebook with outputs, the files its kernel imported, how long it took."""

    notebook: NotebookNode
    imported: list[str]
    seconds: float


def execute(source: Source, timeout: int) -> Executed:
    """Run every code cell in a fresh kernel of this interpreter; raise BuildError on surprises."""
    started = time.perf_counter()
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
    # The kernel's own stderr goes to a file: shown when the kernel dies, hidden otherwise.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        try:
            client.execute(env=kernel_environment(), stderr=stderr)
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
    for cell in code_cells(notebook):  # where this machine keeps things is no slide's business
        shortened = [shorten_output(output.output_type, output) for output in cell.outputs]
        cell.outputs = nbformat.from_dict(shortened)  # type: ignore[no-untyped-call]
    check_outputs(source)
    check_expected_errors(source)
    imported = json.loads("".join(o.get("text", "") for o in probe.outputs) or "[]")
    local = [path for path in imported if is_local(Path(path), source)]
    return Executed(notebook, local, time.perf_counter() - started)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def execute_in_worker(source: Source, timeout: int) -> Executed:
    """execute() in a pool process; SIGTERM interrupts it like Ctrl-C: its kernel is shut down.

    The worker's own Ctrl-C disposition is restored after (running a kernel resets it), so that
    a worker told to ignore Ctrl-C, as serve's are, still does.
    """
    signal.signal(signal.SIGTERM, interrupt)
    sigint = signal.getsignal(signal.SIGINT)
    try:
        return execute(source, timeout)
    finally:
        signal.signal(signal.SIGINT, sigint)


def execution_error(
    source: Source, index: int | None, error: Exception, timeout: int, stderr: IO[str]
) -> BuildError:
    """One short message for what went wrong while executing source."""
    if index is None:
        return BuildError(f"{source.name}: the kernel did not start: {error}{last_words(stderr)}")
    if isinstance(error, CellTimeoutError):
        return BuildError(f"{source.where(index)}: timed out after {timeout} s (raise --timeout?)")
    if isinstance(error, DeadKernelError):
        return BuildError(f"{source.where(index)}: the kernel died{last_words(stderr)}")
    found = error_output(source.notebook.cells[index])
    if found is None:
        return BuildError(f"{source.where(index)}: {type(error).__name__}: {error}")
    ename, evalue, line = found
    return BuildError(f"{source.where(index, line)}: {ename}: {evalue}")


def last_words(stderr: IO[str]) -> str:
    """` (its last / three lines)` of a dead kernel's stderr file, without the usual warning."""
    stderr.seek(0)
    lines = [line for line in stderr.read().splitlines() if line.strip() and NOISE not in line]
    return f" ({' / '.join(lines[-3:])})" if lines else ""


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
        if "remove-output" in cell_tags(cell):
            continue
        size = output_size(cell)
        if size > MAX_OUTPUT:
            raise BuildError(
                f"{source.where(index)}: printed {size / 1e6:.1f} MB of text, more than a slide "
                f"can show (limit {MAX_OUTPUT / 1e6:.0f} MB); print less or tag it remove-output"
            )


def check_expected_errors(source: Source) -> None:
    """Cells tagged raises-exception raised, and raised what their `raises` names."""
    for index, cell in enumerate(source.notebook.cells):
        tags = cell_tags(cell)
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
