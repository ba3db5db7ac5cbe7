"""Fit the ranking weights of retrieval.rerank_score and answer.Sentence.score by seeded
random search on development question sets.

    .venv/bin/python eval/tune.py --set seeds=index/:eval/questions/seeds.jsonl \
        --set rgb=/tmp/rgb:../shared/benchmarks/rgb/questions.jsonl

Each --set is NAME=INDEX_DIR:QUESTIONS.jsonl (build the index first with `rag ingest`). The
script prints the best weights it found with their metrics next to the weights in the code;
copying them into the code is a reviewed change. Objectives: retrieval maximises MRR@10 +
0.5·hit@1 summed over the sets; answering maximises answer accuracy over the sets (with no
abstention). New weights change the answers' confidences: choose the abstention threshold again
with eval/calibrate.py, on the real pipeline.
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
ANSWER = ("cosine", "terms", "names", "hard", "typed", "context", "vote", "novelty", "rank", "clash")


def retrieval_rows(index: Index, q: ev.EvalQuestion) -> list[dict]:
    """Every fused candidate of the question with its rerank features and relevance."""
    text = standalone(q.question, q.history)
    qa = analyse(text, idf=index._lexical.idf)
    vector = index.embedder.encode([text])[0]
    seen: list = []
    original = R._rerank
    R._rerank = lambda _q, candidates, _k: seen.extend(candidates) or {c.id: c.rrf for c in candidates}  # capture them
    try:
        R.search(qa, vector, index.store, index._lexical, index._articles, R.CANDIDATES)
    finally:
        R._rerank = original
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
    more = R.expand(passages, index.store, index._lexical, index._articles)
    qa = A._weigh_own_words(qa)
    sentences = A._candidates(qa, passages + more, primary=len(passages))
    if sentences:
        for s, v in zip(sentences, index.embedder.encode([A._as_read(qa, s) for s in sentences])):
            s.cosine = float(np.dot(v, vector))
    return {
        "answerable": q.answerable, "kind": qa.kind,
        "sentences": [
            {**{f: getattr(s, f) for f in ANSWER}, "keys": {canonical(qa.kind, x) for x in s.extras[: A.VOTED]},
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


def pick(question: dict, weights: dict) -> dict | None:
    """The answerer's choice under `weights`: lexical pre-selection, score, vote."""
    pool = sorted(question["sentences"], key=lambda s: -(s["terms"] + s["names"] + s["hard"] + s["typed"] + s["context"]))[: A.EMBED_TOP]
    if not pool:
        return None
    base = [sum(weights[f] * s[f] for f in ANSWER if f not in ("vote", "rank", "clash")) - weights["rank"] * s["rank"]
            - weights["clash"] * s["clash"] for s in pool]
    votes = [max(0.0, b) * (0.2 if s["clash"] else 1.0) for b, s in zip(base, pool)]
    total = sum(votes) or 1.0
    scores = []
    for s, b, own in zip(pool, base, votes):
        support = max(
            (sum(ob for ob, o in zip(votes, pool) if (v in o["keys"] if question["kind"] is Kind.DATE else v in o["lowered"])) - own
             for v in s["keys"] if len(v) >= 3),
            default=0.0,
        )
        scores.append(b + weights["vote"] * support / total)
    return pool[int(np.argmax(scores))]


def answer_accuracy(weights: dict, questions: list[dict]) -> float:
    """Share of the answerable questions whose picked sentence holds the answer (no abstention)."""
    answerable = [q for q in questions if q["answerable"]]
    return sum(bool((best := pick(q, weights)) and best["correct"]) for q in answerable) / max(1, len(answerable))


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
        return sum(answer_accuracy(w, a) for _, a in sets.values())

    weights = max(
        ({"cosine": rng.uniform(0.3, 1.5), "terms": rng.uniform(0, 1.2), "names": rng.uniform(0, 0.8), "hard": rng.uniform(0, 1),
          "typed": rng.uniform(0, 1.2), "context": rng.uniform(0, 0.8), "vote": rng.uniform(0, 1.5), "rank": rng.uniform(0, 0.08),
          "novelty": rng.uniform(-0.5, 1), "clash": rng.uniform(0, 1)} for _ in range(args.trials // 2)),
        key=answer_objective,
    )
    print("answer weights:", {k: round(v, 2) for k, v in weights.items()})
    for name, (_, answers) in sets.items():
        print(f"  {name}: accuracy {answer_accuracy(weights, answers):.3f} (no abstention)")


if __name__ == "__main__":
    main()
