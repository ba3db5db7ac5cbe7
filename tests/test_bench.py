"""The benchmark's building blocks: its synthetic corpora are normal indexes, and `rag bench` fails clearly."""

from __future__ import annotations

import json
import random
import sys
from itertools import islice

import numpy as np
from conftest import ROOT, SEEDS

sys.path.insert(0, str(ROOT / "eval"))
import bench_corpus  # noqa: E402

from rag import Index  # noqa: E402
from rag.cli import main  # noqa: E402
from rag.corpus import load  # noqa: E402


def test_synthetic_corpus_is_an_ordinary_index_that_reingests_as_unchanged(tmp_path):
    index = Index.open(tmp_path / "index")
    seeds = index.ingest([SEEDS]).chunks
    pool = bench_corpus.sentence_pool(bench_corpus.real_articles([SEEDS]), index.embedder)
    jsonl = tmp_path / "synthetic.jsonl"

    def articles():  # the same seed makes the same articles
        return bench_corpus.synthetic_articles(pool, 0, random.Random(7), chunk_tokens=200, overlap=40)

    count = bench_corpus.grow(index.store, 300, articles(), jsonl)

    made = list(islice(articles(), len(jsonl.read_text().splitlines())))
    assert count >= 300 and count == seeds + sum(len(s.chunks) for s in made) == index.store.count()
    for s in made:
        assert all(s.article.text[c.start:c.end] == c.text for c in s.chunks)
        assert all(len(c.text) > 0 for c in s.chunks) and len({c.seq for c in s.chunks}) == len(s.chunks)
        assert np.allclose(np.linalg.norm(s.vectors, axis=1), 1, atol=1e-5)
    reader = Index.open(tmp_path / "index")
    assert {r.doc_id for r in reader.articles()} >= {s.article.id for s in made}
    assert reader.search("When did Harry last see Charles?", k=5), "the real articles are still found"

    read_back = {a.id: a for a in load([jsonl])}
    assert all(read_back[s.article.id].version == s.article.version for s in made)
    again = reader.ingest([SEEDS, jsonl])
    assert (len(again.added), len(again.updated), again.chunks) == (0, 0, 0)
    assert len(again.unchanged) == len(made) + 3


def test_bench_without_its_eval_folder_says_where_it_looked(monkeypatch, capsys, tmp_path):
    import rag.bench_cmd

    monkeypatch.setattr(rag.bench_cmd, "bench_script", lambda: tmp_path / "eval" / "bench.py")
    assert main(["bench", "--quick"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: `rag bench` runs eval/bench.py") and str(tmp_path / "eval" / "bench.py") in err


def test_bench_questions_and_paths_come_from_the_checkout():
    assert bench_corpus.real_paths(None) == [SEEDS]
    questions = bench_corpus.questions(None)
    seeds = [json.loads(line) for line in (ROOT / "eval" / "questions" / "seeds.jsonl").read_text().splitlines() if line.strip()]
    assert questions == [q["question"] for q in seeds if not q.get("history")]
