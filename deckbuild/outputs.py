"""A kernel's outputs as the deck's HTML, one at a time: the markup nbconvert's lab template gives.

`present` sends these to the browser as a cell runs (Forward makes its protocol's messages), so
that a live output looks exactly like the built one: the same classes, prompts, ANSI colours and
syntax highlighting.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping
from typing import Any

from nbconvert.filters import ansi2html as nbconvert_ansi2html
from nbconvert.filters import markdown2html
from nbconvert.filters.highlight import Highlight2HTML

from deckbuild.alttext import DISPLAY_PRIORITY, alt_attribute
from deckbuild.execute import MAX_OUTPUT  # what one run may send: as much as a built cell
from deckbuild.machinepaths import shorten, shorten_output

# what the deck cannot run: widgets and scripts, and Mermaid (the deck loads no Mermaid)
NOT_ON_A_SLIDE = (
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/vnd.mermaid",
)
PRIORITY = tuple(mime for mime in DISPLAY_PRIORITY if mime not in NOT_ON_A_SLIDE)
LEXER = "ipython3"  # the kernel's language_info.pygments_lexer, which the build highlights with
TRUNCATED = "\n[present: more than 1 MB of output; the rest is not shown]\n"


def ansi2html(text: str) -> str:
    """Text escaped for HTML, its ANSI colours as nbconvert's `ansi-*` spans."""
    converted: str = nbconvert_ansi2html(text)  # type: ignore[no-untyped-call]
    return converted


def highlight(code: str) -> str:
    """A cell's code as the deck shows it: `<div class="highlight hl-ipython3"><pre>...`."""
    highlighter = Highlight2HTML(pygments_lexer=LEXER)  # type: ignore[no-untyped-call]
    marked: str = highlighter(code)
    # nbconvert asks for the class " highlight hl-ipython3"; its HTML clean-up drops the space
    return marked.replace('class=" highlight', 'class="highlight', 1).strip()


def child(inner: str, execution_count: int | None = None, result: bool = False) -> str:
    """One `jp-OutputArea-child`: the prompt (`Out[n]:` for a result) and the output itself."""
    if result:
        count = "&nbsp;" if execution_count is None else str(execution_count)
        prompt = f'<div class="jp-OutputPrompt jp-OutputArea-prompt">Out[{count}]:</div>'
        div = '<div class="jp-OutputArea-child jp-OutputArea-executeResult">'
        return f"{div}\n{prompt}\n{inner}\n</div>"
    return (
        '<div class="jp-OutputArea-child">\n'
        f'<div class="jp-OutputPrompt jp-OutputArea-prompt"></div>\n{inner}\n</div>'
    )


def text_block(text_html: str, mime: str, extra: str = "") -> str:
    return (
        f'<div class="jp-RenderedText jp-OutputArea-output{extra}" data-mime-type="{mime}" '
        f'tabindex="0">\n<pre>{text_html}</pre>\n</div>'
    )


def stream_html(name: str, text: str) -> str:
    """A new stream block, stdout or stderr, holding text."""
    mime = "application/vnd.jupyter.stderr" if name == "stderr" else "text/plain"
    return child(text_block(ansi2html(text), mime))


def error_html(traceback: list[str]) -> str:
    """A traceback, each line's ANSI colours kept, as nbconvert shows an error output."""
    lines = "".join("\n" + ansi2html(line) for line in traceback)
    return child(text_block(lines, "application/vnd.jupyter.stderr"))


def image(mime: str, data: str, metadata: Mapping[str, Any], extra: str) -> str:
    """An <img> of base64 data, sized and marked as nbconvert's data_png block does."""
    own = metadata.get(mime, {}) if isinstance(metadata.get(mime), Mapping) else {}
    attributes = alt_attribute(metadata, mime)
    classes = []
    if own.get("unconfined", metadata.get("unconfined")):
        classes.append("unconfined")
    background = own.get("needs_background", metadata.get("needs_background"))
    if background in ("light", "dark"):
        classes.append(f"jp-needs-{background}-background")
    attributes += f' class="{" ".join(classes)}"'
    src = f"data:{mime};base64,{html.escape(data.strip())}"
    attributes += f' src="{src}"'
    for size in ("width", "height"):
        value = own.get(size, metadata.get(size))
        if value is not None:
            attributes += f' {size}="{html.escape(str(value))}"'
    div = f'<div class="jp-RenderedImage jp-OutputArea-output{extra}" tabindex="0">'
    return f"{div}\n<img {attributes}/>\n</div>"


