"""Fit the ranking weights of retrieval.rerank_score and answer.Sentence.score, and the
abstention threshold, by seeded random search on development question sets.

    .venv/bin/python eval/tune.py --set seeds=index/:eval/questions/seeds.jsonl \
        --set rgb=/tmp/rgb:../shared/benchmarks/rgb/questions.jsonl

Each --set is NAME=INDEX_DIR:QUESTIONS.jsonl (build the index first with `rag ingest`). The
script prints the best weights it found with their metrics next to the weights in the code;
copying them into the code is a reviewed change. Objectives: retrieval maximises MRR@10 +
0.5·hit@1 summed over the sets; answering maximises answer accuracy over the sets, then the
threshold maximises abstention recall with false abstentions at most 0.1 on every set.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import Index  # noqa: E402
from rag import answer as A  # noqa: E402
from rag import evaluation as ev  # noqa: E402
from rag import retrieval as R  # noqa: E402
from rag.conversation import standalone  # noqa: E402
from rag.question import Kind, analyse, canonical, strength, typed_spans  # noqa: E402

RETRIEVAL = ("cos", "bm25", "rrf", "term", "name", "year_hit", "year_conflict", "number_hit", "typed")
ANSWER = ("cosine", "terms", "names", "hard", "typed", "context", "vote", "novelty", "rank")


def retrieval_rows(index: Index, q: ev.EvalQuestion) -> list[dict]:
    """Every fused candidate of the question with its rerank features and relevance."""
    text = standalone(q.question, q.history)
    qa = analyse(text, idf=index._lexical.idf)
    vector = index.embedder.encode([text])[0]
    seen: list = []
    original = R.rerank_score
    R.rerank_score = lambda _q, c: seen.append(c) or c.rrf  # capture candidates, keep ranking cheap
    try:
        R.search(qa, vector, index.store, index._lexical, index._articles, R.CANDIDATES)
    finally:
        R.rerank_score = original
    rows = {}
    for c in seen:
        lowered = c.text.lower()
        found = set(re.findall(r"\b(?:1[89]\d\d|20\d\d)\b", c.text)) | {str(c.meta.get("published", ""))[:4]}
        year_hit = sum(y in found for y in qa.years) / len(qa.years) if qa.years else 0.0
        rows[c.id] = {
            "cos": c.cosine, "bm25": c.bm25, "rrf": c.rrf,
            "term": qa.coverage(set(A.tokenize(c.text + " " + str(c.meta.get("title", ""))))),
            "name": sum(n in lowered for n in qa.names) / len(qa.names) if qa.names else 0.0,
            "year_hit": year_hit, "year_conflict": float(bool(qa.years) and not year_hit),
            "number_hit": sum(n in lowered for n in qa.numbers) / len(qa.numbers) if qa.numbers else 0.0,
            "typed": max((strength(qa.kind, x) for x in typed_spans(qa.kind, c.text)), default=0.0) if qa.kind is not Kind.OTHER else 0.0,
            "relevant": ev.relevant(q, c.meta["doc_id"], c.text),
        }
    return list(rows.values())


def answer_rows(index: Index, q: ev.EvalQuestion) -> dict:
    """Every candidate sentence the answerer would read, with its features and whether it
    holds the required answer."""
    text = standalone(q.question, q.history)
    qa = analyse(text, idf=index._lexical.idf)
    vector = index.embedder.encode([text])[0]
    passages = R.search(qa, vector, index.store, index._lexical, index._articles, 10)
    more = R.expand(passages, index.store, index._articles)
    sentences = A._candidates(qa, passages + more, primary=len(passages))
    if sentences:
        for s, v in zip(sentences, index.embedder.encode([A._as_read(qa, s) for s in sentences])):
            s.cosine = float(np.dot(v, vector))
    return {
        "answerable": q.answerable, "kind": qa.kind, "has_names": bool(qa.names), "has_hard": bool(qa.hard),
        "sentences": [
            {**{f: getattr(s, f) for f in ANSWER}, "keys": {canonical(qa.kind, x) for x in s.extras},
             "lowered": s.text.lower(), "correct": q.answerable and ev.answer_correct(q, s.text, False)}
            for s in sentences
        ],
    }


def rank_metrics(weights: dict, questions: list[list[dict]]) -> tuple[float, float]:
    mrr = hit1 = 0.0
    for rows in questions:
        ranked = sorted(rows, key=lambda r: -sum(weights[k] * r[k] for k in RETRIEVAL))
        rank = next((i for i, r in enumerate(ranked, 1) if r["relevant"]), None)
        mrr += 1 / rank if rank and rank <= 10 else 0.0
        hit1 += rank == 1
    return mrr / len(questions), hit1 / len(questions)


def pick(question: dict, weights: dict) -> tuple[dict | None, float]:
    """The answerer's choice under `weights`: lexical pre-selection, score, vote; and its confidence."""
    pool = sorted(question["sentences"], key=lambda s: -(s["terms"] + s["names"] + s["hard"] + s["typed"] + s["context"]))[: A.EMBED_TOP]
    if not pool:
        return None, 0.0
    base = [sum(weights[f] * s[f] for f in ANSWER if f not in ("vote", "rank")) - weights["rank"] * s["rank"] for s in pool]
    total = sum(max(0.0, b) for b in base) or 1.0
    scores = []
    for s, b in zip(pool, base):
        support = max(
            (sum(max(0.0, ob) for ob, o in zip(base, pool) if (v in o["keys"] if question["kind"] is Kind.DATE else v in o["lowered"]))
             for v in s["keys"] if len(v) >= 3),
            default=0.0,
        )
        scores.append(b + weights["vote"] * support / total)
    best = pool[int(np.argmax(scores))]
    s = A.Sentence.__new__(A.Sentence)
    s.__dict__.update({f: best[f] for f in ANSWER})
    q = analyse("x")  # only kind/names/hard matter to the confidence
    q = q.__class__(**{**q.__dict__, "kind": question["kind"], "names": ("x",) if question["has_names"] else (), "years": ("1",) if question["has_hard"] else ()})
    return best, A._confidence(q, s)


