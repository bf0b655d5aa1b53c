"""Markdown pages and their HTML twins, for the reports sovai writes.

The reports use CommonMark with pipe tables (headings, paragraphs, lists, tables, images, inline
code, emphasis, links, fenced code). :func:`to_html` renders them with markdown-it-py; images keep
their relative paths, so the HTML works next to its figures.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;line-height:1.5;color:#222}table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #eee;margin:.5rem 0}
code{background:#f3f3f3;padding:0 .2rem}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}"""


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown pipe table (cells converted with ``str``; pipes escaped)."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def to_html(markdown: str, *, title: str) -> str:
    """Render Markdown (CommonMark and pipe tables) as a standalone HTML page."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + body + "</body></html>\n"
    )


def write_page(folder: Path, stem: str, markdown: str, *, title: str) -> tuple[Path, Path]:
    """Write ``stem.md`` and ``stem.html`` into ``folder``; return both paths."""
    from sim.outputs import write_file_atomically

    folder.mkdir(parents=True, exist_ok=True)
    md_path = write_file_atomically(folder / f"{stem}.md", markdown)
    html_path = write_file_atomically(folder / f"{stem}.html", to_html(markdown, title=title))
    return md_path, html_path
