"""The tutorial baseline: what the common RAG tutorials do, so the README can show our gain.

Fixed 1000-character windows with 200 characters of overlap, dense (embedding) top-k from a
Chroma collection, and the top passage as the answer. It reuses the product's embedder, store
and judging, so the chunking, retrieval and answering are the only differences measured. An
evaluation artefact, not a product feature: it lives in a temporary folder.

    python eval/baseline.py ARTICLES QUESTIONS.jsonl [--k 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rag.config import Settings
from rag.corpus import Article, load
from rag.embedding import Embedder
from rag.errors import RagError
from rag.evaluation import Chunk, load_questions, run, summarize
from rag.retrieval import Passage
from rag.store import Store

CHUNK_CHARS = 1000
OVERLAP_CHARS = 200


def windows(length: int, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[tuple[int, int]]:
    """(start, end) of fixed windows over a text of `length` characters, each `overlap` into the last."""
    spans, start = [], 0
    while length:
        end = min(start + size, length)
        spans.append((start, end))
        if end == length:
            break
        start = end - overlap
    return spans


class TutorialIndex:
    """Just enough of `rag.Index` for `rag.evaluation.run(..., mode="dense", answerer=False)`."""

    def __init__(self, folder: str | Path, embedder: Embedder | None = None):
        # Settings(...) directly, not Settings.load: RAG_* variables must not point this elsewhere.
        self.store = Store.open(Settings(index_path=Path(folder), collection="tutorial"))
        self.embedder = embedder or Embedder()

    def ingest(self, paths: Iterable[str | Path]) -> int:
        ids, texts, metas = [], [], []
        for article in load(paths):
            if not isinstance(article, Article):
                continue
            for n, (start, end) in enumerate(windows(len(article.text))):
                ids.append(f"{article.id}:w{n}")
                texts.append(article.text[start:end])
                metas.append({
                    "doc_id": article.id, "title": article.title, "source": article.source, "url": article.url,
                    "published": article.published.isoformat() if article.published else "", "start": start, "end": end,
                })
        if ids:
            self.store.put_chunks(ids, texts, self.embedder.encode(texts), metas)
        return len(ids)

    def search(self, query: str, k: int = 5, mode: str = "dense") -> list[Passage]:
        if mode != "dense":
            raise ValueError("the tutorial baseline retrieves by embeddings only (mode='dense')")
        rows = self.store.query(self.embedder.encode([query])[0], k, None)
        return [
            Passage(doc_id=m["doc_id"], chunk_id=cid, title=m["title"], source=m["source"], published=m["published"],
                    url=m["url"], text=text, start=int(m["start"]), end=int(m["end"]), score=1 - distance)
            for cid, text, m, distance in rows
        ]

    def chunks(self) -> list[Chunk]:
        return [(cid, meta["doc_id"], text) for cid, text, meta in self.store.iter_chunks()]


def evaluate(articles: Iterable[str | Path], questions_file: str | Path, k: int = 5,
             embedder: Embedder | None = None) -> tuple[list[dict], dict]:
    """(records, summary) of the baseline on one question set, in a temporary index."""
    questions = load_questions(questions_file)
    with tempfile.TemporaryDirectory(prefix="rag-tutorial-") as folder:
        index = TutorialIndex(folder, embedder)
        index.ingest(articles)
        records = run(index, questions, k, mode="dense", answerer=False, pool=index.chunks())
    return records, summarize(records, k)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", nargs="+", help="article files or folders (as for rag ingest)")
    parser.add_argument("questions", help="question set (JSONL)")
    parser.add_argument("-k", "--k", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        _, summary = evaluate(args.articles, args.questions, args.k)
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    print(json.dumps({"summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
