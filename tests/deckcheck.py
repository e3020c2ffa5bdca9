"""Static checks on a built deck, shared by the pipeline tests and the browser tests."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

# A URL a browser would fetch from the network: scheme-relative or http(s).
OUTSIDE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
URL_ATTRIBUTES = ("src", "href", "data-src", "poster", "action", "data", "background", "srcset")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")
CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)")
# The ways a script can load something by a literal address.
SCRIPT_LOAD = re.compile(
    r"""(?:\bimport\s*\(?|\bfetch\s*\(|\.src\s*=|\.href\s*=|\.open\s*\(\s*["'][A-Z]+["']\s*,)"""
    r"""\s*["'`]((?:https?:)?//[^"'`]*)""",
    re.IGNORECASE,
)


def outside_urls(html: str) -> list[str]:
    """Every place in the page that would make the browser load something from outside."""
    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    for tag in soup.find_all(True):
        for attribute in URL_ATTRIBUTES:
            value = tag.get(attribute)
            if isinstance(value, str) and OUTSIDE.match(value):
                found.append(f"<{tag.name} {attribute}={value!r}>")
        style = tag.get("style")
        if isinstance(style, str):
            found.extend(css_loads(style))
    for style_tag in soup.find_all("style"):
        found.extend(css_loads(style_tag.get_text()))
    for script in soup.find_all("script"):
        found.extend(
            f"script loads {match[1]!r}" for match in SCRIPT_LOAD.finditer(script.get_text())
        )
    return found


def css_loads(css: str) -> list[str]:
    css = CSS_COMMENT.sub("", css)
    urls = [f"css url({m[1]})" for m in CSS_URL.finditer(css) if OUTSIDE.match(m[1])]
    imports = [f"css @import {m[1]}" for m in CSS_IMPORT.finditer(css)]  # every import loads
    return urls + imports


def slide_sections(html: str) -> list[Tag]:
    """The top-level <section>s of the deck: one per horizontal slide."""
    soup = BeautifulSoup(html, "html.parser")
    slides = soup.select_one("div.reveal > div.slides")
    assert slides is not None, "the deck has no div.reveal > div.slides"
    return slides.find_all("section", recursive=False)
