"""Choose when to abstain (answer.ABSTAIN_BELOW and answer.ASTRAY_COST) on development question sets.

    .venv/bin/python eval/calibrate.py --set seeds=/tmp/seeds:eval/questions/seeds.jsonl \
        --set seeds2=/tmp/seeds:eval/questions/seeds2.jsonl \
        --set wire=/tmp/wire:eval/questions/wire.jsonl --set beat=/tmp/beat:eval/questions/beat.jsonl \
        --set rgb=/tmp/rgb:../shared/benchmarks/rgb/questions.jsonl

Each --set is NAME=INDEX_DIR:QUESTIONS.jsonl (build the index first with `rag ingest`). For each
astray cost (what an answer far from the question's words takes off the confidence) every
question is answered once with abstention off, keeping the answer's confidence; then each
threshold is judged as if it had been applied. The rule: the most questions handled right (an
answerable one answered correctly, an unanswerable one declined; each set's share, summed over
the sets) with false abstentions at most --max-false on every set; ties go to the higher
abstention recall, then to the higher threshold. (Until session 8 the rule put abstention recall
first; with two settings to choose it traded six right answers for one more declined question.)
It prints the table and the choice; copying it into rag/answer.py is a reviewed change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import Index  # noqa: E402
from rag import answer as A  # noqa: E402
from rag import evaluation as ev  # noqa: E402

Row = tuple[bool, bool, float]  # answerable, correct when answered, confidence


def confidences(folder: str, questions: str) -> list[Row]:
    index = Index.open(folder)
    rows = []
    for q in track(ev.load_questions(questions), description=Path(questions).name, transient=True):
        answer = index.ask(q.question, q.history)
        rows.append((q.answerable, q.answerable and ev.answer_correct(q, answer.text, False), answer.confidence))
    return rows


def judged(rows: list[Row], threshold: float) -> dict[str, float | None]:
    answerable = [r for r in rows if r[0]]
    null = [r for r in rows if not r[0]]
    answered_right = sum(ok and c >= threshold for _, ok, c in answerable)
    declined = sum(c < threshold for *_, c in null)
    return {
        "handled": (answered_right + declined) / len(rows),
        "accuracy": answered_right / max(1, len(answerable)),
        "false_abstention": sum(c < threshold for *_, c in answerable) / max(1, len(answerable)),
        "abstention_recall": declined / len(null) if null else None,
    }


def choose(runs: dict[float, dict[str, list[Row]]], max_false: float = 0.1) -> tuple[float, float] | None:
    """The (threshold, astray cost) the rule picks from `runs` (per cost, per set, the rows), or
    None when no threshold keeps false abstentions at most `max_false` on every set."""
    feasible = []
    for cost, sets in runs.items():
        for threshold in THRESHOLDS:
            results = [judged(rows, threshold) for rows in sets.values()]
            if all(r["false_abstention"] <= max_false for r in results):
                handled = sum(r["handled"] for r in results)
                recall = sum(r["abstention_recall"] or 0 for r in results)
                feasible.append((round(handled, 6), round(recall, 6), threshold, cost))
    return max(feasible)[2:] if feasible else None


THRESHOLDS = [t / 100 for t in range(30, 91)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, metavar="NAME=INDEX:QUESTIONS")
    parser.add_argument("--max-false", type=float, default=0.1)
    parser.add_argument("--astray-costs", default="0.2,0.3,0.4,0.5,0.7", help="comma-separated costs to try")
    args = parser.parse_args()
    A.ABSTAIN_BELOW = 0.0  # answer everything; each threshold is applied below
    runs = {}
    for cost in [float(c) for c in args.astray_costs.split(",")]:
        A.ASTRAY_COST = cost
        runs[cost] = {}
        for spec in args.set:
            name, rest = spec.split("=", 1)
            folder, questions = rest.rsplit(":", 1)
            runs[cost][name] = confidences(folder, questions)
        for threshold in THRESHOLDS:
            cells = "  ".join(
                f"{name}: acc {r['accuracy']:.3f} false {r['false_abstention']:.3f} null {r['abstention_recall'] if r['abstention_recall'] is None else round(r['abstention_recall'], 3)}"
                for name, r in ((name, judged(rows, threshold)) for name, rows in runs[cost].items())
            )
            print(f"cost {cost:.2f} abstain below {threshold:.2f}  {cells}")
    best = choose(runs, args.max_false)
    now = f"rag/answer.py has {open_value('ABSTAIN_BELOW')}, {open_value('ASTRAY, ASTRAY_COST')}"
    print(f"abstain below: {best[0]:.2f}, astray cost {best[1]:.2f} ({now})" if best else f"no threshold keeps false abstentions at most {args.max_false} ({now})")


def open_value(name: str) -> str:
    """The value rag/answer.py holds now, read from the source (the module's was changed above)."""
    for line in Path(A.__file__).read_text().splitlines():
        if line.startswith(name + " ="):
            return line.split("=", 1)[1].split("#")[0].strip()
    return "?"


if __name__ == "__main__":
    main()
