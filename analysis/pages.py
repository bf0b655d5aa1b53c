"""Markdown pages and their HTML twins, for the reports sovai writes.

The reports are generated, so they use a small subset of Markdown: ``#`` headings, paragraphs,
``-`` lists, pipe tables, images ``![alt](path)``, inline ``code``, **bold**, links and fenced code
blocks. :func:`to_html` converts exactly that subset (no third-party dependency); images keep
their relative paths, so the HTML works next to its figures.
"""

from __future__ import annotations

import html
import re
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


def _inline(text: str) -> str:
    """Inline Markdown (code, images, links, bold, italics) to HTML; everything else escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        part = html.escape(part, quote=False)
        part = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", r'<img alt="\1" src="\2">', part)
        part = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', part)
        part = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", part)
        part = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", part)
        out.append(part)
    return "".join(out)


def _row(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [c.strip().replace("\\|", "|") for c in cells]


def to_html(markdown: str, *, title: str) -> str:
    """Convert the Markdown subset the reports use into a standalone HTML page."""
    lines = markdown.splitlines()
    body: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("```"):
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            body.append(f"<pre><code>{html.escape(chr(10).join(block))}</code></pre>")
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-{3,}", lines[i + 1].strip()):
            header = _row(stripped)
            i += 2
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_row(lines[i]))
                i += 1
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            rows_html = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>")
            continue
        if re.match(r"^[-*]\s+", stripped):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*]\s+", lines[i]):
                item = re.sub(r"^\s*[-*]\s+", "", lines[i])
                i += 1
                while (
                    i < len(lines)
                    and lines[i].startswith("  ")
                    and lines[i].strip()
                    and not re.match(r"^\s*[-*]\s+", lines[i])
                ):
                    item += " " + lines[i].strip()
                    i += 1
                items.append(f"<li>{_inline(item)}</li>")
            body.append("<ul>" + "".join(items) + "</ul>")
            continue
        paragraph = [stripped]
        i += 1
        while i < len(lines) and lines[i].strip() and not re.match(r"^(#{1,6}\s|\||[-*]\s|```)", lines[i].strip()):
            paragraph.append(lines[i].strip())
            i += 1
        body.append(f"<p>{_inline(' '.join(paragraph))}</p>")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_page(folder: Path, stem: str, markdown: str, *, title: str) -> tuple[Path, Path]:
    """Write ``stem.md`` and ``stem.html`` into ``folder``; return both paths."""
    from sim.outputs import write_file_atomically

    folder.mkdir(parents=True, exist_ok=True)
    md_path = write_file_atomically(folder / f"{stem}.md", markdown)
    html_path = write_file_atomically(folder / f"{stem}.html", to_html(markdown, title=title))
    return md_path, html_path
