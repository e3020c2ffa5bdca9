"""Math in markdown cells ($...$, $$...$$, \\(...\\), \\[...\\]) typeset with KaTeX at build time.

Each formula is taken out of its cell before rendering and replaced by a token that markdown
leaves alone; KaTeX (from node_modules, run once per build by node) typesets them all; the
rendered deck gets the HTML back in place of the tokens, and KaTeX's stylesheet with its fonts
inlined. A deck without math is left exactly as it was: no stylesheet, no fonts, no node.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

from nbformat import NotebookNode

from deckbuild.errors import BuildError, warn
from deckbuild.inline import inline_css
from deckbuild.paths import ROOT
from deckbuild.sources import Source

KATEX = ROOT / "node_modules" / "katex" / "dist"
RENDERER = Path(__file__).resolve().parent / "static" / "katex_render.js"
TOKEN = "KaTeXformula{:05d}z"  # letters and digits only: markdown passes it through untouched
TOKENS = re.compile(r"KaTeXformula(\d{5})z")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
TAG = re.compile(r"<[^<>]*>")
# KaTeX's fonts come as woff2, woff and ttf; every browser that runs reveal.js reads woff2
FONT_FALLBACKS = re.compile(r',\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)')


@dataclasses.dataclass
class Formula:
    """One formula: its TeX, whether it is displayed, and where it was written."""

    tex: str
    display: bool
    where: str
    written: str  # as it was typed, delimiters and all, for messages


def code_ranges(text: str) -> list[tuple[int, int]]:
    """Where text has fenced code blocks and inline code spans: their dollars are not math."""
    ranges: list[tuple[int, int]] = []
    offset, fence = 0, ""
    for line in text.splitlines(keepends=True):
        match = FENCE.match(line)
        if fence:
            ranges.append((offset, offset + len(line)))
            if match and match[1][0] == fence[0] and len(match[1]) >= len(fence):
                fence = ""
        elif match:
            fence = match[1]
            ranges.append((offset, offset + len(line)))
        offset += len(line)
    spans = [
        (m.start(), m.end())
        for m in CODE_SPAN.finditer(text)
        if not any(start <= m.start() < end for start, end in ranges)
    ]
    return sorted(ranges + spans)


def closing_dollar(text: str, start: int) -> int:
    """The index of the $ closing an inline formula opened just before start, or -1.

    As pandoc reads them: the opening $ has no space after it, the closing one no space before
    it and no digit after it, and a formula does not cross a blank line; `$5 and $6` is text.
    """
    if start >= len(text) or text[start].isspace():
        return -1
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if text.startswith("\n\n", index) or text.startswith("\n\r\n", index):
            return -1
        if char == "$":
            after = text[index + 1 : index + 2]
            if not text[index - 1].isspace() and not after.isdigit() and index > start:
                return index
            return -1
        index += 1
    return -1


def find_math(text: str) -> list[tuple[int, int, str, bool]]:
    """The formulas of a markdown text: (start, end, tex, display), in order.

    A backslash escapes a dollar (`\\$5` stays text); code spans and fenced code are skipped.
    """
    found: list[tuple[int, int, str, bool]] = []
    skips = code_ranges(text)
    index = 0
    while index < len(text):
        skip = next((end for start, end in skips if start <= index < end), None)
        if skip is not None:
            index = skip
            continue
        pairs = {"\\(": ("\\)", False), "\\[": ("\\]", True), "$$": ("$$", True)}
        opener = text[index : index + 2]
        if opener in pairs:
            closer, display = pairs[opener]
            end = text.find(closer, index + 2)
            if end > index + 2 and not any(index < start < end for start, _ in skips):
                found.append((index, end + 2, text[index + 2 : end].strip(), display))
                index = end + 2
                continue
        if text[index] == "\\":
            index += 2  # an escaped character, \$ among them
            continue
        if text[index] == "$" and (end := closing_dollar(text, index + 1)) > 0:
            found.append((index, end + 1, text[index + 1 : end], False))
            index = end + 1
            continue
        index += 1
    return found


class Typesetter:
    """The formulas of one build: taken out of the notebooks, typeset, put back into the deck."""

    def __init__(self) -> None:
        self.formulas: list[Formula] = []
        self.html: list[str] = []
        self.tokenised: dict[tuple[Path, int], str] = {}  # (file, cell index) -> its text

    def take_out(self, source: Source) -> None:
        """Find source's formulas and give each a token; notebook(source) will carry the tokens."""
        for index, cell in enumerate(source.notebook.cells):
            found = find_math(cell.source) if cell.cell_type == "markdown" else []
            text = cell.source
            for start, end, tex, display in reversed(found):
                line = text.count("\n", 0, start) + 1
                token = TOKEN.format(len(self.formulas))
                self.formulas.append(
                    Formula(tex, display, source.where(index, line), text[start:end])
                )
                text = text[:start] + token + text[end:]
            if found:
                self.tokenised[(source.path, index)] = text

    def notebook(self, source: Source) -> NotebookNode:
        """source's notebook (executed by now) with tokens for formulas; source stays as it is."""
        cells = []
        for index, cell in enumerate(source.notebook.cells):
            text = self.tokenised.get((source.path, index))
            if text is not None:
                cell = copy.copy(cell)
                cell.source = text
            cells.append(cell)
        notebook = copy.copy(source.notebook)
        notebook.cells = cells
        return notebook

    def typeset(self) -> None:
        """KaTeX's HTML for every formula taken out: one node process for all of them."""
        if not self.formulas:
            return
        node = shutil.which("node")
        if node is None:
            raise BuildError(f"{self.formulas[0].where}: typesetting math needs node on the PATH")
        if not (KATEX / "katex.js").is_file():
            raise BuildError("KaTeX is not installed (node_modules/katex): run `npm ci`")
        request = [{"tex": f.tex, "display": f.display} for f in self.formulas]
        done = subprocess.run(
            [node, str(RENDERER)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise BuildError(f"KaTeX failed: {done.stderr.strip()[-500:]}")
        results = json.loads(done.stdout)
        for formula, result in zip(self.formulas, results, strict=True):
            for message in result["warnings"]:
                warn(f"{formula.where}: {formula.written}: {message}")
            if "error" in result:
                raise BuildError(
                    f"{formula.where}: cannot typeset {formula.written}: {result['error']}"
                )
            self.html.append(result["html"])

    def put_in(self, deck: str) -> str:
        """The deck with the formulas' HTML in place of their tokens, and KaTeX's stylesheet."""
        if not self.formulas:
            return deck
        # a token inside a tag (a heading's id and anchor) becomes plain text, not markup
        deck = TAG.sub(lambda tag: TOKENS.sub("math", tag[0]), deck)
        deck = TOKENS.sub(lambda token: self.html[int(token[1])], deck)
        head = deck.index("</head>")
        style = f'<style type="text/css" id="katex">\n{katex_css()}\n</style>\n'
        return deck[:head] + style + deck[head:]


def katex_css() -> str:
    """katex.min.css with its woff2 fonts inlined (and no woff or ttf copies of them)."""
    path = KATEX / "katex.min.css"
    return inline_css(path, FONT_FALLBACKS.sub("", path.read_text(encoding="utf-8")))
