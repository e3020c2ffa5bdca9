# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown] slideshow={"slide_type": "slide"} minutes=1
# # Testing async code: pytest-asyncio
#
# Every demo in this talk has tests, against real servers on 127.0.0.1. One of them:

# %% tags=["remove-cell"]
# Hidden setup: show tests exactly as they stand in tests/, read from their files, not pasted.
# Importing them also tells the build's cache to run this file again when they change.
import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from IPython.display import Code, display

PROJECT = Path.cwd().parent  # the slides run in slides/
sys.path.insert(0, str(PROJECT))
import tests.conftest
import tests.test_cats


def show_function(module: ModuleType, name: str) -> None:
    """Display the source of function `name` in `module`'s file, decorators included."""
    text = Path(str(module.__file__)).read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = text.splitlines()[first - 1 : node.end_lineno]
            display(Code("\n".join(lines), language="python"))
            return
    raise LookupError(f"{module.__file__} defines no function {name}")


# %% tags=["remove-input"]
show_function(tests.test_cats, "test_concurrent_strategies_start_every_request_before_any_ends")

# %% slideshow={"slide_type": "fragment"}
test = "tests/test_cats.py::test_concurrent_strategies_start_every_request_before_any_ends"
result = subprocess.run(
    [sys.executable, "-m", "pytest", "-q", test], cwd="..", capture_output=True, text=True
)
print(result.stdout)

# %% [markdown] slideshow={"slide_type": "notes"}
# With `asyncio_mode = "auto"` in `pyproject.toml`, pytest-asyncio runs every `async def test_`
# in an event loop of its own, and async fixtures (`session`, `cat_server_url`) are set up and
# torn down on that loop. `cat_server_url` starts the cat server on a free port for this one
# test; `parametrize` runs the test once per strategy: three tests. Assert only what is
# guaranteed: every request started before any finished, not how many milliseconds it took.
# The output is pytest's, run just now in a process of its own.

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["backup"]
# ## Deeper: the fixture that starts a real server
#
# From `tests/conftest.py`: every server a test starts is stopped when the test ends.

# %% tags=["remove-input"]
show_function(tests.conftest, "start_cat_server")

# %% [markdown] slideshow={"slide_type": "notes"}
# A fixture that is a factory: a test may start several servers with different latencies, and
# the `yield` hands over the factory; what follows it is the teardown. The settings that make
# the suite strict live in `pyproject.toml`: `filterwarnings = ["error"]` (a never-awaited
# coroutine fails the test), `--strict-markers`, and a timeout so that no test hangs CI.
