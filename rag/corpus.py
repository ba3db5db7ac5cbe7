"""Articles in: folders of .txt/.md/.html files and .jsonl files, with their metadata.

A folder may hold a `metadata.toml` sidecar whose tables are named by file name and give
`title`, `source`, `published` (YYYY-MM-DD) and `url`. A text file may also begin with a
`date YYYY-MM-DD` line (the convention of our seed articles); that line is metadata, not text.

Loading never raises for one bad file: each problem becomes a `Skipped` with a reason, so a
folder with one broken file still ingests the rest and the report says what was left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from charset_normalizer import from_bytes

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
SIDECAR = "metadata.toml"

_DATE_LINE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?\s*", re.IGNORECASE)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` as valid Unicode, which Chroma, the encoders and `print` all require.

    Lone surrogates come from JSON escapes such as \\ud800 and from file names (or command-line
    arguments) that are not UTF-8, whose bytes Python keeps as U+DC80 to U+DCFF: those bytes are
    read as Windows-1252 (old Latin-1 archives), any other lone surrogate becomes U+FFFD."""
    if not _SURROGATE.search(text):
        return text

    def fix(match: re.Match) -> str:
        code = ord(match.group())
        return bytes([code - 0xDC00]).decode("cp1252", "replace") if 0xDC80 <= code <= 0xDCFF else "\ufffd"

    return _SURROGATE.sub(fix, text)


def _valid_fields(item) -> None:
    for name, value in vars(item).items():
        if isinstance(value, str) and _SURROGATE.search(value):
            object.__setattr__(item, name, valid_text(value))


#: Bump when what gets indexed for an article changes (chunking rules, the text the encoders
#: see): every article's version changes with it, so the next ingest re-indexes everything.
INDEX_RECIPE = "3"


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    title: str = ""
    source: str = ""
    published: date | None = None
    url: str = ""
    origin: str = ""  # where it was read from, for messages

    def __post_init__(self) -> None:
        _valid_fields(self)

    @property
    def text_hash(self) -> str:
        """Identity of the content alone: the same text under two names is one article."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def version(self) -> str:
        """Identity of content plus metadata: any change means re-indexing the article."""
        meta = json.dumps([self.title, self.source, self.published and self.published.isoformat(), self.url, INDEX_RECIPE])
        return hashlib.sha256((self.text + "\0" + meta).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Skipped:
    origin: str
    reason: str

    def __post_init__(self) -> None:
        _valid_fields(self)


def load(paths: Iterable[str | Path], max_file_mb: float = 20.0) -> Iterator[Article | Skipped]:
    """Every article under `paths` (files or folders, recursively), in a stable order."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield Skipped(str(path), "no such file or folder")
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
            if not files:
                yield Skipped(str(path), f"no {', '.join(sorted(SUPPORTED))} files in this folder")
            sidecars: dict[Path, dict] = {}
            for file in files:
                if file.parent not in sidecars:
                    sidecars[file.parent], problem = _read_sidecar(file.parent)
                    if problem:
                        yield problem
                meta = sidecars[file.parent].get(file.name, {})
                yield from load_file(file, meta, max_file_mb)
        else:
            sidecar, problem = _read_sidecar(path.parent)
            if problem:
                yield problem
            yield from load_file(path, sidecar.get(path.name, {}), max_file_mb)


def size_limit_mb(suffix: str, max_file_mb: float) -> float:
    """The largest file of this type we read: a .jsonl file holds many articles, so ten times more."""
    return max_file_mb * (10 if suffix.lower() in JSONL_SUFFIXES else 1)


def load_file(path: Path, meta: dict | None = None, max_file_mb: float = 20.0) -> Iterator[Article | Skipped]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        yield Skipped(str(path), f"unsupported file type {suffix or '(none)'}; use {', '.join(sorted(SUPPORTED))}")
        return
    try:
        size = path.stat().st_size
        limit = size_limit_mb(suffix, max_file_mb)
        if size > limit * 1024 * 1024:
            yield Skipped(str(path), f"file is {size / 2**20:.1f} MB, over the {limit:g} MB limit")
            return
        data = path.read_bytes()
    except OSError as err:
        yield Skipped(str(path), f"cannot read: {err.strerror or err}")
        return
    if suffix in JSONL_SUFFIXES:
        yield from parse_jsonl(data, str(path))
        return
    text = decode(data)
    if text is None:
        yield Skipped(str(path), "binary data, not text")
        return
    yield from parse_document(text, path.stem, suffix, meta or {}, str(path))


