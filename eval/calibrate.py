"""Choose the abstention threshold (answer.ABSTAIN_BELOW) on development question sets.

    .venv/bin/python eval/calibrate.py --set seeds=/tmp/seeds:eval/questions/seeds.jsonl \
        --set seeds2=/tmp/seeds:eval/questions/seeds2.jsonl \
        --set wire=/tmp/wire:eval/questions/wire.jsonl --set beat=/tmp/beat:eval/questions/beat.jsonl \
        --set rgb=/tmp/rgb:../shared/benchmarks/rgb/questions.jsonl

Each --set is NAME=INDEX_DIR:QUESTIONS.jsonl (build the index first with `rag ingest`). Every
question is answered once with abstention off, keeping the answer's confidence; then each
threshold is judged as if it had been applied. The rule: the highest abstention recall (summed
over the sets) with false abstentions at most --max-false on every set; ties go to the higher
accuracy (summed over the sets), then to the higher threshold. It prints the table and the
choice; copying it into rag/answer.py is a reviewed change.
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
    return {
        "accuracy": sum(ok and c >= threshold for _, ok, c in answerable) / max(1, len(answerable)),
        "false_abstention": sum(c < threshold for *_, c in answerable) / max(1, len(answerable)),
        "abstention_recall": sum(c < threshold for *_, c in null) / len(null) if null else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, metavar="NAME=INDEX:QUESTIONS")
    parser.add_argument("--max-false", type=float, default=0.1)
    args = parser.parse_args()
    A.ABSTAIN_BELOW = 0.0  # answer everything; each threshold is applied below
    sets = {}
    for spec in args.set:
        name, rest = spec.split("=", 1)
        folder, questions = rest.rsplit(":", 1)
        sets[name] = confidences(folder, questions)

    feasible = []
    for threshold in [t / 100 for t in range(40, 91)]:
        results = {name: judged(rows, threshold) for name, rows in sets.items()}
        cells = "  ".join(
            f"{name}: acc {r['accuracy']:.3f} false {r['false_abstention']:.3f} null {r['abstention_recall'] if r['abstention_recall'] is None else round(r['abstention_recall'], 3)}"
            for name, r in results.items()
        )
        print(f"{threshold:.2f}  {cells}")
        if all(r["false_abstention"] <= args.max_false for r in results.values()):
            recall = sum(r["abstention_recall"] or 0 for r in results.values())
            accuracy = sum(r["accuracy"] for r in results.values())
            feasible.append((round(recall, 6), round(accuracy, 6), threshold))
    best = max(feasible, default=(0.0, 0.0, 0.0))
    print(f"abstain below: {best[2]:.2f} (rag/answer.py has {open_value()})")


def open_value() -> str:
    """The threshold rag/answer.py holds now, read from the source (the module's was set to 0)."""
    for line in Path(A.__file__).read_text().splitlines():
        if line.startswith("ABSTAIN_BELOW"):
            return line.split("=", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    main()
