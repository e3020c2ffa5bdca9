"""`build.py present`: a kernel per file, replayed; streamed outputs as built; faults; shutdown.

Its guard (token, Host, Origin) is tested in test_present_guard.py.
"""

from __future__ import annotations

import re
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bs4 import BeautifulSoup

from deckbuild.outputs import TRUNCATED
from tests.live_client import Presenter, done, presenting, text
from tests.test_bad_decks import processes_with

DEMO = """\
# %% [markdown] slideshow={"slide_type": "slide"}
# # A live deck

# %% tags=["remove-cell"]
SETUP = "the hidden setup ran"

# %%
print("hello <world>")

# %%
def fibonacci(n: int) -> int:
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)

# %%
import asyncio

for i in range(3):
    print(f"line {i}")
    await asyncio.sleep(0.2)

# %% tags=["raises-exception"]
raise ValueError("expected on this slide")

# %% tags=["skip-execution"]
await asyncio.sleep(60)

# %%
import base64

from IPython.display import HTML, SVG, Image, Markdown, display

display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9"/></svg>'))
display(HTML("<b>bold</b>"), Markdown("*markdown* `code`"))
display(Image(base64.b64decode(PNG), width=20))
print("\\x1b[31mred\\x1b[0m <b>")
1 + 1

# %%
word = "built"

# %% tags=["remove-input"]
print(f"the word is {word}")
"""
# a 1x1 pixel, for an image/png output
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
OTHER = """\
# %% [markdown] slideshow={"slide_type": "slide"}
# # Another file

# %%
x = 41

# %% tags=["skip-execution"]
import os; os._exit(1)
"""
# a cell that prints, then waits until the test creates a file, then prints again
WAITS_FOR = """\
import asyncio, pathlib
print({first!r}, flush=True)
while not pathlib.Path({go!r}).exists():
    await asyncio.sleep(0.05)
print({second!r})
"""
LOOP = 4  # 01_demo's cell index of the streaming loop; the cells above are 0 to 3
PRINT, RAISE, SLEEP, DISPLAY = "01_demo-2", "01_demo-5", "01_demo-6", "01_demo-7"
WORD, HIDDEN = "01_demo-8", "01_demo-9"  # `word = "built"`; a remove-input cell printing it
EXIT = "02_other-2"


def demo_cell(index: int) -> str:
    """The code of DEMO's cell index."""
    return DEMO.split("# %%")[index + 1].split("\n", 1)[1].strip() + "\n"


