"""`build.py pdf`: the deck printed through reveal.js's print view, one page per slide."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.presenting import (
    ROOT,
    declared_slides,
    read_notebook,
    require_deck_and_chromium,
    source_paths,
)

# A page object's dictionary says /Type /Page; the page tree's nodes say /Type /Pages.
PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b")


def count_pages(pdf: bytes) -> int:
    """Page objects in a PDF that keeps them uncompressed, as Chromium's printer does."""
    assert b"/ObjStm" not in pdf, "objects are compressed: count pages with pypdf instead"
    return len(PAGE_OBJECT.findall(pdf))


def test_page_counter_tells_pages_from_the_page_tree() -> None:
    """The counter counts /Type /Page objects and never the /Type /Pages tree nodes."""
    pdf = b"1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> 2 0 obj << /Type /Page >> 3 0 obj"
    assert count_pages(pdf + b" << /Type/Page /Parent 1 0 R >>") == 2


def test_pdf_has_one_page_per_slide(tmp_path: Path) -> None:
    """`build.py pdf` prints a copy of the deck with exactly one page per slide of the sources."""
    deck, _ = require_deck_and_chromium()
    slides = declared_slides([read_notebook(path) for path in source_paths(deck)])
    shutil.copy(deck, tmp_path / "index.html")  # the deck is one self-contained file
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "pdf", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = (tmp_path / "talk.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert count_pages(pdf) == len(slides)
    assert not (tmp_path / ".talk.pdf.partial").exists()


def test_pdf_without_a_deck_says_what_to_do(tmp_path: Path) -> None:
    """With no built deck, `build.py pdf` exits 1 with one line telling how to build it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "pdf", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "no deck to print" in result.stderr
    assert "build.py build" in result.stderr