def parse_document(text: str, doc_id: str, suffix: str, meta: dict, origin: str) -> Iterator[Article | Skipped]:
    title = ""
    published = None
    if suffix in HTML_SUFFIXES:
        text, title, published = html_to_text(text)
    text, dated = strip_date_line(text)
    text = text.strip()
    if not text:
        yield Skipped(origin, "no text")
        return
    try:
        published = parse_date(meta["published"]) if meta.get("published") else (dated or published)
    except ValueError as err:
        yield Skipped(origin, f"bad published date in {SIDECAR}: {err}")
        return
    yield Article(
        id=str(meta.get("id") or doc_id),
        text=text,
        title=str(meta.get("title") or title or _first_line_title(text)),
        source=str(meta.get("source", "")),
        published=published,
        url=str(meta.get("url", "")),
        origin=origin,
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def parse_jsonl(data: bytes, origin: str) -> Iterator[Article | Skipped]:
    text = decode(data)
    if text is None:
        yield Skipped(origin, "binary data, not JSON lines")
        return
    if not text.strip():
        yield Skipped(origin, "empty file: no JSON lines")
        return
    # \n only: JSON strings may hold raw U+2028 or U+0085, which str.splitlines() would cut at
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield Skipped(where, f"not valid JSON ({err.msg})")
            continue
        if not isinstance(row, dict):
            yield Skipped(where, "not a JSON object")
            continue
        # JSON may escape control characters ("\u0000") that no file of text would hold
        row = {k: _CONTROL.sub("", v) if isinstance(v, str) else v for k, v in row.items()}
        missing = [name for name in ("id", "text") if not str(row.get(name) or "").strip()]
        if missing:
            yield Skipped(where, f"missing field(s): {', '.join(missing)}")
            continue
        try:
            published = parse_date(row["published"]) if row.get("published") else None
        except ValueError as err:
            yield Skipped(where, f"bad published date: {err}")
            continue
        body, dated = strip_date_line(str(row["text"]))
        yield Article(
            id=str(row["id"]).strip(),
            text=body.strip(),
            title=str(row.get("title") or ""),
            source=str(row.get("source") or ""),
            published=published or dated,
            url=str(row.get("url") or ""),
            origin=where,
        )


def decode(data: bytes) -> str | None:
    """Text from bytes: UTF-8 if it is, else the most likely legacy encoding; None for binary."""
    if b"\x00" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        results = from_bytes(data)
        best = results.best()
        if best is None:
            return None
        # On short texts several code pages fit equally well and the pick among them is
        # arbitrary (café read as cp775 "cafķ"); Windows-1252 is the likely one for news.
        western = next((r for r in results if r.encoding == "cp1252" and r.chaos <= best.chaos), None)
        text = str(western or best)
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and controls / len(sample) > 0.05:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_date_line(text: str) -> tuple[str, date | None]:
    match = _DATE_LINE.match(text)
    if not match:
        return text, None
    try:
        return text[match.end():], parse_date(match.group(1))
    except ValueError:
        return text, None


def parse_date(value: object) -> date:
    """An ISO date (or datetime); anything else is a ValueError with the value in it."""
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2021-12-03") from None


def html_to_text(html: str) -> tuple[str, str, date | None]:
    """Visible text of a page (scripts, styles and templates dropped), its title and date."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    published = None
    for selector in ('meta[property="article:published_time"]', 'meta[name="date"]', "time[datetime]"):
        node = tree.css_first(selector)
        value = node and (node.attributes.get("content") or node.attributes.get("datetime"))
        if value:
            try:
                published = parse_date(value)
                break
            except ValueError:
                pass
    tree.strip_tags(["script", "style", "noscript", "template", "head", "svg", "iframe"])
    body = tree.body or tree.root
    blocks = (
        "p div br li h1 h2 h3 h4 h5 h6 tr blockquote section article pre nav header footer main aside "
        "figure figcaption ul ol dl dt dd table caption hr address"
    ).split()
    for node in body.css(",".join(blocks)):
        node.insert_after("\n")
    text = body.text(separator="", strip=False) if body else ""
    text = re.sub(r"[ \t\xa0]+", " ", text)
    text = re.sub(r"\s*\n\s*", "\n", text).strip()
    return text, title, published


def _read_sidecar(folder: Path) -> tuple[dict[str, dict], Skipped | None]:
    """The folder's metadata tables by file name, and the problem if the sidecar is unusable:
    a broken sidecar must not silently strip every article of its title, source and date."""
    path = folder / SIDECAR
    if not path.is_file():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        reason = f"cannot use it ({err}); the articles in this folder were read without its titles, sources and dates"
        return {}, Skipped(str(path), reason)
    return {name: table for name, table in data.items() if isinstance(table, dict)}, None


def _first_line_title(text: str) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= 120 else line[:117].rsplit(" ", 1)[0] + "…"
