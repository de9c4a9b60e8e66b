"""Rule documentation (Markdown from the rule packages) as safe HTML: raw HTML is never passed through."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@lru_cache(maxsize=256)
def render(text: str) -> Markup:
    return Markup(_md.render(text))  # noqa: S704 - markdown-it escapes everything; raw HTML is disabled
