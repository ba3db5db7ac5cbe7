"""The quality gate: each development set keeps every metric at or above its floor.

The floors live in eval/floors.toml, one table per question set, so lowering one is a visible
line in a reviewed diff. The evaluation runs through the library (no subprocess) on the
session's seed index.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETS: dict[str, dict] = tomllib.loads((ROOT / "eval" / "floors.toml").read_text(encoding="utf-8"))
#: The metrics issue 5 names for the gate; a floor file without them guards nothing.
REQUIRED = {"answer_accuracy", "hit@1", "mrr@10", "citation_precision", "abstention_recall"}
BOUNDS = [(name, metric) for name, spec in SETS.items() for metric in sorted(spec["min"])]
CEILINGS = [(name, metric) for name, spec in SETS.items() for metric in sorted(spec["max"])]


@pytest.fixture(scope="module")
def summaries(seed_index, tmp_path_factory) -> dict[str, dict]:
    """Each set's summary, computed when a test first asks for it: over the seed index, or over
    an index of the set's own `corpus`; asked in lower case when the set says `lowercase`."""
    from rag import Index, evaluation

    cache: dict[str, dict] = {}
    indexes = {}

    def index_for(spec: dict):
        corpus = spec.get("corpus")
        if corpus is None:
            return seed_index
        if corpus not in indexes:
            indexes[corpus] = Index.open(tmp_path_factory.mktemp("corpus") / "index")
            indexes[corpus].ingest([ROOT / corpus])
        return indexes[corpus]

    def summary(name: str) -> dict:
        if name not in cache:
            spec = SETS[name]
            questions = evaluation.load_questions(ROOT / spec["questions"])
            if spec.get("lowercase"):
                questions = [q.lowercased() for q in questions]
            records = evaluation.run(index_for(spec), questions, k=spec["k"], mode=spec["retrieval"])
            cache[name] = evaluation.summarize(records, spec["k"])
        return cache[name]

    return summary


def _value(summary: dict, metric: str) -> float | None:
    """`metric`, or `type/metric` for one question type."""
    if "/" in metric:
        kind, name = metric.split("/", 1)
        return summary["by_type"].get(kind, {}).get(name)
    return summary.get(metric)


@pytest.mark.parametrize("name", sorted(SETS))
def test_the_floor_file_guards_the_required_metrics(name):
    spec = SETS[name]
    assert REQUIRED <= set(spec["min"]), f"eval/floors.toml [{name}] lacks floors for {sorted(REQUIRED - set(spec['min']))}"
    assert "false_abstention" in spec["max"], f"eval/floors.toml [{name}] lacks the false_abstention ceiling"
    for bound in (*spec["min"].values(), *spec["max"].values()):
        assert 0 <= bound <= 1


@pytest.mark.parametrize(("name", "metric"), BOUNDS)
def test_metric_at_or_above_its_floor(summaries, name, metric):
    floor, value = SETS[name]["min"][metric], _value(summaries(name), metric)
    assert value is not None, f"{name} {metric}: the run produced no value (floor {floor})"
    assert value >= floor, f"{name} {metric} fell below its floor: {value:.4f} < {floor} (eval/floors.toml)"


@pytest.mark.parametrize(("name", "metric"), CEILINGS)
def test_metric_at_or_below_its_ceiling(summaries, name, metric):
    ceiling, value = SETS[name]["max"][metric], _value(summaries(name), metric)
    assert value is not None, f"{name} {metric}: the run produced no value (ceiling {ceiling})"
    assert value <= ceiling, f"{name} {metric} rose above its ceiling: {value:.4f} > {ceiling} (eval/floors.toml)"
