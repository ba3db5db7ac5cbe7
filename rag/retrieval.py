"""Hybrid retrieval: dense (Chroma) and BM25 candidates, fused, then reranked on hard terms.

Fusion is reciprocal-rank (robust to the two scores' different scales). The rerank adds what
both retrievers miss and news questions hinge on: whether the passage holds the question's
years, numbers and names (see `question.py`). A passage about the 2018 final is not an answer
to a question about 2019, however similar its wording.
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np

from .chunking import chunk_id
from .lexical import ChunkInfo, LexicalIndex, token_set
from .question import Kind, Question, analyse, recase, typed_strength
from .store import ArticleRecord, Store, published_day

Mode = Literal["hybrid", "dense", "bm25"]
Span = tuple[int, int]

RRF_K = 60
CANDIDATES = 40
#: A filtered dense search reads up to this many nearest chunks unfiltered and filters them
#: itself; a narrower filter goes to Chroma's `where`.
PREFILTER_MAX = 2000


@dataclass(frozen=True)
class Passage:
    doc_id: str
    chunk_id: str
    title: str
    source: str
    published: str  # ISO date or ""
    url: str
    text: str
    start: int
    end: int
    score: float
    sentences: tuple[Span, ...] = ()  # absolute offsets within the article

    @property
    def published_date(self) -> date | None:
        return date.fromisoformat(self.published) if self.published else None

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id, "chunk_id": self.chunk_id, "title": self.title, "source": self.source,
            "published": self.published or None, "url": self.url, "text": self.text,
            "start": self.start, "end": self.end, "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Filters:
    published_after: date | None = None
    published_before: date | None = None
    sources: tuple[str, ...] = ()

    def where(self) -> dict | None:
        clauses: list[dict] = []
        if self.published_after:
            clauses.append({"published_day": {"$gte": published_day(self.published_after.isoformat())}})
        if self.published_before:
            clauses.append({"published_day": {"$lte": published_day(self.published_before.isoformat())}})
            clauses.append({"published_day": {"$gt": 0}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def mask(self, lexical: LexicalIndex):
        return lexical.mask(
            published_day(self.published_after.isoformat()) if self.published_after else None,
            published_day(self.published_before.isoformat()) if self.published_before else None,
            self.sources,
        )


@dataclass(frozen=True)
class _Candidate:
    id: str
    text: str
    meta: dict
    cosine: float
    rrf: float
    bm25: float


def search(
    question: Question | str,
    vector: np.ndarray,
    store: Store,
    lexical: LexicalIndex,
    articles: dict[str, ArticleRecord],
    k: int = 5,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
) -> list[Passage]:
    q = analyse(question) if isinstance(question, str) else question
    n = max(CANDIDATES, 4 * k)
    dense = [] if mode == "bm25" else _dense(vector, n, filters, store, lexical)
    sparse = [] if mode == "dense" else lexical.search(q.text, n, filters.mask(lexical))

    def current(meta_doc: str, version: str) -> bool:
        record = articles.get(meta_doc)
        return record is not None and record.version == version

    rrf: dict[str, float] = {}
    cosine: dict[str, float] = {}
    bm25: dict[str, float] = {}
    texts: dict[str, tuple[str, dict]] = {}
    for rank, (cid, text, meta, distance) in enumerate(r for r in dense if current(r[2]["doc_id"], r[2]["version"])):
        rrf[cid] = rrf.get(cid, 0.0) + 1 / (RRF_K + rank)
        cosine[cid] = 1 - distance
        texts[cid] = (text, meta)
    top_bm25 = max((s for _, s in sparse), default=1.0) or 1.0
    for rank, (info, score) in enumerate(s for s in sparse if current(s[0].doc_id, s[0].version)):
        rrf[info.id] = rrf.get(info.id, 0.0) + 1 / (RRF_K + rank)
        bm25[info.id] = score / top_bm25
    missing = [cid for cid in rrf if cid not in texts]
    if missing:
        fetched = _chunks(missing, store, lexical, with_vectors=True)
        for cid, (text, meta, vec) in fetched.items():
            texts[cid] = (text, meta)
            cosine[cid] = float(np.dot(vec, vector))
    candidates = [
        _Candidate(cid, texts[cid][0], texts[cid][1], cosine.get(cid, 0.0), rrf[cid], bm25.get(cid, 0.0))
        for cid in rrf if cid in texts
    ]
    if mode == "hybrid":
        score = _rerank(recase(q, (c.text for c in candidates)), candidates, k)
    else:
        score = {c.id: c.cosine if mode == "dense" else c.bm25 for c in candidates}
    ranked = sorted((c for c in candidates if c.id in score), key=lambda c: -score[c.id])
    return [_passage(c, score[c.id]) for c in ranked[:k]]


def _dense(vector: np.ndarray, n: int, filters: Filters, store: Store, lexical: LexicalIndex) -> list[tuple[str, str, dict, float]]:
    """The `n` nearest chunks that pass `filters`, nearest first, as `Store.query` gives them.

    Chroma applies a `where` clause by scanning every chunk's metadata: 250 ms at 100k chunks.
    Instead the nearest few hundred chunks are taken unfiltered (a few ms) and filtered with the
    dates and sources BM25 holds per chunk (chunks it does not hold, such as replaced versions,
    by their own metadata, as `where` would). When at least `n` pass, or the collection held
    no more, they are the filtered nearest chunks; otherwise, and for filters so narrow that
    too few would pass, Chroma filters. Both are approximate nearest-neighbour searches and may
    differ in the last few chunks; measured against exact ones, this way is the closer (README,
    Performance)."""
    where = filters.where()
    keep = filters.mask(lexical)
    if where is None and lexical.stored is not None:
        nearest = store.nearest(vector, n)
        rows = _chunks([cid for cid, _ in nearest], store, lexical)
        return [(cid, *rows[cid], distance) for cid, distance in nearest if cid in rows]
    if where is None or keep is None:
        return store.query(vector, n, where)
    share = float(keep.mean())
    wanted = math.ceil(8 * n / share) if share else PREFILTER_MAX + 1
    if wanted <= PREFILTER_MAX:
        nearest = store.nearest(vector, wanted)
        passes = {cid: bool(keep[i]) for cid, i in ((cid, lexical.position(cid)) for cid, _ in nearest) if i is not None}
        unknown = [cid for cid, _ in nearest if cid not in passes]
        if unknown:
            found = store.get_chunks(unknown)
            infos = [ChunkInfo.of(cid, meta) for cid, (_, meta) in found.items()]
            passes.update(zip((c.id for c in infos), (bool(x) for x in filters.mask(LexicalIndex(infos, None)))))
        chosen = [(cid, distance) for cid, distance in nearest if passes.get(cid)][:n]
        if len(chosen) == n or len(nearest) < wanted:
            rows = _chunks([cid for cid, _ in chosen], store, lexical)
            return [(cid, *rows[cid], distance) for cid, distance in chosen if cid in rows]
    return store.query(vector, n, where)


def _chunks(ids: list[str], store: Store, lexical: LexicalIndex, with_vectors: bool = False) -> dict[str, tuple]:
    """`Store.get_chunks`, read from the BM25 copy where it holds the chunk (it holds every
    chunk current at its generation), from Chroma for the rest."""
    out: dict[str, tuple] = {}
    for cid in ids:
        row = lexical.stored_chunk(cid)
        if row is not None:
            out[cid] = row if with_vectors else row[:2]
    rest = [cid for cid in ids if cid not in out]
    if rest:
        out.update(store.get_chunks(rest, with_vectors=with_vectors))
    return out


def expand(passages: list[Passage], store: Store, lexical: LexicalIndex, articles: dict[str, ArticleRecord],
           n_articles: int = 3) -> list[Passage]:
    """The other chunks of the best-ranked articles, for the answerer to read whole.

    A news article often states its key fact in a sentence that shares no word with the
    question ("the family members have seen each other since February 2024"); the article it
    sits in is found, the chunk is not. Articles are short, so reading the top few whole is
    cheap and bounded."""
    seen = {p.chunk_id for p in passages}
    docs = list(dict.fromkeys(p.doc_id for p in passages))[:n_articles]
    more: list[Passage] = []
    chunks = _article_chunks([articles[doc] for doc in docs if doc in articles], store, lexical)
    for doc in docs:
        for cid, text, meta in sorted(chunks.get(doc, ()), key=lambda r: int(r[2]["seq"])):
            if cid not in seen:
                more.append(_passage(_Candidate(cid, text, meta, 0.0, 0.0, 0.0), 0.0))
    return more


def _article_chunks(records: list[ArticleRecord], store: Store, lexical: LexicalIndex) -> dict[str, list[tuple[str, str, dict]]]:
    """`Store.current_chunks`, read from the BM25 copy for the articles it holds whole (it holds
    every chunk current at its generation), from Chroma for the rest."""
    found: dict[str, list[tuple[str, str, dict]]] = {}
    lacking = []
    for r in records:
        ids = [chunk_id(r.doc_id, seq, r.version) for seq in range(r.chunks)]
        rows = [(cid, *row[:2]) for cid in ids if (row := lexical.stored_chunk(cid)) is not None]
        if len(rows) == len(ids):
            found[r.doc_id] = rows
        else:
            lacking.append(r)
    if lacking:
        found.update(store.current_chunks(lacking))
    return found


def _rerank(q: Question, candidates: list[_Candidate], k: int) -> dict[str, float]:
    """`rerank_score` of every candidate that can reach the top `k`; the others are left out.

    The answer-type features (`typed`, `answer_sentence`) scan every sentence with the patterns
    of question.py: most of a search's time. The rest of the score bounds them (`typed` is at
    most 1, `answer_sentence` at most the chunk's term coverage), so candidates are scored from
    the highest bound down, and once a bound is below the k-th best score so far no candidate
    left can enter the top k (7 in 10 at 10k chunks). Scores are exactly `rerank_score`'s, as
    long as TYPED and ANSWER_SENTENCE are not negative."""
    parts = [(c, *_evidence(q, c)) for c in candidates]
    typed_max = 0.0 if q.kind is Kind.OTHER else 1.0
    bounds = sorted(
        ((evidence + TYPED * typed_max + ANSWER_SENTENCE * (cover if _whole_words(c.text, c.meta.get("sentences", "")) else 1.0), c, evidence)
         for c, evidence, cover in parts),
        key=lambda t: -t[0],
    )
    scores: dict[str, float] = {}
    best: list[float] = []  # the k best scores so far, a min-heap
    for bound, c, evidence in bounds:
        if len(best) == k and bound < best[0]:
            break
        scores[c.id] = _with_answer_type(q, c, evidence)
        (heapq.heappush if len(best) < k else heapq.heappushpop)(best, scores[c.id])
    return scores


def rerank_score(q: Question, c: _Candidate) -> float:
    """Fused evidence plus agreement on the question's hard terms and answer type.

    Weights were fitted by random search on the seed and RGB development sets (eval/tune.py),
    maximising MRR@10 + hit@1 over both at once; all weights are positive evidence except
    the year conflict, which demotes a passage about another year.
    """
    return _with_answer_type(q, c, _evidence(q, c)[0])


def _with_answer_type(q: Question, c: _Candidate, evidence: float) -> float:
    typed = typed_strength(q.kind, c.text) if q.kind is not Kind.OTHER else 0.0
    return evidence + TYPED * typed + ANSWER_SENTENCE * answer_sentence(q, c)


def _evidence(q: Question, c: _Candidate) -> tuple[float, float]:
    """The cheap first terms of `rerank_score`'s sum (in its order, so the sum is the same
    float), and the chunk's term coverage."""
    text = c.text
    lowered = text.lower().replace("’", "'")
    title = str(c.meta.get("title", "")).lower()
    tokens = token_set(text + " " + title)
    term_cover = q.coverage(tokens)
    name_cover = sum(n in lowered or n in title for n in q.names) / len(q.names) if q.names else 0.0
    year_hit = year_conflict = number_hit = 0.0
    if q.years:
        # "the 2021 report" names the year of publication, not of the events told
        found = set(_YEARS.findall(text)) | {str(c.meta.get("published", ""))[:4]}
        year_hit = sum(y in found for y in q.years) / len(q.years)
        year_conflict = float(not year_hit and bool(found))
    if q.numbers:
        number_hit = sum(re.search(rf"\b{re.escape(n)}\b", lowered) is not None for n in q.numbers) / len(q.numbers)
    evidence = (
        c.cosine + 0.22 * c.bm25 + 13.0 * c.rrf + 0.2 * term_cover + 0.15 * name_cover
        + 0.2 * year_hit - 0.8 * year_conflict + 0.45 * number_hit
    )
    return evidence, term_cover


