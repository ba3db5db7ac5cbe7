"""`Index.search`: hybrid dense + BM25 retrieval, date and source filters, the Passage it returns."""

from __future__ import annotations

import json
from datetime import date

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
