"""BM25 over the indexed chunks, kept consistent with the Chroma collection it mirrors.

BM25 is a derived index: Chroma holds the truth. Each process keeps a copy on disk (inside the
index folder when embedded, in the user's cache for a server) stamped with the collection's
`generation`; when another writer has changed the collection the stamp differs and the copy is
rebuilt from Chroma. Nothing is pickled: bm25s saves arrays and JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"(?u)\b\w\w+\b|\b\d\b")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """The longer English stop-word list (NLTK's, as bm25s ships it): words that never name
    anything. BM25 keeps most of them, since news questions turn on words like "after"."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


#: Words news uses for the same thing, where a question uses one and the report another. Kept
#: to senses that hold in any news story: "fire" (sack) and "head" (boss) are left out.
_SAME_THING = (
    ("die", "death", "dead", "kill", "fatal"),
    ("injure", "injury", "hurt", "wound"),
    ("jail", "prison", "imprison"),
    ("profit", "earnings", "net income"),
    ("boss", "chief executive", "managing director"),
    ("resign", "quit", "step down"),
    ("discover", "uncover", "come to light"),
    ("founded", "establish", "set up", "start"),  # "found" alone is read as the past of "find"
    ("worth", "value"),
    ("problem", "issue"),
    ("birth", "born"),
    ("deficit", "shortfall"),
    ("replace", "successor", "take over"),
    ("manufacture", "build"),
    ("create", "come up with", "devise", "invent"),
    ("postpone", "delay", "push back", "put back", "put off"),
    ("lay off", "laid off", "let go", "make redundant", "redundancy"),
    ("win", "winner", "champion"),
    ("remark", "comment"),
    ("child", "children", "daughter", "son"),
)


def said_in_other_words(terms: Iterable[str], tokens: set[str]) -> set[str]:
    """The `terms` (tokens) that `tokens` say in another word of their group: "killed" says
    "died", "founded" says "set up" (a phrase counts when all its words are among `terms`)."""
    asked = set(terms)
    return {t for said, others in _same_things() if said <= asked and not said <= tokens
            and any(other <= tokens for other in others) for t in said}


def other_words_for(terms: Iterable[str], tokens: set[str]) -> set[str]:
    """The `tokens` that say one of `terms` in another word of its group: {"net", "incom"} for
    "profit" in "Net income rose to $412 million"."""
    asked = set(terms)
    return {t for said, others in _same_things() if said <= asked for other in others if other <= tokens for t in other}


@lru_cache(maxsize=1)
def _same_things() -> tuple[tuple[frozenset[str], tuple[frozenset[str], ...]], ...]:
    """`_SAME_THING` tokenized once: each word or phrase, with the token sets of its group's others."""
    out = []
    for group in _SAME_THING:
        said = [frozenset(tokenize(words)) for words in group]
        out += [(one, tuple(other for other in said if other != one)) for one in said]
    return tuple(out)


#: Bump when `tokenize` changes: saved BM25 copies made with another tokenizer are rebuilt.
TOKENIZER_VERSION = "3"
#: Bump when what a saved copy holds changes (2: each chunk's text, metadata and vector).
COPY_FORMAT = "2"
# simplemma reads "won" as the currency; in news it is nearly always the verb.
_LEMMA_FIXES = {"won": "win"}


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    """Dictionary lemma first ("bought" → "buy", "children" → "child"), which stemming alone
    misses; Snowball stemming afterwards still joins "treatment" and "treated"."""
    import simplemma

    return _LEMMA_FIXES.get(word) or simplemma.lemmatize(word, lang="en").lower()


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-worded, lemmatised then stemmed word tokens (numbers kept whole)."""
    return list(_tokens(text))


@lru_cache(maxsize=16_384)
def token_set(text: str) -> frozenset[str]:
    """The distinct tokens of `text`: what the reranker tests each candidate and each of its
    sentences against, for query after query on the same passages."""
    return frozenset(_tokens(text))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    """Cached because reranking tokenizes the same candidate passages again and again (twice per
    query, and for query after query on the same topic): 40% of a warm search at 100k chunks."""
    stop = stopwords()
    words = [_lemma(w) for w in _TOKEN.findall(text.lower().replace("’", "'")) if w not in stop]
    return tuple(_stemmer().stemWords(words))


@dataclass(frozen=True)
class ChunkInfo:
    """What filtering and fusion need to know of a chunk without asking Chroma."""

    id: str
    doc_id: str
    version: str
    source: str
    day: int

    @classmethod
    def of(cls, cid: str, meta: dict) -> "ChunkInfo":
        """From a chunk's Chroma metadata."""
        return cls(cid, meta["doc_id"], meta["version"], meta.get("source", ""), int(meta.get("published_day", 0)))


class LexicalIndex:
    """BM25 over the current chunks, and a copy of each chunk as Chroma held it at this
    generation (text, metadata, vector), so that a search reads its candidates here instead of
    asking Chroma for them: half of a warm search's time at 10k chunks."""

    def __init__(self, chunks: list[ChunkInfo], model, stored: list[tuple[str, dict]] | None = None,
                 vectors: np.ndarray | None = None):
        self.chunks = chunks
        self.model = model
        self.stored = stored
        self.vectors = vectors
        self._days = np.array([c.day for c in chunks], dtype=np.int64)
        self._sources = np.array([c.source for c in chunks], dtype=object)
        self._df = np.diff(np.asarray(model.scores["indptr"])) if model is not None else np.zeros(0)

    @classmethod
    def build(cls, rows: Iterable[tuple[ChunkInfo, str]], stored: list[tuple[str, dict]] | None = None,
              vectors: np.ndarray | None = None) -> "LexicalIndex":
        """BM25 over `rows` (a chunk and the text to index for it); `stored` and `vectors`, in
        the same order, are the chunks as Chroma holds them."""
        import bm25s

        rows = list(rows)
        model = bm25s.BM25()
        if rows:
            model.index([tokenize(text) for _, text in rows], show_progress=False)
        return cls([info for info, _ in rows], model if rows else None, stored, vectors)

    def stored_chunk(self, cid: str) -> tuple[str, dict, np.ndarray] | None:
        """Chunk `cid`'s text, metadata and vector as of this copy; None if it does not hold it."""
        i = self.position(cid) if self.stored is not None else None
        return None if i is None else (*self.stored[i], self.vectors[i])

    def idf(self, token: str) -> float:
        """log(1 + N/df): how much finding `token` tells; unseen words count as rare ones."""
        n = max(1, len(self.chunks))
        if self.model is None:
            return 1.0
        index = self.model.vocab_dict.get(token)
        df = 0 if index is None else int(self._df[index])
        return float(np.log1p(n / (df + 0.5)))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.chunks)}

    def position(self, cid: str) -> int | None:
        """Where chunk `cid` sits in `chunks` (and in a `mask`); None if it is not indexed here."""
        return self._positions.get(cid)

    def mask(self, after: int | None, before: int | None, sources: Iterable[str] | None) -> np.ndarray | None:
        if not self.chunks or (after is None and before is None and not sources):
            return None
        keep = np.ones(len(self.chunks), dtype=bool)
        if after is not None:
            keep &= self._days >= after
        if before is not None:
            keep &= (self._days <= before) & (self._days > 0)
        if sources:
            keep &= np.isin(self._sources, list(sources))
        return keep.astype(np.float32)

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[ChunkInfo, float]]:
        if self.model is None:
            return []
        vocab = self.model.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        scores = self.model.get_scores(tokens, weight_mask=mask)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [(self.chunks[i], float(scores[i])) for i in top if scores[i] > 0]

    # ---- persistence ---------------------------------------------------------------------

    def save(self, folder: Path, generation: str) -> None:
        """Write to a fresh folder, then swap it in: a crash leaves the old copy or none."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.model is not None:
            self.model.save(str(tmp), show_progress=False)
        rows = [[c.id, c.doc_id, c.version, c.source, c.day] for c in self.chunks]
        (tmp / "chunks.json").write_text(json.dumps(rows))
        if self.stored is not None:
            (tmp / "stored.json").write_text(json.dumps(self.stored))
            np.save(tmp / "vectors.npy", self.vectors, allow_pickle=False)
        (tmp / "generation").write_text(f"{generation}:{TOKENIZER_VERSION}:{COPY_FORMAT}")
        old = folder.with_name(folder.name + f".old{os.getpid()}")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, generation: str) -> "LexicalIndex | None":
        """The saved copy if it matches `generation`, else None (caller rebuilds)."""
        import bm25s

        try:
            if (folder / "generation").read_text() != f"{generation}:{TOKENIZER_VERSION}:{COPY_FORMAT}":
                return None
            rows = json.loads((folder / "chunks.json").read_text())
            chunks = [ChunkInfo(*row) for row in rows]
            model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if chunks else None
            stored = vectors = None
            if (folder / "stored.json").exists():
                stored = [(text, meta) for text, meta in json.loads((folder / "stored.json").read_text())]
                vectors = np.load(folder / "vectors.npy", allow_pickle=False)
                if len(stored) != len(chunks) or len(vectors) != len(chunks):
                    raise ValueError("stored chunks do not match the index")
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.info("BM25 copy at %s unusable (%s); rebuilding", folder, err)
            return None
        return cls(chunks, model, stored, vectors)


def cache_folder(index_path: Path, chroma_url: str | None, collection: str) -> Path:
    if chroma_url is None:
        return Path(index_path) / "bm25"
    from .config import cache_dir

    key = hashlib.sha256(f"{chroma_url}|{collection}".encode()).hexdigest()[:16]
    return cache_dir() / "bm25" / key