#: Weights of the answer-type features `typed` and `answer_sentence`, set with eval/tune.py
#: like the others.
TYPED = 0.6
ANSWER_SENTENCE = 1.0


def answer_sentence(q: Question, c: _Candidate) -> float:
    """How well the chunk's best single sentence holds both the question's words and an answer
    of the kind asked for. Whole-chunk scores blur this; the chunk whose one sentence says "the
    family members have seen each other since February 2024" answers "when did Harry last see
    Charles" better than one that names both men in every sentence but gives no date. A
    sentence naming none of the question's people is read under the article title."""
    title = str(c.meta.get("title", ""))
    title_tokens = token_set(title) if title else frozenset()
    best = 0.0
    for pair in str(c.meta.get("sentences", "")).split(","):
        if not pair:
            continue
        a, b = (int(x) for x in pair.split(":"))
        sentence = c.text[a:b]
        tokens = token_set(sentence)
        lowered = sentence.lower()
        if q.names and not any(n in lowered for n in q.names):
            tokens = tokens | title_tokens
        cover = q.coverage(tokens)
        if q.kind is not Kind.OTHER:
            cover *= typed_strength(q.kind, sentence)
        best = max(best, cover)
    return best


@lru_cache(maxsize=16_384)
def _whole_words(text: str, sentences: str) -> bool:
    """True when every sentence span (`sentences` as in the chunk's metadata) starts and ends
    between words: then each sentence's tokens are among the chunk's, and so its coverage is at
    most the chunk's."""
    bounds = [int(p) for pair in str(sentences).split(",") if pair for p in pair.split(":")]
    return all(p <= 0 or p >= len(text) or not (_WORD.match(text, p - 1) and _WORD.match(text, p)) for p in bounds)


_YEARS = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
_WORD = re.compile(r"\w")


def _passage(c: _Candidate, score: float) -> Passage:
    meta = c.meta
    start = int(meta["start"])
    sentences = tuple(
        (start + int(a), start + int(b))
        for a, b in (pair.split(":") for pair in str(meta.get("sentences", "")).split(",") if pair)
    )
    return Passage(
        doc_id=meta["doc_id"], chunk_id=c.id, title=meta.get("title", ""), source=meta.get("source", ""),
        published=meta.get("published", ""), url=meta.get("url", ""), text=c.text, start=start,
        end=int(meta["end"]), score=float(score), sentences=sentences,
    )