def data_html(data: Mapping[str, Any], metadata: Mapping[str, Any], extra: str) -> str:
    """The richest representation of a display_data or execute_result the deck can show."""
    mime = next((m for m in PRIORITY if m in data), None)
    if mime is None:
        return ""
    value = data[mime]
    if isinstance(value, list):  # nbformat allows multi-line strings as lists of lines
        value = "".join(value)
    if mime == "text/html":
        return (
            f'<div class="jp-RenderedHTMLCommon jp-RenderedHTML jp-OutputArea-output{extra}" '
            f'data-mime-type="text/html" tabindex="0">\n{value}\n</div>'
        )
    if mime == "text/markdown":
        rendered = markdown2html(value)
        return (
            f'<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-OutputArea-output{extra}" '
            f'data-mime-type="text/markdown" tabindex="0">\n{rendered}\n</div>'
        )
    if mime == "image/svg+xml":
        encoded = base64.b64encode(str(value).encode("utf-8")).decode("ascii")
        return (
            f'<div class="jp-RenderedSVG jp-OutputArea-output{extra}" '
            f'data-mime-type="image/svg+xml" tabindex="0">\n'
            f'<img {alt_attribute(metadata, mime)} src="data:image/svg+xml;base64,{encoded}"/>'
            "\n</div>"
        )
    if mime == "text/latex":
        return (
            f'<div class="jp-RenderedLatex jp-OutputArea-output{extra}" '
            f'data-mime-type="text/latex" tabindex="0">\n{html.escape(value)}\n</div>'
        )
    if mime in ("image/png", "image/jpeg"):
        return image(mime, str(value), metadata, extra)
    return text_block(ansi2html(str(value)), "text/plain", extra)


def output_html(msg_type: str, content: Mapping[str, Any]) -> str:
    """The HTML of one iopub output message (stream, display_data, execute_result, error)."""
    if msg_type == "stream":
        return stream_html(str(content.get("name", "stdout")), str(content.get("text", "")))
    if msg_type == "error":
        return error_html([str(line) for line in content.get("traceback", [])])
    data = content.get("data", {})
    metadata = content.get("metadata", {})
    if msg_type == "execute_result":
        inner = data_html(data, metadata, " jp-OutputArea-executeResult")
        return child(inner, content.get("execution_count"), result=True) if inner else ""
    if msg_type == "display_data":
        inner = data_html(data, metadata, "")
        return child(inner) if inner else ""
    return ""


class Run:
    """One request to run a cell, and its socket: the protocol's messages from the kernel's."""

    def __init__(
        self, run_id: str, code: str | None, send: Callable[[dict[str, Any]], None], cell: int
    ) -> None:
        self.id = run_id
        self.code = code  # None: the cell's own code in its file, set when the run starts
        self.cell = cell  # the cell's index in its file
        self.show_input = code is not None  # whether `started` shows the code (remove-input not)
        self.send = send  # queues a message for the socket that asked, never blocks
        self.started = False
        self.interrupted = False
        self.size = 0  # characters of output sent so far: text, or the HTML of rich outputs

    def start(self, count: int | None) -> None:
        if not self.started:
            self.started = True
            html = highlight(self.code) if self.show_input and self.code is not None else None
            self.send(
                {"type": "started", "id": self.id, "input_html": html, "execution_count": count}
            )

    def forward(self, msg_type: str, content: Mapping[str, Any]) -> None:
        """Pass one iopub message of this run on, as started, output or clear."""
        if msg_type == "execute_input":
            self.start(content.get("execution_count"))
            return
        self.start(None)  # an output before its execute_input: not from ipykernel, but allowed
        if msg_type == "clear_output":
            self.send({"type": "clear", "id": self.id, "wait": bool(content.get("wait"))})
            return
        if self.size >= MAX_OUTPUT:
            return
        content = shorten_output(msg_type, content)  # the folders named as the built deck does
        if msg_type == "stream":  # a runaway loop must not bury the browser: stop at the limit
            content = {**content, "text": str(content.get("text", ""))[: MAX_OUTPUT - self.size]}
        html = output_html(msg_type, content)
        if html:
            self.size += len(content["text"]) if msg_type == "stream" else len(html)
            self.output(msg_type, content, html)
        if self.size >= MAX_OUTPUT:  # and say so, once
            notice = {"name": "stderr", "text": TRUNCATED}
            self.output("stream", notice, output_html("stream", notice))

    def output(self, msg_type: str, content: Mapping[str, Any], html: str) -> None:
        message: dict[str, Any] = {"type": "output", "id": self.id, "html": html}
        message["stream"] = content.get("name", "stdout") if msg_type == "stream" else None
        message["text_html"] = ansi2html(str(content["text"])) if msg_type == "stream" else None
        self.send(message)

    def done(self, status: str, message: str | None = None) -> None:
        self.send({"type": "done", "id": self.id, "status": status, "message": message})

    def finish(self, reply: Mapping[str, Any]) -> None:
        """done, from the kernel's execute_reply."""
        status = reply.get("status")
        if status == "error" and self.interrupted:
            self.done("interrupted", "interrupted")
        elif status == "error":
            self.done("error", shorten(f"{reply.get('ename')}: {reply.get('evalue')}"))
        else:
            self.done(status if status in ("ok", "aborted") else "error")
