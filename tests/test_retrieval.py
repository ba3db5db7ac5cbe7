"""`Index.search`: hybrid dense + BM25 retrieval, date and source filters, the Passage it returns."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from conftest import reopen

from rag import Index, Passage
from rag.corpus import load
from rag.errors import QuestionError

ROWS = [
    ("solar", "Wire A", "2023-01-10", "Solar farm opens",
     "The largest solar farm in Nevada began operating on Monday, supplying power to 80,000 homes."),
    ("flood", "Wire B", "2023-06-15", "Lisbon floods",
     "Heavy rain flooded streets in Lisbon, and firefighters rescued residents trapped in their cars."),
    ("rates", "Wire A", "2024-02-20", "Rates rise",
     "The central bank raised interest rates by a quarter point to fight inflation, its governor said."),
    ("battery", "Wire C", "2024-09-01", "New battery",
     "Engineers at Kestrel Labs unveiled the QX-7731 cell, which they say charges fully in nine minutes."),
    ("marathon", "Wire B", None, "Berlin marathon",
     "A runner from Kenya broke the course record at the Berlin marathon by forty seconds."),
    ("bikes", "Wire C", "2022-11-11", "Bike lanes",
     "The city council approved a network of protected bicycle lanes downtown after a long debate."),
]


@pytest.fixture
def news_index(empty_index, tmp_path) -> Index:
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(
        json.dumps({"id": i, "source": s, "published": p, "title": t, "text": x, "url": f"https://example.org/{i}"})
        for i, s, p, t, x in ROWS
    ))
    report = empty_index.ingest([path])
    assert len(report.added) == len(ROWS)
    return empty_index


def test_passages_carry_everything_needed_to_cite_them(news_index, tmp_path):
    articles = {a.id: a for a in load([tmp_path / "news.jsonl"])}
    passages = news_index.search("Which city had floods and rescues?", k=3)

    assert 1 <= len(passages) <= 3 and all(isinstance(p, Passage) for p in passages)
    top = passages[0]
    assert (top.doc_id, top.title, top.source, top.published, top.url) == (
        "flood", "Lisbon floods", "Wire B", "2023-06-15", "https://example.org/flood")
    for p in passages:
        assert articles[p.doc_id].text[p.start:p.end] == p.text
        assert p.chunk_id.startswith(p.doc_id)
        assert isinstance(p.score, float)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert set(top.to_dict()) >= {"doc_id", "chunk_id", "title", "source", "published", "url", "text", "start", "end", "score"}


def test_hybrid_finds_exact_codes_and_paraphrases(news_index):
    """BM25 catches a rare exact token; the dense model catches words the passage does not use."""
    assert news_index.search("QX-7731", k=1)[0].doc_id == "battery"
    assert news_index.search("QX-7731", k=1, mode="bm25")[0].doc_id == "battery"
    paraphrase = "downpour inundated roads in Portugal's capital"
    assert news_index.search(paraphrase, k=1, mode="bm25") == [] or news_index.search(paraphrase, k=1, mode="bm25")[0].doc_id != "flood"
    assert news_index.search(paraphrase, k=1, mode="dense")[0].doc_id == "flood"
    assert news_index.search(paraphrase, k=1)[0].doc_id == "flood"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"published_after": "2023-06-01"}, {"flood", "rates", "battery"}),
        ({"published_before": date(2023, 6, 15)}, {"solar", "flood", "bikes"}),  # undated articles fall outside a range
        ({"published_after": "2023-01-01", "published_before": "2023-12-31"}, {"solar", "flood"}),
        ({"sources": ["Wire A"]}, {"solar", "rates"}),
        ({"sources": ["Wire B", "Wire C"], "published_after": "2022-01-01"}, {"flood", "battery", "bikes"}),
        ({"published_after": "2030-01-01"}, set()),
    ],
)
def test_filters_by_publication_date_and_source(news_index, filters, expected):
    for mode in ("hybrid", "bm25"):
        found = {p.doc_id for p in news_index.search("news report city council bank record", k=10, mode=mode, **filters)}
        assert found <= expected, mode
    found = {p.doc_id for p in news_index.search("news report city council bank record", k=10, **filters)}
    assert found == expected, "every matching article is reachable, none other"


def test_k_bounds_the_results_and_bad_queries_are_clear_errors(news_index):
    assert len(news_index.search("energy", k=2)) == 2
    assert len(news_index.search("energy", k=50)) == len(ROWS), "one chunk each: no more than exist"
    for bad in ({"query": "   "}, {"query": "energy", "k": 0}, {"query": "energy", "k": -3},
                {"query": "energy", "published_after": "last spring"}):
        with pytest.raises(QuestionError):
            news_index.search(**bad)


def test_another_reader_sees_new_articles(news_index, tmp_path, monkeypatch):
    """BM25 is a per-process copy: a reader must notice another writer's ingest."""
    import rag.index

    monkeypatch.setattr(rag.index, "REFRESH_EVERY_S", 0.0)
    reader = reopen(news_index)
    assert reader.search("Zanzibar spice festival", k=1, mode="bm25") == []
    extra = tmp_path / "extra.txt"
    extra.write_text("The Zanzibar spice festival drew record crowds this weekend.")
    news_index.ingest([extra])
    assert reader.search("Zanzibar spice festival", k=1, mode="bm25")[0].doc_id == "extra"
    assert reader.search("Zanzibar spice festival", k=1)[0].doc_id == "extra"


