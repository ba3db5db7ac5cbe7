"""Evaluation runs: ask every question of a JSONL set and judge answers, citations, retrieval.

Question format (shared with `../shared/benchmarks/rgb/questions.jsonl`): `id`, `type`,
`question`, `answers` (required parts, each a list of acceptable strings; empty when the
articles hold no answer), `gold` (`{doc, quote?}`), optional `history`.

Judging rules:
* An answer is correct when every required part has an acceptable string in the answer text
  (case and spacing ignored) and the system did not abstain. For an unanswerable question,
  abstaining is correct.
* A passage is relevant when it comes from a gold `doc` and, where the gold gives a `quote`,
  contains it.
* A citation is precise when its passage is from a gold article or holds a gold quote.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    type: str
    question: str
    answers: tuple[tuple[str, ...], ...]
    gold: tuple[dict, ...]
    history: tuple = field(default=())

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_questions(path: str | Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Cannot read the question file {path}: {err}.") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(row["id"]), type=str(row.get("type") or "factual"), question=str(row["question"]),
                    answers=tuple(tuple(str(a) for a in part) for part in row.get("answers") or ()),
                    gold=tuple(row.get("gold") or ()), history=tuple(row.get("history") or ()),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ConfigError(f"{path}:{number} is not a valid question ({type(err).__name__}: {err}).") from None
    if not questions:
        raise ConfigError(f"{path} holds no questions.")
    return questions


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'").replace("‘", "'")).strip()


def answer_correct(q: EvalQuestion, text: str, abstained: bool) -> bool:
    if not q.answerable:
        return abstained
    if abstained:
        return False
    norm = _norm(text)
    return all(any(_norm(option) in norm for option in part) for part in q.answers)


def relevant(q: EvalQuestion, doc_id: str, text: str) -> bool:
    norm = _norm(text)
    return any(g.get("doc") == doc_id and (not g.get("quote") or _norm(g["quote"]) in norm) for g in q.gold)


def run_question(index, q: EvalQuestion, k: int, mode: str = "hybrid", answerer: bool = True) -> dict:
    started = time.perf_counter()
    if answerer:
        result = index.ask(q.question, history=q.history, k=k, mode=mode)
        text, abstained, warnings = result.text, result.abstained, list(result.warnings)
        citations = result.citations
        retrieved = list(result.passages)
    else:  # the tutorial baseline: the top passage is the answer
        retrieved = index.search(q.question, k=max(k, 10), mode=mode)
        text = retrieved[0].text if retrieved else ""
        abstained, warnings, citations = not retrieved, [], ()
    latency = (time.perf_counter() - started) * 1000
    ranks = [i for i, p in enumerate(retrieved, 1) if relevant(q, p.doc_id, p.text)]
    gold_docs = {g["doc"] for g in q.gold}
    cited = [
        {"n": c.n, "doc_id": c.passage.doc_id, "chunk_id": c.passage.chunk_id, "text": c.text, "start": c.start,
         "end": c.end, "published": c.passage.published or None}
        for c in citations
    ]
    precise = [c["doc_id"] in gold_docs or relevant(q, c["doc_id"], c["text"]) for c in cited]
    return {
        "id": q.id, "type": q.type, "question": q.question, "answer": text, "abstained": abstained,
        "warnings": warnings, "citations": cited,
        "retrieved": [{"doc_id": p.doc_id, "chunk_id": p.chunk_id, "text": p.text, "score": round(p.score, 4)} for p in retrieved],
        "latency_ms": round(latency, 1),
        "answerable": q.answerable,
        "correct": answer_correct(q, text, abstained),
        "first_relevant_rank": ranks[0] if ranks else None,
        "relevant_ranks": ranks,
        "gold_docs": sorted(gold_docs),
        "citation_precision": (sum(precise) / len(precise)) if precise else None,
        "cited_gold_docs": sorted({c["doc_id"] for c in cited} & gold_docs),
    }


def run(index, questions: Iterable[EvalQuestion], k: int = 5, mode: str = "hybrid", answerer: bool = True,
        progress: Callable[[int, int], None] | None = None) -> list[dict]:
    questions = list(questions)
    records = []
    for i, q in enumerate(questions, 1):
        records.append(run_question(index, q, k, mode, answerer))
        if progress:
            progress(i, len(questions))
    return records


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return round(ordered[index], 1)


def summarize(records: list[dict], k: int = 5) -> dict:
    answerable = [r for r in records if r["answerable"]]
    null = [r for r in records if not r["answerable"]]
    abstained = [r for r in records if r["abstained"]]
    ranks = [r["first_relevant_rank"] for r in answerable]
    precisions = [r["citation_precision"] for r in answerable if r["citation_precision"] is not None]
    latencies = [r["latency_ms"] for r in records]
    summary = {
        "questions": len(records),
        "answerable": len(answerable),
        "answer_accuracy": _mean([float(r["correct"]) for r in answerable]),
        "hit@1": _mean([float(x == 1) for x in ranks]),
        f"hit@{k}": _mean([float(x is not None and x <= k) for x in ranks]),
        "mrr@10": _mean([1 / x if x is not None and x <= 10 else 0.0 for x in ranks]),
        "citation_precision": _mean(precisions),
        "citation_recall": _mean([len(r["cited_gold_docs"]) / len(r["gold_docs"]) for r in answerable if r["gold_docs"]]),
        "cited_answers": _mean([float(bool(r["citations"])) for r in answerable if not r["abstained"]]),
        "abstention_recall": _mean([float(r["abstained"]) for r in null]),
        "abstention_precision": _mean([float(not r["answerable"]) for r in abstained]),
        "false_abstention": _mean([float(r["abstained"]) for r in answerable]),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }
    by_type: dict[str, dict] = {}
    for kind in sorted({r["type"] for r in records}):
        rows = [r for r in records if r["type"] == kind]
        by_type[kind] = {"questions": len(rows), "accuracy": _mean([float(r["correct"]) for r in rows])}
    summary["by_type"] = by_type
    return summary