@pytest.fixture(scope="module")
def presenter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Presenter]:
    """One present server for the module; Ctrl-C at the end must leave no kernel behind."""
    slides = {"01_demo.py": DEMO.replace("PNG", repr(PNG)), "02_other.py": OTHER}
    with presenting(tmp_path_factory.mktemp("present"), slides) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_the_served_page_is_live_and_the_built_file_is_not(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """The page served with the token has the live parts and sets the cookie; build/ has neither."""
    async with session.get(f"{presenter.base}/?token={presenter.token}") as response:
        assert response.status == 200
        page = await response.text()
        cookie = response.headers["Set-Cookie"]
    assert "window.DECK_LIVE = " in page
    assert '"files": {"01_demo": "01_demo.py", "02_other": "02_other.py"}' in page
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    built = (presenter.out / "index.html").read_text(encoding="utf-8")
    assert "DECK_LIVE" not in built
    assert "__live__" not in built
    assert not any(
        presenter.token in p.read_text(errors="replace") for p in presenter.out.rglob("*.*")
    )


async def test_a_run_streams_its_output_then_ends_ok(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """The first line arrives while the cell still waits for the test, then done says ok."""
    socket = await presenter.connect(session)
    go = presenter.folder / f"go-{uuid.uuid4().hex}"
    code = WAITS_FOR.format(first="first", go=str(go), second="second")
    run_id = await socket.send_run(PRINT, code)
    started = await socket.until(lambda m: m.get("id") == run_id and m["type"] == "started")
    assert '<div class="highlight hl-ipython3"><pre>' in started["input_html"]
    first = await socket.until(lambda m: m.get("id") == run_id and m["type"] != "state")
    assert (first["type"], first["stream"], first["text_html"]) == ("output", "stdout", "first\n")
    go.touch()  # only now can the cell go on: its first line was not held back until the end
    messages = await socket.finish(run_id)
    assert text(messages) == "first\nsecond\n"
    assert done(messages)["status"] == "ok"


async def test_replay_ran_the_hidden_setup_and_earlier_cells(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """The kernel holds what the file's cells defined, and runs in the file's folder."""
    socket = await presenter.connect(session)
    code = "import os\nprint(SETUP, fibonacci(10), os.path.basename(os.getcwd()))"
    messages = await socket.run(PRINT, code)
    assert text(messages) == "the hidden setup ran 55 slides\n"


async def test_the_loop_cell_streams_line_by_line_before_done(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """The slide's own loop: its lines arrive in order, as outputs, all before done."""
    socket = await presenter.connect(session)
    messages = await socket.run(f"01_demo-{LOOP}", demo_cell(LOOP))
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "started"
    assert kinds[-1] == "done"
    assert "output" in kinds
    assert text(messages) == "line 0\nline 1\nline 2\n"


async def test_live_outputs_are_marked_up_as_the_built_deck(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """Code, text, a traceback, SVG, HTML, Markdown, PNG and a result look as in the built deck."""
    built = BeautifulSoup((presenter.out / "index.html").read_text(encoding="utf-8"), "html.parser")
    socket = await presenter.connect(session)
    for cell, code in (
        (PRINT, 'print("hello <world>")\n'),
        (RAISE, demo_cell(5)),
        (DISPLAY, demo_cell(7).replace("PNG", repr(PNG))),
    ):
        messages = await socket.run(cell, code)
        element = built.find(id=f"cell-id={cell}")
        assert element is not None
        started = next(m for m in messages if m["type"] == "started")
        assert parse(started["input_html"]) == str(element.select_one("div.highlight"))
        live = [parse(m["html"]) for m in messages if m["type"] == "output"]
        assert live == [parse(str(child)) for child in element.select(".jp-OutputArea-child")]
        if cell != PRINT:  # the traceback's colours, and the colours DISPLAY printed
            assert "ansi-red-fg" in "".join(m["html"] for m in messages if m["type"] == "output")
    assert done(messages)["status"] == "ok"


def parse(html: str) -> str:
    """HTML as BeautifulSoup writes it, execution counts blanked: the two builds differ in those."""
    return re.sub(r"(In|Out) ?\[\d+\]", r"\1[]", str(BeautifulSoup(html, "html.parser")))


async def test_a_run_without_code_runs_the_cells_own_code_from_its_file(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """A remove-input cell run without code prints what the runs before it left; no code shown."""
    socket = await presenter.connect(session)
    await socket.run(WORD, 'word = "live"')
    messages = await socket.run(HIDDEN)  # no "code" at all
    assert text(messages) == "the word is live\n"
    assert next(m for m in messages if m["type"] == "started")["input_html"] is None
    assert done(messages)["status"] == "ok"
    shown = await socket.run(WORD)  # a shown cell's own code: `word = "built"`, highlighted
    assert "built" in next(m for m in shown if m["type"] == "started")["input_html"]
    run_id = uuid.uuid4().hex
    await socket.ws.send_json({"type": "run", "id": run_id, "cell": HIDDEN, "code": None})
    assert text(await socket.finish(run_id)) == "the word is built\n"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"cell": "01_demo-0"}, "no code cell '01_demo-0'"),  # markdown
        ({"cell": "01_demo-99"}, "no code cell '01_demo-99'"),
        ({"cell": "03_none-1"}, "no code cell '03_none-1'"),
        ({"cell": HIDDEN, "code": 42}, "a run needs an id, and its code (if any) as text"),
    ],
    ids=["markdown", "past-the-end", "unknown-file", "code-not-text"],
)
async def test_a_run_of_no_code_cell_or_with_bad_code_is_an_error(
    presenter: Presenter, session: aiohttp.ClientSession, message: dict[str, Any], error: str
) -> None:
    """Without code, or with it, a run must name a code cell of a presented file, and code text."""
    socket = await presenter.connect(session)
    run_id = uuid.uuid4().hex
    await socket.ws.send_json({"type": "run", "id": run_id, **message})
    answer = await socket.until(lambda m: m.get("id") == run_id)
    assert answer == {"type": "error", "id": run_id, "message": error}


async def test_interrupt_ends_a_sleeping_cell(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """A top-level `await asyncio.sleep` stops when interrupted; the run ends as interrupted."""
    socket = await presenter.connect(session)
    run_id = await socket.send_run(SLEEP, "await asyncio.sleep(3600)")  # longer than WAIT
    await socket.until(lambda m: m.get("id") == run_id and m["type"] == "started")
    await socket.ws.send_json({"type": "interrupt", "file": "01_demo"})
    assert done(await socket.finish(run_id))["status"] == "interrupted"
    assert text(await socket.run(PRINT, "print('still here')")) == "still here\n"


async def test_a_dead_kernel_is_reported_and_a_restart_replays_it(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """os._exit ends the run as dead, runs are refused, a restart replays the file, then runs."""
    socket = await presenter.connect(session)
    died = done(await socket.run(EXIT, "import os; os._exit(1)"))
    assert died["status"] == "dead"
    assert "the kernel died" in died["message"]
    await socket.wait_state("02_other", "dead")
    assert done(await socket.run(EXIT, "print(x)"))["status"] == "dead"
    await socket.ws.send_json({"type": "restart", "file": "02_other"})
    run_id = await socket.send_run(EXIT, "print(x + 1)")
    messages = await socket.finish(run_id)
    assert messages[0] == {"type": "queued", "id": run_id, "reason": "replaying"}
    assert text(messages) == "42\n"  # x = 41 was replayed
    await socket.wait_state("02_other", "idle")
    assert [m["state"] for m in socket.log if m.get("file") == "02_other"][-4:] == [
        "starting",
        "replaying",
        "busy",
        "idle",
    ]


async def test_two_sockets_each_get_only_their_own_runs(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """A waits in 01_demo; B runs in 02_other meanwhile and queues behind A in 01_demo."""
    a, b = await presenter.connect(session), await presenter.connect(session)
    go = presenter.folder / f"go-{uuid.uuid4().hex}"
    code = WAITS_FOR.format(first="A1", go=str(go), second="A2")
    run_a = await a.send_run(PRINT, code)
    await a.until(lambda m: m.get("id") == run_a and m["type"] == "output")
    other = await b.run(EXIT, "print('B-other')")  # 02_other's kernel is free
    assert text(other) == "B-other\n"
    queued = await b.send_run(PRINT, "print('B-queued')")
    assert await b.until(lambda m: m.get("id") == queued) == {
        "type": "queued",
        "id": queued,
        "reason": "busy",
    }
    go.touch()
    assert text(await a.finish(run_a)) == "A1\nA2\n"
    assert text(await b.finish(queued)) == "B-queued\n"
    assert {m["id"] for m in a.log if m.get("id")} == {run_a}
    assert {m["id"] for m in b.log if m.get("id")} == {other[0]["id"], queued}


async def test_a_flood_of_output_is_cut_short_with_a_notice(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """Past 1 MB a run's output is no longer sent, and the browser is told so, once."""
    socket = await presenter.connect(session)
    messages = await socket.run(PRINT, "for i in range(100_000):\n    print('x' * 20)")
    printed = text(messages)
    assert printed.endswith(TRUNCATED)
    assert printed.startswith("x" * 20 + "\n")
    assert len(printed) == 1_000_000 + len(TRUNCATED)  # of the 2.1 MB the cell printed
    assert done(messages)["status"] == "ok"


async def test_a_closed_tab_leaves_the_kernels_for_the_next(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """What one connection defined is there for the next one."""
    first = await presenter.connect(session)
    await first.run(PRINT, "left_behind = 7")
    await first.ws.close()
    second = await presenter.connect(session)
    assert text(await second.run(PRINT, "print(left_behind)")) == "7\n"


async def test_an_edited_file_is_rebuilt_and_replayed(
    presenter: Presenter, session: aiohttp.ClientSession
) -> None:
    """Changing a file's code rebuilds the deck and restarts its kernel on the new code."""
    socket = await presenter.connect(session)
    source = presenter.folder / "slides" / "02_other.py"
    source.write_text(OTHER.replace("x = 41", "x = 41\ny = x + 1"), encoding="utf-8")
    await socket.wait_state("02_other", "starting")
    await socket.wait_state("02_other", "idle")
    assert text(await socket.run(EXIT, "print(y)")) == "42\n"
    assert "y = x + 1" in (presenter.out / "notebooks" / "02_other.ipynb").read_text()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_stopping_present_kills_every_kernel_and_what_it_started(
    tmp_path: Path, session: aiohttp.ClientSession, signum: int
) -> None:
    """Ctrl-C or SIGTERM: the server exits 0, and no kernel nor a process a cell started is left."""
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "01_one.py").write_text(OTHER.replace("x = 41", "y = 1"), encoding="utf-8")
    presenter = Presenter(tmp_path, [slides / "01_one.py"])
    try:
        socket = await presenter.connect(session)
        sleeper = "[sys.executable, '-c', 'import time; time.sleep(600)']"  # a demo server, say
        spawn = f"import subprocess, sys\nsubprocess.Popen({sleeper})"
        assert done(await socket.run("01_one-1", spawn))["status"] == "ok"
        await socket.ws.close()
        left = set(processes_with(presenter.marker)) - {presenter.process.pid}
        assert len(left) >= 2  # the kernel and the process its cell started
    finally:
        code = presenter.stop(signum)
    assert code == 0
    assert processes_with(presenter.marker) == []
