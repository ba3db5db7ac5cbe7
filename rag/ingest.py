"""Corpus → chunks → vectors → Chroma, incrementally and crash-safely.

An article is unchanged when the manifest already holds its version (hash of text and
metadata), so a second ingest embeds nothing. A changed article's new chunks are written under
new ids, then the manifest flips to the new version (the commit point); the old chunks go at the
end, with every other leftover, so that a reader still holding the old manifest keeps finding
the old version until it sees the new one. Killed at any moment, an article is wholly old,
wholly new, or absent; the next ingest removes leftovers and finishes the job.

The caller holds the writer lock (Index._writer); the store is held only while a group is
written, so questions from other processes are answered between groups.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus
from .chunking import Chunk, chunk_article, contextualize
from .corpus import Article, Skipped
from .embedding import Embedder
from .store import ArticleRecord, Store, published_day

log = logging.getLogger(__name__)

#: Articles are embedded and committed in groups of about this many chunks: large enough to
#: keep the encoder's batches full, small enough that a crash loses little work.
GROUP_CHUNKS = 512

Progress = Callable[[int, int], None]  # (chunks done, chunks total)


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()  # (doc id, id of the article with the same text)
    chunks: int = 0
    cleaned: int = 0  # leftover chunks of crashed or replaced versions removed
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.cleaned)

    def summary(self) -> str:
        skipped = len(self.skipped) + len(self.duplicates)
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{skipped} skipped ({self.chunks} chunks embedded in {self.seconds:.1f} s)"
        )

    def details(self) -> list[str]:
        lines = [f"skipped {s.origin}: {s.reason}" for s in self.skipped]
        lines += [f"skipped {doc}: same text as {same}, stored once" for doc, same in self.duplicates]
        return lines


@dataclass
class _Plan:
    new: list[Article] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


def plan(articles: Iterable[Article | Skipped], current: dict[str, ArticleRecord]) -> _Plan:
    """Sort incoming articles into new / changed / unchanged / skipped against the manifest."""
    result = _Plan()
    owner_of_text = {record.text_hash: record.doc_id for record in current.values()}
    seen: set[str] = set()
    for item in articles:
        if isinstance(item, Skipped):
            result.skipped.append(item)
            continue
        if item.id in seen:
            result.skipped.append(Skipped(item.origin, f"id {item.id!r} appears twice in this ingest"))
            continue
        seen.add(item.id)
        record = current.get(item.id)
        if record is not None and record.version == item.version:
            result.unchanged.append(item.id)
            continue
        owner = owner_of_text.get(item.text_hash)
        if owner is not None and owner != item.id:
            result.duplicates.append((item.id, owner))
            continue
        owner_of_text[item.text_hash] = item.id
        (result.changed if record is not None else result.new).append(item)
    return result


def chunk_metadata(article: Article, chunk: Chunk) -> dict:
    published = article.published.isoformat() if article.published else ""
    return {
        "doc_id": article.id,
        "version": article.version,
        "seq": chunk.seq,
        "title": article.title,
        "source": article.source,
        "published": published,
        "published_day": published_day(published),
        "url": article.url,
        "start": chunk.start,
        "end": chunk.end,
        "hash": corpus_hash(chunk.text),
        # sentence boundaries relative to the chunk, so answering need not re-split text
        "sentences": ",".join(f"{a - chunk.start}:{b - chunk.start}" for a, b in chunk.sentences),
    }


def corpus_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_of(article: Article, chunks: int) -> ArticleRecord:
    return ArticleRecord(
        doc_id=article.id,
        version=article.version,
        text_hash=article.text_hash,
        title=article.title,
        source=article.source,
        published=article.published.isoformat() if article.published else "",
        url=article.url,
        chunks=chunks,
        chars=len(article.text),
        origin=article.origin,
    )


def ingest(
    store: Store,
    embedder: Embedder,
    paths: Iterable[str | Path],
    chunk_tokens: int,
    chunk_overlap: int,
    max_file_mb: float,
    progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    with store.session(write=True):
        store.claim(embedder.name, lambda: embedder.dim)
        current = store.articles()
        unsettled = store.unsettled()  # an earlier ingest died before announcing its commits
    work = plan(corpus.load(paths, max_file_mb=max_file_mb), current)
    todo = work.new + work.changed
    if todo:
        store.unsettle()

    chunked = [(article, chunk_article(article, chunk_tokens, chunk_overlap)) for article in todo]
    total = sum(len(chunks) for _, chunks in chunked)
    done = 0
    if progress:
        progress(0, total)
    for group in _groups(chunked, GROUP_CHUNKS):
        pieces = [(article, chunk) for article, chunks in group for chunk in chunks]
        vectors = embedder.encode([contextualize(article.title, chunk.text) for article, chunk in pieces], cache=False)
        with store.session(write=True):
            store.put_chunks(
                ids=[chunk.id(article.version) for article, chunk in pieces],
                texts=[chunk.text for _, chunk in pieces],
                vectors=vectors,
                metadatas=[chunk_metadata(article, chunk) for article, chunk in pieces],
            )
            store.put_articles([record_of(article, len(chunks)) for article, chunks in group])  # commit point
        store.renew_lease()
        done += len(pieces)
        if progress:
            progress(done, total)

    with store.session(write=True):
        orphans = store.orphan_chunks(store.articles())
        store.delete_ids(orphans)
        if todo or orphans or unsettled:
            store.bump()
    cleaned = len(orphans)
    report = IngestReport(
        added=tuple(a.id for a in work.new),
        updated=tuple(a.id for a in work.changed),
        unchanged=tuple(work.unchanged),
        skipped=tuple(work.skipped),
        duplicates=tuple(work.duplicates),
        chunks=total,
        cleaned=cleaned,
        seconds=time.perf_counter() - started,
    )
    log.info("ingest: %s", report.summary())
    return report


def _groups(chunked: list[tuple[Article, list[Chunk]]], size: int):
    group: list[tuple[Article, list[Chunk]]] = []
    count = 0
    for article, chunks in chunked:
        group.append((article, chunks))
        count += len(chunks)
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group
