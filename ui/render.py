"""HTML and chat markup for the browser chat, with every untrusted string escaped.

Article text, titles, sources, file names and the user's own words are data. They reach the page
only through `esc` (HTML) or `chat_text` (the chatbot's Markdown), so `<script>`, an
`onerror` attribute, a `javascript:` link or a Markdown image `![x](http://evil/x.png)` shows as
the characters it is made of and never becomes a live element or a request. The only markup on
the page is the markup written in this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import urlparse

from rag.answer import Answer, Citation
from rag.dates import human
from rag.retrieval import Passage
from rag.store import ArticleRecord

#: Characters that mean something to Markdown, to the chatbot's template layer or to GFM
#: autolinks (":" for "javascript:"/"http:", "." for "www.", "@" for e-mail). Written as
#: numeric character references they display unchanged and parse as plain text.
_MARKDOWN_ACTIVE = set("\\`*_{}[]()#+-.!|~<>$:@=^%\"'&")
_CITE = re.compile(r"\[(\d{1,3})\]")


def esc(text: object) -> str:
    """HTML-escape `text`, also the braces and dollar signs a client-side template could expand."""
    return (
        html.escape(str(text), quote=True)
        .replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;").replace("`", "&#96;")
    )


def chat_text(text: str) -> str:
    """`text` as chatbot Markdown that renders as exactly these characters, inert."""
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_ACTIVE else ch for ch in text)


def day(published: str | None) -> str:
    return human(date.fromisoformat(published)) if published else "undated"


# ---- chat messages ------------------------------------------------------------------------------


def answer_message(answer: Answer, turn: int, filters: str = "") -> str:
    """The finished answer: its `[n]` markers become links that open the cited article. Under
    it, how a follow-up was understood and which filters applied: both change what was searched."""
    numbers = {c.n for c in answer.citations}
    parts, last = [], 0
    for m in _CITE.finditer(answer.text):
        if int(m.group(1)) not in numbers:
            continue
        parts.append(chat_text(answer.text[last : m.start()]))
        n = int(m.group(1))
        parts.append(f'<a class="cite" href="#cite-{turn}-{n}" data-cite="{turn}-{n}" title="Open source {n}">[{n}]</a>')
        last = m.end()
    parts.append(chat_text(answer.text[last:]))
    body = "".join(parts)
    if answer.abstained:
        body = f'<span class="abstain">{body}</span>'

    if answer.standalone and answer.standalone != answer.question:
        body += f'\n\n<span class="understood">Understood as: {chat_text(answer.standalone)}</span>'
    if filters:
        body += f'\n\n<span class="understood">Filters: {chat_text(filters)}</span>'
    notes = [w for w in answer.warnings if w != answer.text]
    if notes:
        body += "".join(f'\n\n<span class="warning">⚠ {chat_text(w)}</span>' for w in notes)
    return body


def partial_message(text: str, pending: str = "") -> str:
    """An answer still being written: `pending` is not verified yet, so it is shown faded."""
    shown = chat_text(text)
    if pending:
        shown += f' <span class="pending">{chat_text(pending)}</span>'
    return shown + ' <span class="caret">▍</span>'


def filters_note(after: str | None, before: str | None, sources: Sequence[str] | None) -> str:
    """The active filters in words ("" when none), e.g. "published from 1 Jan 2025; sources: X"."""
    parts = []
    if after and before:
        parts.append(f"published from {day(after)} to {day(before)}")
    elif after or before:
        parts.append(f"published {'from' if after else 'until'} {day(after or before)}")
    if sources:
        parts.append(("source: " if len(sources) == 1 else "sources: ") + ", ".join(sources))
    return "; ".join(parts)


def examples_html(questions: Sequence[str]) -> str:
    if not questions:
        return ""
    chips = "".join(f'<button class="chip" data-example="{esc(q)}">{esc(q)}</button>' for q in questions)
    return f'<div class="examples"><span class="try">Try:</span>{chips}</div>'


def chat_error(text: str) -> str:
    return f'<span class="warning">⚠ {chat_text(text)}</span>'


SEARCHING = '<span class="pending">Searching the articles…</span>'


# ---- sources panel ------------------------------------------------------------------------------

MAX_OTHERS = 6

SOURCES_EMPTY = (
    '<div class="sources-empty"><b>Sources appear here.</b> Every answer cites the passages it '
    "quotes with numbered markers like <span class=\"marker\">[1]</span>. Click a marker, or "
    "<i>Open article</i> on a source, to read the whole article with the quoted passage highlighted."
    "</div>"
)


def sources_html(answer: Answer, turn: int, selected: int | None = None) -> str:
    """One card per citation (title, source, date, quoted passage, open button), then the other
    passages that were searched, so even "the articles don't say" shows what was looked at."""
    out: list[str] = []
    if answer.abstained and answer.citations:
        out.append(
            '<div class="abstain-card"><b>The articles don\'t say.</b> The report quoted below says it is '
            "not known, or not given. Other passages searched are listed under it.</div>"
        )
        out.extend(_citation_card(c, turn, c.n == selected) for c in answer.citations)
    elif answer.abstained and answer.passages:
        out.append(
            '<div class="abstain-card"><b>No sentence answers this question clearly enough to quote.</b> '
            "The passages that matched best are listed below, in case one says it in other words. "
            "Try other words, widen the filters, or add articles in the <i>Corpus</i> tab.</div>"
        )
    elif answer.abstained:
        out.append(
            '<div class="abstain-card"><b>No passage matched.</b> No indexed article fits this '
            "question and the filters. Widen the filters, or add articles in the <i>Corpus</i> tab.</div>"
        )
    else:
        dates = sorted({c.passage.published for c in answer.citations if c.passage.published}, reverse=True)
        if len(dates) > 1:
            out.append(
                f'<div class="dated-note">These sources were published on {len(dates)} different dates, '
                f"from {esc(day(dates[-1]))} to {esc(day(dates[0]))}. Check each one's date.</div>"
            )
        out.extend(_citation_card(c, turn, c.n == selected) for c in answer.citations)
    cited = {c.passage.chunk_id for c in answer.citations}
    others = [p for p in answer.passages if p.chunk_id not in cited][:MAX_OTHERS]
    if others:
        label = "Passages searched" if answer.abstained else "Other passages searched"
        items = "".join(_passage_item(p) for p in others)
        opened = " open" if answer.abstained else ""
        out.append(f'<details class="others"{opened}><summary>{label} ({len(others)})</summary><ul>{items}</ul></details>')
    return "".join(out) or SOURCES_EMPTY


def _citation_card(c: Citation, turn: int, selected: bool) -> str:
    p = c.passage
    cls = "card selected" if selected else "card"
    return (
        f'<div class="{cls}" id="source-{turn}-{c.n}">'
        f'<div class="card-head"><span class="badge">[{c.n}]</span>'
        f'<span class="date">{esc(day(p.published))}</span></div>'
        f'<div class="title">{esc(p.title or p.doc_id)}</div>'
        f'<div class="meta">{esc(p.source or "unknown source")}</div>'
        f"<blockquote>{esc(' '.join(c.text.split()))}</blockquote>"
        f'<button class="open" data-cite="{turn}-{c.n}">Open article, passage highlighted</button>'
        "</div>"
    )


def _passage_item(p: Passage) -> str:
    snippet = " ".join(p.text.split())
    snippet = snippet[:220] + ("…" if len(snippet) > 220 else "")
    return (
        f'<li><span class="date">{esc(day(p.published))}</span> <b>{esc(p.title or p.doc_id)}</b> '
        f'<span class="meta">({esc(p.source or "unknown source")})</span><br>{esc(snippet)}</li>'
    )


# ---- article viewer -----------------------------------------------------------------------------


def article_html(record: ArticleRecord, text: str, start: int, end: int, n: int) -> str:
    """The whole article with `text[start:end]` (the cited span) in a <mark>."""
    link = ""
    if urlparse(record.url).scheme in ("http", "https"):
        link = f' · <a href="{esc(record.url)}" target="_blank" rel="noopener noreferrer nofollow">original ↗</a>'
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    body = f'{esc(text[:start])}<mark id="cited">{esc(text[start:end])}</mark>{esc(text[end:])}'
    return (
        f'<div class="article"><div class="article-head"><span class="badge">[{n}]</span> '
        f'<span class="title">{esc(record.title or record.doc_id)}</span></div>'
        f'<div class="meta">{esc(record.source or "unknown source")} · {esc(day(record.published))}{link}'
        f" · {record.chars:,} characters</div>"
        f'<div class="article-text">{body}</div></div>'
    )


# ---- corpus tab and header ----------------------------------------------------------------------

CORPUS_HEADERS = ["Title", "Published", "Source", "Chunks", "ID"]


def corpus_rows(articles: Iterable[ArticleRecord]) -> list[list]:
    """Rows for the corpus table (rendered by the table as plain text, never as HTML)."""
    return [[a.title or a.doc_id, a.published or "undated", a.source or "", a.chunks, a.doc_id] for a in articles]


def stats_line(info: dict) -> str:
    span = info.get("published_range")
    dates = f" · published {esc(day(span[0]))} to {esc(day(span[1]))}" if span else ""
    return (
        f"{info['articles']:,} articles · {len(info['sources']):,} sources · {info['chunks']:,} passages"
        f"{dates}"
    )


def corpus_summary_html(info: dict) -> str:
    return (
        f"<div><b>{info['articles']:,} articles</b> ({info['chunks']:,} passages) in the index at "
        f"<code>{esc(info['location'])}</code> ({esc(info['mode'])}).</div>"
    )


def header_html(info: dict) -> str:
    return (
        '<div class="header"><div class="brand">📰 News Q&amp;A</div>'
        '<div class="tagline">Ask about the articles. Every answer quotes its sources, with their dates.</div>'
        f'<div class="stats">{stats_line(info)}</div></div>'
    )


def message_html(kind: str, text: str) -> str:
    """A status line under the question box or the upload button: kind is "error", "ok" or "info"."""
    icon = {"error": "⚠", "ok": "✓", "info": "ℹ"}[kind]
    return f'<div class="status {kind}" role="status">{icon} {esc(text)}</div>'


def lines_html(kind: str, lines: Sequence[str]) -> str:
    return "".join(message_html(kind, line) for line in lines)
