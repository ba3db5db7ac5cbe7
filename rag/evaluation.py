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

Relevance is judged over every chunk in the index (not only the retrieved ones), so nDCG's
ideal ranking is the real one. The ranking metrics are computed by trec_eval (through
ir-measures) on those passage-level judgments; `DEFINITIONS` says what each metric means and
is printed in every report.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

#: Ranking depth judged for MRR@10 and nDCG@10, whatever --k the answerer reads.
DEPTH = 10

#: What every metric means; the reports print this table. `{k}` is the run's --k.
DEFINITIONS = {
    "questions": "questions asked",
    "answerable": "questions whose articles hold an answer (the others should be abstained on)",
    "accuracy": "correct over all questions (an abstention is correct for an unanswerable question)",
    "answer_accuracy": "answerable questions answered (not abstained) with every required part in the answer text",
    "hit@1": "answerable questions whose top passage is relevant",
    "hit@{k}": "answerable questions with a relevant passage in the top {k}",
    "recall@{k}": "share of a question's gold entries ({{doc, quote}}) satisfied by some passage in the top {k}, "
                  "averaged over answerable questions",
    "mrr@10": "mean of 1/rank of the first relevant passage in the top 10 (0 if none)",
    "ndcg@10": "binary-relevance nDCG of the top 10 against every relevant chunk in the index",
    "citation_precision": "share of an answer's citations from a gold article or holding a gold quote "
                          "(answers with citations)",
    "citation_recall": "share of a question's gold articles that the answer cites (answerable questions)",
    "cited_answers": "answered (not abstained) answerable questions that cite at least one passage",
    "abstention_precision": "abstentions that were on unanswerable questions",
    "abstention_recall": "unanswerable questions abstained on",
    "false_abstention": "answerable questions abstained on (lower is better)",
    "latency_p50_ms": "median wall time of one question (retrieval + answer, in process, after a warm-up)",
    "latency_p95_ms": "95th percentile of the same",
}