def answer_metrics(weights: dict, threshold: float, questions: list[dict]) -> tuple[float, float | None, float]:
    correct, null_ok, false_abstain, answerable, null = 0, 0, 0, 0, 0
    for question in questions:
        best, confidence = pick(question, weights)
        abstained = best is None or confidence < threshold
        if question["answerable"]:
            answerable += 1
            correct += (not abstained) and best["correct"]
            false_abstain += abstained
        else:
            null += 1
            null_ok += abstained
    return correct / max(1, answerable), (null_ok / null) if null else None, false_abstain / max(1, answerable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, metavar="NAME=INDEX:QUESTIONS")
    parser.add_argument("--trials", type=int, default=2000)
    args = parser.parse_args()
    sets = {}
    for spec in args.set:
        name, rest = spec.split("=", 1)
        folder, questions = rest.rsplit(":", 1)
        index = Index.open(folder)
        index._refresh()
        qs = ev.load_questions(questions)
        sets[name] = (
            [retrieval_rows(index, q) for q in qs if q.answerable],
            [answer_rows(index, q) for q in qs],
        )
        print(f"{name}: {len(qs)} questions read", file=sys.stderr)
    rng = random.Random(0)

    def retrieval_objective(w):
        return sum(m + 0.5 * h for m, h in (rank_metrics(w, r) for r, _ in sets.values()))

    best = max(
        ({"cos": 1.0, "bm25": rng.uniform(0, 1), "rrf": rng.uniform(0, 20), "term": rng.uniform(0, 1.5), "name": rng.uniform(0, 1),
          "year_hit": rng.uniform(0, 1.5), "year_conflict": rng.uniform(-1.5, 0), "number_hit": rng.uniform(0, 1), "typed": rng.uniform(0, 0.8)}
         for _ in range(args.trials)),
        key=retrieval_objective,
    )
    print("retrieval weights:", {k: round(v, 2) for k, v in best.items()})
    for name, (rows, _) in sets.items():
        print(f"  {name}: MRR@10 {rank_metrics(best, rows)[0]:.3f}  hit@1 {rank_metrics(best, rows)[1]:.3f}")

    def answer_objective(w):
        return sum(answer_metrics(w, 0.0, a)[0] for _, a in sets.values())

    weights = max(
        ({"cosine": rng.uniform(0.3, 1.5), "terms": rng.uniform(0, 1.2), "names": rng.uniform(0, 0.8), "hard": rng.uniform(0, 1),
          "typed": rng.uniform(0, 1.2), "context": rng.uniform(0, 0.8), "vote": rng.uniform(0, 1.5), "rank": rng.uniform(0, 0.08),
          "novelty": rng.uniform(-0.5, 1)} for _ in range(args.trials // 2)),
        key=answer_objective,
    )
    print("answer weights:", {k: round(v, 2) for k, v in weights.items()})
    feasible = [t / 100 for t in range(30, 100)
                if all(answer_metrics(weights, t / 100, a)[2] <= 0.1 for _, a in sets.values())]
    threshold = max(feasible, default=0.0, key=lambda t: (sum((answer_metrics(weights, t, a)[1] or 0) for _, a in sets.values()), -t))
    print(f"abstain below: {threshold:.2f}")
    for name, (_, answers) in sets.items():
        acc, null, false = answer_metrics(weights, threshold, answers)
        print(f"  {name}: accuracy {acc:.3f}  abstention recall {null}  false abstention {false:.3f}")


if __name__ == "__main__":
    main()
