"""The quality gate: the seed development set keeps every metric at or above its floor.

The floors live in eval/floors.toml, so lowering one is a visible line in a reviewed diff. The
evaluation runs through the library (no subprocess) on the session's seed index.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = tomllib.loads((ROOT / "eval" / "floors.toml").read_text(encoding="utf-8"))
SEEDS = FLOORS["seeds"]
#: The metrics issue 5 names for the gate; a floor file without them guards nothing.
REQUIRED = {"answer_accuracy", "hit@1", "mrr@10", "citation_precision", "abstention_recall"}


@pytest.fixture(scope="module")
def seed_summary(seed_index) -> dict:
    from rag import evaluation

    questions = evaluation.load_questions(ROOT / SEEDS["questions"])
    records = evaluation.run(seed_index, questions, k=SEEDS["k"], mode=SEEDS["retrieval"])
    return evaluation.summarize(records, SEEDS["k"])


def _value(summary: dict, metric: str) -> float | None:
    """`metric`, or `type/metric` for one question type."""
    if "/" in metric:
        kind, name = metric.split("/", 1)
        return summary["by_type"].get(kind, {}).get(name)
    return summary.get(metric)


def test_the_floor_file_guards_the_required_metrics():
    assert REQUIRED <= set(SEEDS["min"]), f"eval/floors.toml lacks floors for {sorted(REQUIRED - set(SEEDS['min']))}"
    assert "false_abstention" in SEEDS["max"], "eval/floors.toml lacks the false_abstention ceiling"
    for bound in (*SEEDS["min"].values(), *SEEDS["max"].values()):
        assert 0 <= bound <= 1


@pytest.mark.parametrize("metric", sorted(SEEDS["min"]))
def test_seed_metric_at_or_above_its_floor(seed_summary, metric):
    floor, value = SEEDS["min"][metric], _value(seed_summary, metric)
    assert value is not None, f"{metric}: the seed run produced no value (floor {floor})"
    assert value >= floor, f"{metric} fell below its floor: {value:.4f} < {floor} (eval/floors.toml)"


@pytest.mark.parametrize("metric", sorted(SEEDS["max"]))
def test_seed_metric_at_or_below_its_ceiling(seed_summary, metric):
    ceiling, value = SEEDS["max"][metric], _value(seed_summary, metric)
    assert value is not None, f"{metric}: the seed run produced no value (ceiling {ceiling})"
    assert value <= ceiling, f"{metric} rose above its ceiling: {value:.4f} > {ceiling} (eval/floors.toml)"
