"""The benchmark's corpora: the real articles, and large ones built cheaply from their sentences.

Encoding 100k chunks here would take well over an hour, and the latency of a query does not
depend on how its index's vectors were computed, only on how many there are and how they are
spread. So the large corpora are built like this, and only the building is synthetic:

* every sentence of the real articles (the seeds, and RGB when present) is embedded once with
  the product's embedder (and cached in the user's cache, see `rag.config.cache_dir`);
* a synthetic article is a random draw of those sentences, with a random date (2010-2025) and
  one of 40 source names; it is cut into chunks of whole sentences up to the chunk size, each
  repeating the last sentences of the one before up to the overlap, as `rag.chunking` does;
* a chunk's vector is the normalised mean of its sentences' vectors: real text, a vector in the
  model's space and near what the model would give the chunk, at no encoding cost;
* chunks, metadata and manifest records go into Chroma through `rag.store.Store` exactly as an
  ingest writes them (same ids, metadata and commit order), so the index is a normal one: the
  real `Index` opens it, builds BM25 over it, searches and answers with the real code.

The real articles are always part of the index, so the real questions have their answers in it.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from rag.chunking import Chunk, count_tokens, sentence_spans
from rag.config import cache_dir
from rag.corpus import Article, load
from rag.embedding import Embedder
from rag.ingest import chunk_metadata, record_of
from rag.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: The RGB snippets (licence CC BY-NC-SA: used here to measure, never copied into the project).
RGB = ROOT.parent / "shared" / "benchmarks" / "rgb"
SOURCES = [f"Synthetic Wire {i:02d}" for i in range(40)]
WRITE_BATCH = 5000  # chunks per Chroma write, below its max batch


def real_paths(rgb: Path | None) -> list[Path]:
    """The real articles: the seeds, plus RGB's snippets when that folder is present."""
    paths = [SEEDS]
    if rgb is not None and (rgb / "articles.jsonl").is_file():
        paths.append(rgb / "articles.jsonl")
    return paths


def real_articles(paths: list[Path]) -> list[Article]:
    return [a for a in load(paths) if isinstance(a, Article)]


def questions(rgb: Path | None) -> list[str]:
    """Stand-alone questions of the seed set and of RGB (follow-ups need their history)."""
    files = [ROOT / "eval" / "questions" / "seeds.jsonl"]
    if rgb is not None and (rgb / "questions.jsonl").is_file():
        files.append(rgb / "questions.jsonl")
    found = []
    for file in files:
        for line in file.read_text().splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("question") and not row.get("history"):
                found.append(row["question"])
    return found


@dataclass(frozen=True)
class SentencePool:
    texts: list[str]
    tokens: np.ndarray  # cl100k tokens per sentence, as the chunker counts them
    vectors: np.ndarray  # unit vectors from the product's embedder


def sentence_pool(articles: list[Article], embedder: Embedder, log=print) -> SentencePool:
    """Every distinct sentence of `articles` (with a few words at least), embedded once."""
    seen: dict[str, None] = {}
    for article in articles:
        for a, b in sentence_spans(article.text):
            sentence = " ".join(article.text[a:b].split())
            if len(sentence) >= 20 and sum(ch.isalpha() for ch in sentence) >= 10:
                seen.setdefault(sentence)
    texts = list(seen)
    key = hashlib.sha256(json.dumps([embedder.name, texts]).encode()).hexdigest()[:16]
    cached = cache_dir() / "bench" / f"sentences-{key}.npy"
    if cached.is_file():
        vectors = np.load(cached)
    else:
        log(f"embedding {len(texts):,} sentences of the real articles once (cached in {cached.parent})")
        vectors = embedder.encode(texts)
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, vectors)
    tokens = np.array([count_tokens(t) for t in texts])
    return SentencePool(texts, tokens, vectors)


@dataclass(frozen=True)
class Synthetic:
    article: Article
    chunks: list[Chunk]
    vectors: np.ndarray


