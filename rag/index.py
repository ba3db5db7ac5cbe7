"""`Index`: the one object users hold. Opens the store, ingests, searches and answers.

It owns the caches that make repeated queries cheap (the model, the BM25 copy, the article
manifest) and refreshes them when the collection's generation changes, whoever changed it.

Threads may share one Index: questions are answered while an ingest runs (ingests and removals
take turns among themselves). Processes may share one index folder too; see local_folder.py.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import contextualize
from .config import Settings
from .corpus import valid_text
from .embedding import Embedder
from .errors import IndexBusyError, IndexUnavailableError, QuestionError, RagError
from .ingest import IngestReport, Progress, ingest
from .lexical import ChunkInfo, LexicalIndex, cache_folder
from .answer import Answer
from .answer import answer as compose_answer
from .conversation import standalone
from .llm import LLM, AnswerEvent, LLMError, answer_stream, last_answer, rewrite
from .local_folder import WRITE_WAIT_S
from .question import analyse
from .retrieval import Filters, Mode, Passage, expand, search
from .store import ArticleRecord, Store

log = logging.getLogger(__name__)

ANSWER_POOL = 10
EMPTY_INDEX = "The index is empty: add articles first (rag ingest PATH, or the Corpus tab)."
#: How long a writer waits for another writer of the same index.
LOCK_WAIT_S = WRITE_WAIT_S
#: How often (at most) a reader asks the store whether another process changed it.
REFRESH_EVERY_S = 2.0


class Index:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.embedder = Embedder(settings.model, settings.batch_size)
        self._store: Store | None = None
        self._lock = threading.RLock()  # the caches below
        self._write_lock = threading.Lock()  # ingest and remove, one at a time
        self._generation: str | None = None
        self._checked_at = 0.0
        self._lexical: LexicalIndex | None = None
        self._articles: dict[str, ArticleRecord] = {}
        self._llm: LLM | None = None

    @classmethod
    def open(cls, path: str | Path | None = None, *, url: str | None = None, **settings: Any) -> "Index":
        """Open (or prepare to create) the index at `path`, or on the Chroma server at `url`.

        Unset arguments fall back to RAG_* environment variables, then defaults. An index built
        with another embedding model is refused here, before any search could mix vectors.
        """
        index = cls(Settings.load(index_path=path, chroma_url=url, **settings))
        if index.store.exists:
            index.store.check_model(index.settings.model)
        return index

    def close(self) -> None:
        """Give back the open files of an embedded index (also on leaving a `with` block); the
        index stays usable and opens them again when next asked."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings)
        return self._store

    @property
    def location(self) -> str:
        return self.settings.chroma_url or str(Path(self.settings.index_path).resolve())

    # ---- writing -------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IngestReport:
        with self._write_lock, self._writer():
            report = ingest(
                self.store, self.embedder, list(paths), self.settings.chunk_tokens,
                self.settings.chunk_overlap, self.settings.max_file_mb, progress,
            )
            if report.changed:
                self._refresh(force=True)
            return report

    def remove(self, doc_id: str) -> bool:
        """Delete an article and all its chunks; False if there was no such article."""
        with self._write_lock, self._writer():
            known = doc_id in self.store.articles()
            if self.store.delete_article(doc_id) or known:
                self.store.bump()
                self._refresh(force=True)
            return known

    @contextmanager
    def _writer(self):
        """One writer per index across processes: a second ingest waits for the first (up to
        LOCK_WAIT_S), so two never interleave their commits and clean-ups."""
        if self.settings.chroma_url:
            with self.store.writer_lease(LOCK_WAIT_S):
                yield
            return
        from filelock import FileLock, Timeout

        folder = Path(self.settings.index_path)
        if folder.exists() and not folder.is_dir():
            self.store  # raises the clear "is a file" error
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(folder / ".write.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.warning("index %s is busy with another ingest; waiting up to %.0f s", folder, LOCK_WAIT_S)
            try:
                lock.acquire(timeout=LOCK_WAIT_S)
            except Timeout:
                raise IndexBusyError(
                    f"The index at {folder} is busy: another process has been writing to it for over "
                    f"{LOCK_WAIT_S:.0f} s. Wait for it to finish, or use another --index."
                ) from None
        try:
            yield
        finally:
            lock.release()

    # ---- reading -------------------------------------------------------------------------

    def articles(self) -> list[ArticleRecord]:
        self._refresh()
        return sorted(self._articles.values(), key=lambda r: (r.published or "", r.doc_id), reverse=True)

    def article_text(self, doc_id: str) -> str:
        """The whole text of an article, rebuilt from its current chunks (Chroma keeps no other
        copy), so that citation offsets index into it: `text[c.start:c.end] == c.text`.

        Overlapping chunks agree on their shared characters; a gap between chunks can only be
        the whitespace between two sentences, restored as a space or line breaks."""
        self._refresh()
        record = self._articles.get(doc_id)
        if record is None:
            raise RagError(f"There is no article {doc_id!r} in the index (it may have been removed). Ask again.")
        text = ""
        for chunk, meta in sorted(self.store.article_chunks(doc_id, record.version), key=lambda r: int(r[1]["start"])):
            start = int(meta["start"])
            if start > len(text):
                gap = start - len(text)
                text += " " if gap == 1 else "\n" * gap
            text += chunk[len(text) - start:]
        return text

    def info(self) -> dict:
        with self.store.session():
            model = self.store.model() if self.store.exists else None
            articles = self.store.articles()
        return {
            "location": self.location,
            "mode": "server" if self.settings.chroma_url else "embedded",
            "model": model[0] if model else self.settings.model,
            "dim": model[1] if model else None,
            "articles": len(articles),
            "chunks": sum(r.chunks for r in articles.values()),
            "sources": sorted({r.source for r in articles.values() if r.source}),
            "published_range": _date_range(articles.values()),
        }

    def search(
        self,
        query: str,
        k: int = 5,
        published_after: date | str | None = None,
        published_before: date | str | None = None,
        sources: Sequence[str] | None = None,
        mode: Mode = "hybrid",
    ) -> list[Passage]:
        query = self.check_question(query)
        check_k(k)
        filters = make_filters(published_after, published_before, sources)
        self._refresh()
        if not self._articles:
            return []
        vector = self.embedder.encode([query])[0]
        with self.store.session():
            return search(analyse(query, idf=self._lexical.idf), vector, self.store, self._lexical, self._articles, k, filters, mode)

    def ask(
        self,
        question: str,
        history: Sequence[Any] = (),
        k: int = 5,
        published_after: date | str | None = None,
        published_before: date | str | None = None,
        sources: Sequence[str] | None = None,
        mode: Mode = "hybrid",
    ) -> Answer:
        """Answer `question` (resolved against `history`) with cited sentences, or abstain.

        With a language model configured (`llm_url`) the answer is generated and every sentence
        verified (llm.py); the extractive answer stays the fallback."""
        return last_answer(self.ask_stream(question, history, k, published_after, published_before, sources, mode))

    def ask_stream(
        self,
        question: str,
        history: Sequence[Any] = (),
        k: int = 5,
        published_after: date | str | None = None,
        published_before: date | str | None = None,
        sources: Sequence[str] | None = None,
        mode: Mode = "hybrid",
    ) -> Iterator[AnswerEvent]:
        """`ask`, step by step, for a chat that shows tokens as they come: each event holds the
        verified sentences so far and the one being written; the last holds the `answer`.
        Without a language model there is one event. Bad input raises on the first `next()`."""
        question = self.check_question(question)
        check_k(k)
        filters = make_filters(published_after, published_before, sources)
        llm = self.llm
        resolved, failed = self._standalone(question, history, llm)
        resolved = valid_text(resolved)  # the history is user input too
        self._refresh()
        if not self._articles:
            yield AnswerEvent.final(Answer(question, EMPTY_INDEX, abstained=True, warnings=(EMPTY_INDEX,), standalone=resolved))
            return
        q = analyse(resolved, idf=self._lexical.idf)
        vector = self.embedder.encode([resolved])[0]
        # The answerer reads a wider pool than the k passages a search shows: agreement across
        # sources is evidence (see answer._vote), and short news snippets hold one fact each.
        with self.store.session():
            passages = search(q, vector, self.store, self._lexical, self._articles, max(k, ANSWER_POOL), filters, mode)

        def extractive(warnings: Sequence[str] = ()) -> Answer:
            with self.store.session():
                more = expand(passages, self.store, self._lexical, self._articles)
            result = compose_answer(q, passages, vector, self.embedder.encode, more)
            return replace(result, question=question, standalone=resolved, warnings=result.warnings + tuple(warnings))

        if llm is None or failed or not passages:
            yield AnswerEvent.final(extractive(failed))
            return
        yield from answer_stream(llm, question, resolved, history, passages, self.embedder.encode, extractive, llm.deadline())

    @property
    def llm(self) -> LLM | None:
        """The language model client when one is configured (settings.llm_url), else None."""
        if self._llm is None and self.settings.llm_url:
            self._llm = LLM(self.settings)
        return self._llm

    def _standalone(self, question: str, history: Sequence[Any], llm: LLM | None) -> tuple[str, list[str]]:
        """The follow-up made standalone (by the model when there is one) and, if the model's
        server failed, the warning to show: then the answer is extractive, with no second wait."""
        if llm is not None and history:
            try:
                rewritten = rewrite(llm, question, history, llm.deadline(), self.settings.max_question_chars)
            except LLMError as err:
                log.warning("follow-up rewrite failed: %s", err)
                return standalone(question, history), [f"{err} Showing the extractive answer instead."]
            if rewritten:
                return rewritten, []
        return standalone(question, history), []

    def check_question(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise QuestionError("The question is empty. Type a question about the articles.")
        text = " ".join(valid_text(text).split())
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise QuestionError(
                f"The question is {len(text):,} characters long; the limit is {limit:,}. "
                "Ask a shorter question (one or two sentences)."
            )
        return text

    def _refresh(self, force: bool = False) -> None:
        """Reload manifest and BM25 if the collection changed since we last looked."""
        with self._lock, self.store.session():
            now = time.monotonic()
            if not force and self._generation is not None and now - self._checked_at < REFRESH_EVERY_S:
                return
            self._checked_at = now
            if not self.store.exists:
                self._generation, self._articles, self._lexical = "", {}, LexicalIndex.build([])
                return
            generation = self.store.generation()
            if generation == self._generation and not force:
                return
            self._articles = self.store.articles()
            folder = cache_folder(self.settings.index_path, self.settings.chroma_url, self.settings.collection)
            lexical = LexicalIndex.load(folder, generation)
            if lexical is None:
                lexical = self._build_lexical()
                try:
                    lexical.save(folder, generation)
                except OSError as err:
                    log.warning("could not save the BM25 copy to %s: %s", folder, err)
            self._lexical, self._generation = lexical, generation
            # The BM25 copy is hundreds of thousands of long-lived objects; left to the cyclic
            # collector they are rescanned at every full collection (a 100-ms pause about once
            # per hundred searches at 10k chunks). Frozen, they are not. Unfreezing first lets
            # this collection free the copy just replaced, so refreshes do not pile up.
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    def _build_lexical(self) -> LexicalIndex:
        started = time.perf_counter()
        rows, stored, vectors = [], [], []
        for cid, text, meta, vector in self.store.iter_chunk_vectors():
            record = self._articles.get(meta["doc_id"])
            if record is not None and record.version == meta["version"]:
                rows.append((ChunkInfo.of(cid, meta), contextualize(meta.get("title", ""), text)))
                stored.append((text, meta))
                vectors.append(vector)
        matrix = np.array(vectors, dtype=np.float32) if vectors else np.zeros((0, 0), dtype=np.float32)
        lexical = LexicalIndex.build(rows, stored, matrix)
        log.info("built BM25 over %d chunks in %.1f s", len(rows), time.perf_counter() - started)
        return lexical


def check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise QuestionError(f"k (the number of passages) must be a whole number of at least 1, got {k!r}.")


def make_filters(after: date | str | None, before: date | str | None, sources: Sequence[str] | None) -> Filters:
    from .corpus import parse_date

    try:
        return Filters(
            published_after=parse_date(after) if after else None,
            published_before=parse_date(before) if before else None,
            sources=tuple(s for s in (sources or ()) if s),
        )
    except ValueError as err:
        raise QuestionError(f"Bad date filter: {err}.") from None


def _date_range(records: Iterable[ArticleRecord]) -> list[str] | None:
    dates = sorted(r.published for r in records if r.published)
    return [dates[0], dates[-1]] if dates else None