def test_searching_an_empty_index_returns_nothing(empty_index):
    assert empty_index.search("anything at all", k=5) == []



FILTERS = [
    {"published_after": "2023-06-01"},
    {"published_before": "2023-06-15"},
    {"published_after": "2023-01-01", "published_before": "2023-12-31"},
    {"sources": ["Wire A"]},
    {"sources": ["Wire B", "Wire C"], "published_after": "2022-01-01"},
    {"published_after": "2030-01-01"},
]
STALE = "solar#0.00000000"  # a chunk of a replaced version of "solar", as a crashed ingest leaves


def _add_stale_solar_chunk(index: Index, vector) -> None:
    record = next(r for r in index.articles() if r.doc_id == "solar")
    text, meta = index.store.article_chunks("solar", record.version)[0]
    index.store.put_chunks([STALE], [text], vector[None, :], [{**meta, "version": "0" * 16}])


@pytest.mark.parametrize("narrow", [False, True], ids=["prefiltered", "chroma-where"])
def test_filtered_dense_search_finds_what_chromas_where_finds(news_index, monkeypatch, narrow):
    """Filtered searches filter the nearest chunks themselves instead of asking Chroma to scan
    every chunk's metadata; the chunks that pass must be those `where` gives, a chunk of a
    replaced version included (which `search` then drops), and so must the `where` fallback."""
    import rag.retrieval as retrieval
    from rag.index import make_filters

    if narrow:
        monkeypatch.setattr(retrieval, "PREFILTER_MAX", 0)
    question = "Which city opened a solar farm?"
    vector = news_index.embedder.encode([question])[0]
    _add_stale_solar_chunk(news_index, vector)
    news_index.search(question)  # the BM25 copy, which holds no stale chunk, is loaded
    for spec in FILTERS:
        filters = make_filters(spec.get("published_after"), spec.get("published_before"), spec.get("sources"))
        ours = retrieval._dense(vector, 40, filters, news_index.store, news_index._lexical)
        chroma = news_index.store.query(vector, 40, filters.where())
        assert [r[:3] for r in ours] == [r[:3] for r in chroma], spec
        assert [r[3] for r in ours] == pytest.approx([r[3] for r in chroma], abs=1e-6)
        solar_passes = news_index.search("solar farm Nevada", k=10, mode="bm25", **spec)
        assert (STALE in [r[0] for r in ours]) == any(p.doc_id == "solar" for p in solar_passes), spec
        assert STALE not in {p.chunk_id for p in news_index.search(question, k=10, **spec)}


def test_reading_whole_articles_fetches_only_their_current_chunks(news_index):
    """`expand` reads the top articles' chunks by id; it must get what the metadata query gets."""
    store = news_index.store
    _add_stale_solar_chunk(news_index, news_index.embedder.encode(["solar"])[0])
    records = news_index.articles()
    found = store.current_chunks(records)
    assert set(found) == {r.doc_id for r in records}
    for record in records:
        by_where = sorted(store.article_chunks(record.doc_id, record.version), key=lambda r: r[1]["seq"])
        assert sorted(((t, m) for _, t, m in found[record.doc_id]), key=lambda r: r[1]["seq"]) == by_where
    assert STALE not in {cid for chunks in found.values() for cid, *_ in chunks}
    assert store.current_chunks([]) == {}