def synthetic_articles(pool: SentencePool, first: int, rng: random.Random, chunk_tokens: int, overlap: int) -> Iterator[Synthetic]:
    """Synthetic articles numbered from `first`, forever; the caller stops when it has enough."""
    number = first
    while True:
        picks = [rng.randrange(len(pool.texts)) for _ in range(rng.randint(8, 40))]
        spans, cursor = [], 0
        for i in picks:
            spans.append((cursor, cursor + len(pool.texts[i])))
            cursor += len(pool.texts[i]) + 1
        text = " ".join(pool.texts[i] for i in picks)
        article = Article(
            id=f"syn-{number:06d}", text=text, title=pool.texts[picks[0]][:100],
            source=rng.choice(SOURCES), published=date(2010, 1, 1) + timedelta(days=rng.randrange(16 * 365)),
            origin="synthetic",
        )
        chunks, vectors = [], []
        for first_unit, last_unit in _pack([int(pool.tokens[i]) + 1 for i in picks], chunk_tokens, overlap):
            start, end = spans[first_unit][0], spans[last_unit][1]
            chunks.append(Chunk(article.id, len(chunks), start, end, text[start:end], tuple(spans[first_unit:last_unit + 1])))
            mean = pool.vectors[picks[first_unit:last_unit + 1]].mean(axis=0)
            vectors.append(mean / np.linalg.norm(mean))
        yield Synthetic(article, chunks, np.asarray(vectors, dtype=np.float32))
        number += 1


def _pack(sizes: list[int], limit: int, overlap: int) -> Iterator[tuple[int, int]]:
    """(first, last) sentence of each chunk: whole sentences up to `limit` tokens, each chunk
    starting with the previous one's trailing sentences that fit in `overlap`."""
    first = 0
    while first < len(sizes):
        last, total = first, sizes[first]
        while last + 1 < len(sizes) and total + sizes[last + 1] <= limit:
            last += 1
            total += sizes[last]
        yield first, last
        if last + 1 >= len(sizes):
            return
        nxt, carried = last + 1, 0
        while nxt - 1 > first and carried + sizes[nxt - 1] <= overlap:
            nxt -= 1
            carried += sizes[nxt]
        first = nxt


def grow(store: Store, target: int, articles: Iterator[Synthetic], jsonl: Path | None = None) -> int:
    """Add synthetic articles to `store` until it holds at least `target` chunks; returns the count.

    Chunks are written before the manifest records that make them current, as ingest does.
    Each added article is also appended to `jsonl` (one article per line) if given."""
    count = store.count()
    batch: list[Synthetic] = []
    pending = 0
    out = jsonl.open("a") if jsonl else None
    try:
        while count < target:
            item = next(articles)
            batch.append(item)
            pending += len(item.chunks)
            count += len(item.chunks)
            if out:
                out.write(json.dumps(_jsonl_row(item.article)) + "\n")
            if pending >= WRITE_BATCH or count >= target:
                _write(store, batch)
                batch, pending = [], 0
                print(f"\r  {count:,}/{target:,} chunks", end="", file=sys.stderr, flush=True)
    finally:
        if out:
            out.close()
    print(file=sys.stderr)
    store.bump()
    return store.count()


def _write(store: Store, batch: list[Synthetic]) -> None:
    pieces = [(s.article, chunk) for s in batch for chunk in s.chunks]
    store.put_chunks(
        ids=[chunk.id(article.version) for article, chunk in pieces],
        texts=[chunk.text for _, chunk in pieces],
        vectors=np.vstack([s.vectors for s in batch]),
        metadatas=[chunk_metadata(article, chunk) for article, chunk in pieces],
    )
    store.put_articles([record_of(s.article, len(s.chunks)) for s in batch])


def _jsonl_row(article: Article) -> dict:
    """The article as `rag ingest` reads it back from JSONL, with the same version."""
    return {"id": article.id, "text": article.text, "title": article.title, "source": article.source,
            "published": article.published.isoformat(), "url": article.url}