#: Metrics where a fall is an improvement.
LOWER_IS_BETTER = frozenset({"false_abstention", "latency_p50_ms", "latency_p95_ms"})


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

    def lowercased(self) -> "EvalQuestion":
        """The question and the earlier questions of its history as many users type them."""
        history = tuple(
            turn.lower() if isinstance(turn, str) else {**turn, "question": str(turn.get("question", "")).lower()}
            for turn in self.history
        )
        return replace(self, question=self.question.lower(), history=history)


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
            parts = row.get("answers") or ()
            gold = row.get("gold") or ()
            if isinstance(parts, str) or any(isinstance(part, str) for part in parts):
                raise TypeError('"answers" must be a list of required parts, each a list of acceptable strings')
            if isinstance(gold, (str, dict)) or not all(isinstance(g, dict) and "doc" in g for g in gold):
                raise TypeError('"gold" must be a list of {"doc": ..., "quote": ...} objects')
            questions.append(
                EvalQuestion(
                    id=str(row["id"]), type=str(row.get("type") or "factual"), question=str(row["question"]),
                    answers=tuple(tuple(str(a) for a in part) for part in parts),
                    gold=tuple(gold), history=tuple(row.get("history") or ()),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise ConfigError(
                f"{path}:{number} is not a valid question ({type(err).__name__}: {err}). Each line is a JSON "
                'object with "id", "question", "answers" and "gold" (see eval/questions/seeds.jsonl).'
            ) from None
    if not questions:
        raise ConfigError(f"{path} holds no questions: write one JSON object per line.")
    duplicates = sorted({q.id for q in questions if sum(o.id == q.id for o in questions) > 1})
    if duplicates:
        raise ConfigError(f"{path} uses these question ids more than once: {', '.join(duplicates[:5])}. Make them unique.")
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


def _satisfies(gold: dict, doc_id: str, norm_text: str) -> bool:
    return gold.get("doc") == doc_id and (not gold.get("quote") or _norm(gold["quote"]) in norm_text)


def relevant(q: EvalQuestion, doc_id: str, text: str) -> bool:
    norm = _norm(text)
    return any(_satisfies(g, doc_id, norm) for g in q.gold)


# ---- relevance judgments over the whole index ---------------------------------------------

Chunk = tuple[str, str, str]  # (chunk id, doc id, text)


def chunk_pool(index) -> list[Chunk]:
    """Every current chunk of an `Index`: the pool the relevance judgments are made over."""
    current = {record.doc_id: record.version for record in index.articles()}
    return [
        (cid, meta["doc_id"], text)
        for cid, text, meta in index.store.iter_chunks()
        if current.get(meta["doc_id"]) == meta.get("version")
    ]


def judge(questions: Iterable[EvalQuestion], pool: Iterable[Chunk]) -> dict[str, frozenset[str]]:
    """The ids of the chunks relevant to each question (its qrels)."""
    pool = [(cid, doc, _norm(text)) for cid, doc, text in pool]
    return {
        q.id: frozenset(cid for cid, doc, norm in pool if any(_satisfies(g, doc, norm) for g in q.gold))
        for q in questions
    }


def missing_gold_docs(questions: Iterable[EvalQuestion], pool: Iterable[Chunk]) -> set[str]:
    """Gold articles that are not in the index: their questions cannot be retrieved for."""
    present = {doc for _, doc, _ in pool}
    return {g["doc"] for q in questions for g in q.gold} - present


def ranking_metrics(ranking: list[str], relevant_ids: Iterable[str], k: int) -> dict[str, float]:
    """hit@1, hit@k, MRR@10 and nDCG@10 of one ranked list of chunk ids, by trec_eval."""
    import ir_measures
    from ir_measures import RR, Success, nDCG

    names = {Success @ 1: "hit@1", Success @ k: f"hit@{k}", RR @ DEPTH: f"mrr@{DEPTH}", nDCG @ DEPTH: f"ndcg@{DEPTH}"}
    values = dict.fromkeys(names.values(), 0.0)
    qrels = {"q": {cid: 1 for cid in relevant_ids}}
    if not qrels["q"] or not ranking:
        return values
    # Scores that fall with rank: trec_eval orders by score and would break ties by id.
    run = {"q": {cid: float(len(ranking) - i) for i, cid in enumerate(ranking)}}
    for metric in ir_measures.iter_calc(list(names), qrels, run):
        values[names[metric.measure]] = round(float(metric.value), 4)
    return values


# ---- running ------------------------------------------------------------------------------


def run_question(
    index, q: EvalQuestion, k: int, mode: str = "hybrid", answerer: bool = True,
    relevant_ids: Iterable[str] | None = None,
) -> dict:
    """Ask one question and judge it. `relevant_ids` are the question's qrels (`judge`); without
    them only the retrieved passages are judged, which makes nDCG@10 optimistic."""
    depth = max(k, DEPTH)
    started = time.perf_counter()
    if answerer:
        result = index.ask(q.question, history=q.history, k=k, mode=mode)
        latency = (time.perf_counter() - started) * 1000
        text, abstained, warnings = result.text, result.abstained, list(result.warnings)
        citations = result.citations
        retrieved = list(result.passages)
        standalone = result.standalone or q.question
        # The ranking metrics look 10 deep: the answerer's passages first, as it saw them,
        # then the rest of a deeper search for the same (resolved) question.
        deeper = index.search(standalone, k=depth, mode=mode) if len(retrieved) < depth and retrieved else []
        seen = {p.chunk_id for p in retrieved}
        ranking = retrieved + [p for p in deeper if p.chunk_id not in seen]
    else:  # the tutorial baseline: the top passage is the answer
        ranking = index.search(q.question, k=depth, mode=mode)
        latency = (time.perf_counter() - started) * 1000
        retrieved, standalone = ranking[:k], q.question
        text = ranking[0].text if ranking else ""
        abstained, warnings, citations = not ranking, [], ()
    ranking = ranking[:depth]
    flags = [relevant(q, p.doc_id, p.text) for p in ranking]
    if relevant_ids is None:
        relevant_ids = {p.chunk_id for p, ok in zip(ranking, flags) if ok}
    ranks = [i for i, ok in enumerate(flags, 1) if ok]
    gold_docs = {g["doc"] for g in q.gold}
    top = [(p.doc_id, _norm(p.text)) for p in ranking[:k]]
    found = [any(_satisfies(g, doc, norm) for doc, norm in top) for g in q.gold]
    cited = [
        {"n": c.n, "doc_id": c.passage.doc_id, "chunk_id": c.passage.chunk_id, "text": c.text, "start": c.start,
         "end": c.end, "published": c.passage.published or None}
        for c in citations
    ]
    precise = [c["doc_id"] in gold_docs or relevant(q, c["doc_id"], c["text"]) for c in cited]
    record = {
        "id": q.id, "type": q.type, "question": q.question, "answer": text, "abstained": abstained,
        "warnings": warnings, "citations": cited,
        "retrieved": [{"doc_id": p.doc_id, "chunk_id": p.chunk_id, "text": p.text, "score": round(p.score, 4)} for p in retrieved],
        "latency_ms": round(latency, 1),
        "standalone": standalone,
        "answerable": q.answerable,
        "correct": answer_correct(q, text, abstained),
        "first_relevant_rank": ranks[0] if ranks else None,
        "relevant_ranks": ranks,
        "ranking": [p.chunk_id for p in ranking],
        "relevant_chunks": len(set(relevant_ids)),
        "gold_docs": sorted(gold_docs),
        "gold_found": sum(found),
        "gold_total": len(found),
        "citation_precision": (sum(precise) / len(precise)) if precise else None,
        "cited_gold_docs": sorted({c["doc_id"] for c in cited} & gold_docs),
    }
    if q.answerable:
        record.update(ranking_metrics(record["ranking"], relevant_ids, k))
        record[f"recall@{k}"] = round(sum(found) / len(found), 4) if found else 0.0
    return record


def iter_run(
    index, questions: Iterable[EvalQuestion], k: int = 5, mode: str = "hybrid", answerer: bool = True,
    pool: Iterable[Chunk] | None = None,
) -> Iterator[dict]:
    """Judged records, one per question, as they are answered. `pool` defaults to the index's
    chunks (give it for an index-like object that is not a `rag.Index`)."""
    questions = list(questions)
    qrels = judge(questions, chunk_pool(index) if pool is None else pool)
    if questions:  # loads the model and the BM25 copy, so no question's latency includes them
        run_question(index, questions[0], k, mode, answerer, qrels[questions[0].id])
    for q in questions:
        yield run_question(index, q, k, mode, answerer, qrels[q.id])


def run(index, questions: Iterable[EvalQuestion], k: int = 5, mode: str = "hybrid", answerer: bool = True,
        progress: Callable[[int, int], None] | None = None, pool: Iterable[Chunk] | None = None) -> list[dict]:
    questions = list(questions)
    records = []
    for i, record in enumerate(iter_run(index, questions, k, mode, answerer, pool), 1):
        records.append(record)
        if progress:
            progress(i, len(questions))
    return records


# ---- summaries ------------------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _percentile(values: list[float], pct: float) -> float | None:
    import numpy as np

    return round(float(np.percentile(values, pct)), 1) if values else None


def _metrics(records: list[dict], k: int) -> dict:
    answerable = [r for r in records if r["answerable"]]
    null = [r for r in records if not r["answerable"]]
    abstained = [r for r in records if r["abstained"]]
    precisions = [r["citation_precision"] for r in answerable if r["citation_precision"] is not None]
    latencies = [r["latency_ms"] for r in records]
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "accuracy": _mean([float(r["correct"]) for r in records]),
        "answer_accuracy": _mean([float(r["correct"]) for r in answerable]),
        **{name: _mean([r[name] for r in answerable]) for name in ("hit@1", f"hit@{k}", f"recall@{k}", "mrr@10", "ndcg@10")},
        "citation_precision": _mean(precisions),
        "citation_recall": _mean([len(r["cited_gold_docs"]) / len(r["gold_docs"]) for r in answerable if r["gold_docs"]]),
        "cited_answers": _mean([float(bool(r["citations"])) for r in answerable if not r["abstained"]]),
        "abstention_precision": _mean([float(not r["answerable"]) for r in abstained]),
        "abstention_recall": _mean([float(r["abstained"]) for r in null]),
        "false_abstention": _mean([float(r["abstained"]) for r in answerable]),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }


def summarize(records: list[dict], k: int = 5) -> dict:
    """Every metric over all questions, and again per question type (`by_type`)."""
    summary = _metrics(records, k)
    summary["k"] = k
    summary["by_type"] = {kind: _metrics([r for r in records if r["type"] == kind], k) for kind in sorted({r["type"] for r in records})}
    return summary


def definitions(k: int) -> dict[str, str]:
    return {name.format(k=k): text.format(k=k) for name, text in DEFINITIONS.items()}


# ---- comparing runs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    metric: str  # "answer_accuracy", or "factual/answer_accuracy" for a question type
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else round(self.new - self.old, 4)

    @property
    def verdict(self) -> str:
        """"better", "worse", "same", or "n/a" when one side has no value."""
        if self.delta is None:
            return "n/a"
        if abs(self.delta) < 1e-9:
            return "same"
        lower = self.metric.rsplit("/", 1)[-1] in LOWER_IS_BETTER
        return "better" if (self.delta < 0) == lower else "worse"


def load_summary(path: str | Path) -> dict:
    """A run's summary from its `summary.json` (or from the `{"summary": ...}` line of --json)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Cannot read the summary to compare with, {path}: {err}.") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path} is not JSON ({err.msg}); give the summary.json of an earlier `rag eval --report`.") from None
    if isinstance(data, dict) and isinstance(data.get("summary"), dict):
        data = data["summary"]
    if not isinstance(data, dict) or not any(isinstance(data.get(m), (int, float)) for m in ("answer_accuracy", "hit@1", "accuracy")):
        raise ConfigError(f"{path} is not an evaluation summary; give the summary.json of an earlier `rag eval --report`.")
    return data


def compare(old: dict, new: dict) -> list[Change]:
    """The change of every metric present in either summary, overall then per question type."""

    def flat(summary: dict) -> dict[str, float | None]:
        values = {m: v for m, v in summary.items() if m not in ("k", "by_type") and (v is None or isinstance(v, (int, float)))}
        for kind, metrics in (summary.get("by_type") or {}).items():
            values.update({f"{kind}/{m}": v for m, v in metrics.items() if v is None or isinstance(v, (int, float))})
        return values

    before, after = flat(old), flat(new)
    names = list(after) + [m for m in before if m not in after]
    return [Change(m, before.get(m), after.get(m)) for m in names]