def test_typed_spans_cache_hands_out_copies():
    from rag.question import Kind, typed_spans, typed_strength

    sentence = "They last met on February 7, 2024, and again in May."
    spans = typed_spans(Kind.DATE, sentence)
    assert spans == ["February 7, 2024", "in May"]
    spans.append("changed by a caller")
    assert typed_spans(Kind.DATE, sentence) == ["February 7, 2024", "in May"]
    assert typed_strength(Kind.DATE, sentence) == 1.0 and typed_strength(Kind.DATE, "No date here.") == 0.0


@pytest.mark.parametrize("k", [1, 3, 10])
def test_reranking_only_the_candidates_that_can_win_ranks_as_scoring_all(seed_index, k):
    """`search` skips the answer-type features of candidates whose bound cannot reach the top k;
    its top k, and their scores, must be exactly those of scoring every candidate."""
    from rag.question import analyse
    from rag.retrieval import _Candidate, _rerank, rerank_score

    seed_index.articles()
    rows = list(seed_index.store.iter_chunks())
    vectors = seed_index.store.get_chunks([cid for cid, *_ in rows], with_vectors=True)
    for question in ("When did Harry last see Charles?", "Who is Meghan Markle?", "How many grandchildren does the King have?",
                     "Where did the 2021 funeral take place?", "What did the palace say?"):
        q = analyse(question, idf=seed_index._lexical.idf)
        vector = seed_index.embedder.encode([question])[0]
        candidates = [
            _Candidate(cid, text, meta, float(np.dot(vectors[cid][2], vector)), 1 / (60 + rank), 0.0)
            for rank, (cid, text, meta) in enumerate(rows)
        ]
        everything = sorted(candidates, key=lambda c: -rerank_score(q, c))[:k]
        scores = _rerank(q, candidates, k)
        pruned = sorted((c for c in candidates if c.id in scores), key=lambda c: -scores[c.id])[:k]
        assert [(c.id, scores[c.id]) for c in pruned] == [(c.id, rerank_score(q, c)) for c in everything], question


def test_the_bm25_copy_holds_each_chunk_as_chroma_does_and_reloads_the_same(seed_index):
    """Search reads its candidates from the BM25 copy: it must be Chroma's chunks exactly."""
    from rag.lexical import LexicalIndex, cache_folder

    seed_index._refresh(force=True)
    lexical = seed_index._lexical
    assert lexical.stored is not None and len(lexical.stored) == len(lexical.chunks) > 0
    rows = seed_index.store.get_chunks([c.id for c in lexical.chunks], with_vectors=True)
    for c in lexical.chunks:
        text, meta, vector = lexical.stored_chunk(c.id)
        assert (text, meta) == rows[c.id][:2]
        assert np.allclose(vector, rows[c.id][2], atol=1e-6)
    settings = seed_index.settings
    loaded = LexicalIndex.load(cache_folder(settings.index_path, settings.chroma_url, settings.collection), seed_index._generation)
    assert loaded is not None and loaded.stored == lexical.stored
    assert np.array_equal(loaded.vectors, lexical.vectors)


@pytest.mark.parametrize("filters", [{}, {"published_after": "2022-01-01"}, {"sources": ["Perez Hilton"]}])
def test_search_from_the_copy_equals_search_from_chroma(seed_index, filters):
    questions = ["When did Harry last see Charles?", "Where is the Diana statue?", "Who is Meredith Maines?"]
    seed_index._refresh()
    lexical = seed_index._lexical

    def results():
        return [[(p.chunk_id, p.score, p.text, p.published) for p in seed_index.search(q, k=8, **filters)] for q in questions]

    from_copy = results()
    stored, lexical.stored = lexical.stored, None  # every candidate read from Chroma, as before the copy
    try:
        from_chroma = results()
    finally:
        lexical.stored = stored
    assert from_copy == from_chroma and any(from_copy)
