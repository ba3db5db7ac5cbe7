"""Evaluation runs (issue 5) and the `rag eval` contract (issue 3)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, run_rag
from rag import evaluation
from rag.errors import ConfigError
from rag.evaluation import EvalQuestion

SEED_QUESTIONS = ROOT / "eval" / "questions" / "seeds.jsonl"
#: A small mix of the seed set: temporal, factual with two required parts, follow-up, unanswerable.
SAMPLE_IDS = ("seed-002", "seed-036", "seed-023", "seed-019", "seed-078")


def _question(**fields) -> EvalQuestion:
    base = {"id": "q", "type": "factual", "question": "?", "answers": (), "gold": ()}
    return EvalQuestion(**{**base, **fields})


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    rows = {json.loads(line)["id"]: line for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()}
    path = tmp_path_factory.mktemp("questions") / "sample.jsonl"
    path.write_text("\n".join(rows[i] for i in SAMPLE_IDS) + "\n", encoding="utf-8")
    return path


def _load_eval_module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "eval" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- judging rules ----------------------------------------------------------------------------


def test_answer_needs_every_required_part_ignoring_case_and_spacing():
    q = _question(answers=(("Harry's team", "Harry’s team"), ("Buckingham Palace", "the Palace")))
    assert evaluation.answer_correct(q, "HARRY’S   team and the\npalace have talked", abstained=False)
    assert not evaluation.answer_correct(q, "Harry's team has talked", abstained=False)
    assert not evaluation.answer_correct(q, "Harry's team and Buckingham Palace", abstained=True)
    null = _question(type="null")
    assert evaluation.answer_correct(null, "The articles don't say.", abstained=True)
    assert not evaluation.answer_correct(null, "Some guess", abstained=False)


def test_relevance_needs_the_gold_article_and_its_quote():
    q = _question(answers=(("x",),), gold=({"doc": "a", "quote": "on  September 8"}, {"doc": "b"}))
    assert evaluation.relevant(q, "a", "He lands in London on September 8, 2025.")
    assert not evaluation.relevant(q, "a", "He lands in London soon.")
    assert not evaluation.relevant(q, "c", "He lands in London on September 8.")
    assert evaluation.relevant(q, "b", "anything from article b")


@pytest.mark.parametrize("line, problem", [
    ('{"id": "1", "question": "q", "answers": ["Paris"], "gold": []}', "list of required parts"),
    ('{"id": "1", "question": "q", "answers": [], "gold": ["doc-1"]}', '"gold" must be'),
    ('{"id": "1", "answers": []}', "KeyError"),
    ('{"id": "1", "question": "q"', "JSONDecodeError"),
])
def test_a_bad_question_line_is_named_with_its_number(tmp_path, line, problem):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "0", "question": "fine", "answers": [], "gold": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"q\.jsonl:2 .*{problem}"):
        evaluation.load_questions(path)


def test_question_files_that_cannot_be_used(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read the question file"):
        evaluation.load_questions(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(ConfigError, match="holds no questions"):
        evaluation.load_questions(tmp_path / "empty.jsonl")
    row = '{"id": "x", "question": "q", "answers": [], "gold": []}\n'
    (tmp_path / "twice.jsonl").write_text(row * 2)
    with pytest.raises(ConfigError, match="more than once: x"):
        evaluation.load_questions(tmp_path / "twice.jsonl")


# ---- metrics ---------------------------------------------------------------------------------


def test_ranking_metrics_follow_the_trec_definitions():
    ranking = [f"c{i}" for i in range(1, 13)]
    one = evaluation.ranking_metrics(ranking, {"c3"}, k=5)
    assert one == {"hit@1": 0.0, "hit@5": 1.0, "mrr@10": round(1 / 3, 4), "ndcg@10": round(1 / math.log2(4), 4)}
    # Two relevant passages retrieved (ranks 1 and 4) and one relevant chunk never retrieved:
    # the ideal ranking has all three on top, so nDCG is below 1 however good the top is.
    two = evaluation.ranking_metrics(ranking, {"c1", "c4", "elsewhere"}, k=5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert two["hit@1"] == 1.0 and two["mrr@10"] == 1.0
    assert two["ndcg@10"] == pytest.approx((1 + 1 / math.log2(5)) / ideal, abs=1e-4)
    deep = evaluation.ranking_metrics(ranking, {"c11"}, k=5)  # below the cut-off of 10
    assert deep == {"hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    assert evaluation.ranking_metrics(ranking, set(), k=5)["mrr@10"] == 0.0
    assert evaluation.ranking_metrics([], {"c1"}, k=5)["hit@5"] == 0.0


def _record(kind: str, answerable: bool, correct: bool, abstained: bool, latency: float, **more) -> dict:
    answered = answerable and not abstained
    base = {
        "type": kind, "answerable": answerable, "correct": correct, "abstained": abstained, "latency_ms": latency,
        "citations": [{}] if answered else [], "retrieved": [], "citation_precision": 1.0 if answered else None,
        "gold_docs": ["a", "b"] if answerable else [], "cited_gold_docs": ["a"] if answered else [],
    }
    if answerable:
        base.update({"hit@1": 1.0, "hit@5": 1.0, "recall@5": 0.5, "mrr@10": 1.0, "ndcg@10": 0.8})
    return {**base, **more}


def test_summary_abstention_and_per_type_metrics():
    records = [
        _record("factual", True, True, False, 100),
        _record("factual", True, False, True, 200, **{"hit@1": 0.0, "mrr@10": 0.5}),  # a false abstention
        _record("null", False, True, True, 300),  # right to abstain
        _record("null", False, False, False, 400),  # should have abstained
    ]
    s = evaluation.summarize(records, k=5)
    assert (s["questions"], s["answerable"], s["k"]) == (4, 2, 5)
    assert s["answer_accuracy"] == 0.5 and s["accuracy"] == 0.5
    assert s["abstention_recall"] == 0.5  # one of the two unanswerable questions
    assert s["abstention_precision"] == 0.5  # one of the two abstentions was right
    assert s["false_abstention"] == 0.5
    assert s["hit@1"] == 0.5 and s["mrr@10"] == 0.75 and s["recall@5"] == 0.5
    assert s["citation_precision"] == 1.0 and s["citation_recall"] == 0.25
    assert s["latency_p50_ms"] == 250.0 and s["latency_p95_ms"] == pytest.approx(385.0)
    assert set(s["by_type"]) == {"factual", "null"}
    assert s["by_type"]["null"]["answer_accuracy"] is None and s["by_type"]["null"]["abstention_recall"] == 0.5
    assert s["by_type"]["factual"]["false_abstention"] == 0.5


def test_compare_says_which_way_each_metric_moved(tmp_path):
    old = {"answer_accuracy": 0.5, "latency_p50_ms": 100.0, "false_abstention": 0.1, "k": 5,
           "by_type": {"factual": {"answer_accuracy": 0.5}}}
    new = {"answer_accuracy": 0.7, "latency_p50_ms": 150.0, "false_abstention": 0.0, "hit@1": 0.9, "k": 5,
           "by_type": {"factual": {"answer_accuracy": 0.4}}}
    changes = {c.metric: c for c in evaluation.compare(old, new)}
    assert changes["answer_accuracy"].delta == pytest.approx(0.2) and changes["answer_accuracy"].verdict == "better"
    assert changes["latency_p50_ms"].verdict == "worse"
    assert changes["false_abstention"].verdict == "better"
    assert changes["hit@1"].verdict == "n/a"
    assert changes["factual/answer_accuracy"].verdict == "worse"
    (tmp_path / "run.json").write_text(json.dumps({"summary": new}))
    assert evaluation.load_summary(tmp_path / "run.json")["hit@1"] == 0.9
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="is not JSON"):
        evaluation.load_summary(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"name": "x"}')
    with pytest.raises(ConfigError, match="not an evaluation summary"):
        evaluation.load_summary(tmp_path / "other.json")


# ---- reports ---------------------------------------------------------------------------------


def test_report_stands_alone_and_keeps_article_text_as_data(tmp_path):
    from PIL import Image

    from rag import report

    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    records = [
        {**_record("factual", True, True, False, 120.0), "id": "q1", "question": attack, "answer": attack,
         "first_relevant_rank": 2, "ranking": ["c1", "c2", "c3"]},
        {**_record("null", False, True, True, 80.0), "id": "q2", "question": "None?", "answer": "The articles don't say.",
         "first_relevant_rank": None, "ranking": []},
    ]
    summary = evaluation.summarize(records, 5)
    old = {**summary, "answer_accuracy": 0.25}
    folder = tmp_path / "rep"
    page = report.write(folder, records, summary, {"questions_file": "x.jsonl"}, evaluation.compare(old, summary))
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("data:image/png;base64,") == 3  # readable on its own, without the PNGs beside it
    assert "Change since" in html and "+0.750" in html
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "![Latency per question](latency.png)" in markdown
    saved = json.loads((folder / "summary.json").read_text())
    assert saved["summary"] == json.loads(json.dumps(summary)) and "ndcg@10" in saved["definitions"]
    assert [json.loads(line)["id"] for line in (folder / "records.jsonl").read_text().splitlines()] == ["q1", "q2"]
    for name in report.PLOTS:
        with Image.open(folder / name) as image:
            assert image.format == "PNG" and 300 <= image.width <= 1000 and image.height <= 500
    # --redact (for RGB, whose licence forbids copying its text): ids and numbers only
    records[0]["retrieved"] = [{"doc_id": "d", "chunk_id": "c1", "text": "licensed snippet text", "score": 0.5}]
    records[0]["citations"] = [{"n": 1, "doc_id": "d", "chunk_id": "c1", "text": "licensed snippet text", "start": 0, "end": 9}]
    report.write(tmp_path / "redacted", records, summary, {"questions_file": "x.jsonl"}, redacted=True)
    for path in (tmp_path / "redacted").iterdir():
        if path.suffix != ".png":
            text = path.read_text(encoding="utf-8")
            assert "alert" not in text and "licensed snippet" not in text, path.name
    kept = json.loads((tmp_path / "redacted" / "records.jsonl").read_text().splitlines()[0])
    assert kept["retrieved"] == [{"doc_id": "d", "chunk_id": "c1", "score": 0.5}] and kept["correct"] is True


# ---- runs on a real index ---------------------------------------------------------------------


def test_relevance_is_judged_over_the_whole_index(seed_index):
    questions = evaluation.load_questions(SEED_QUESTIONS)
    pool = evaluation.chunk_pool(seed_index)
    assert {doc for _, doc, _ in pool} == {"000_55167a543750326a", "001_3134e641ddc5a538", "002_7027e3ace5fdcd72"}
    qrels = evaluation.judge(questions, pool)
    harry = next(q for q in questions if q.id == "seed-001")
    # Five gold quotes in three articles: relevant chunks in every one of them.
    assert {doc for cid, doc, _ in pool if cid in qrels["seed-001"]} == {g["doc"] for g in harry.gold}
    assert all(not qrels[q.id] for q in questions if not q.answerable)
    assert evaluation.missing_gold_docs(questions, pool) == set()
    assert evaluation.missing_gold_docs([_question(gold=({"doc": "elsewhere"},))], pool) == {"elsewhere"}


def test_retrieval_and_answerer_ablations_change_what_runs(seed_index, sample_file):
    questions = evaluation.load_questions(sample_file)
    runs = {mode: evaluation.run(seed_index, questions, k=3, mode=mode) for mode in ("hybrid", "dense", "bm25")}
    rankings = {mode: [r["ranking"] for r in records] for mode, records in runs.items()}
    assert rankings["dense"] != rankings["bm25"] and rankings["hybrid"] != rankings["dense"]
    for mode, records in runs.items():
        for r in records:
            assert len(r["ranking"]) == 10 or mode == "bm25"  # BM25 finds only passages sharing a word
            # ranked as the answerer read them (it may read more than k)
            assert r["ranking"] == [p["chunk_id"] for p in r["retrieved"]][:10]
    off = evaluation.run(seed_index, questions, k=3, mode="dense", answerer=False)
    for r in off:
        assert r["answer"] == r["retrieved"][0]["text"] and r["citations"] == [] and not r["abstained"]


def test_eval_json_contract_and_report(seed_index_path, sample_file, tmp_path):
    """The issue-3 contract, through the real console script."""
    out = tmp_path / "report"
    result = run_rag("eval", str(sample_file), "--index", str(seed_index_path), "--k", "5", "--json", "--report", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in lines[:-1]] == list(SAMPLE_IDS)
    questions = {q.id: q for q in evaluation.load_questions(sample_file)}
    for r in lines[:-1]:
        assert {"id", "question", "answer", "abstained", "warnings", "citations", "retrieved", "latency_ms"} <= set(r)
        assert isinstance(r["abstained"], bool) and isinstance(r["warnings"], list) and r["latency_ms"] > 0
        assert len(r["retrieved"]) >= 1
        for p in r["retrieved"]:
            assert set(p) >= {"doc_id", "chunk_id", "text", "score"}
        for c in r["citations"]:
            assert set(c) >= {"n", "doc_id", "chunk_id", "text", "start", "end", "published"}
        # "correct" is the contract's rule applied to what was printed
        q = questions[r["id"]]
        assert r["correct"] == evaluation.answer_correct(q, r["answer"], r["abstained"])
    summary = lines[-1]["summary"]
    assert set(lines[-1]) == {"summary"} and summary["questions"] == len(SAMPLE_IDS)
    for metric in ("answer_accuracy", "hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10", "citation_precision",
                   "citation_recall", "abstention_precision", "abstention_recall", "latency_p50_ms", "latency_p95_ms"):
        assert metric in summary
    assert set(summary["by_type"]) == {"temporal", "factual", "followup", "null"}
    assert "eval: 5/5 questions" in result.stderr  # progress, as log lines when stderr is not a terminal
    saved = json.loads((out / "summary.json").read_text())
    assert saved["summary"]["answer_accuracy"] == summary["answer_accuracy"]
    assert saved["run"]["retrieval"] == "hybrid" and saved["run"]["machine"]
    for name in ("report.html", "report.md", "records.jsonl", "metrics_by_type.png", "latency.png", "first_relevant_rank.png"):
        assert (out / name).stat().st_size > 0


def test_eval_table_and_compare(seed_index_path, sample_file, tmp_path, capsys):
    from rag.cli import main

    old = tmp_path / "old"
    assert main(["eval", str(sample_file), "--index", str(seed_index_path), "--retrieval", "dense",
                 "--answerer", "off", "--report", str(old), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(sample_file), "--index", str(seed_index_path), "--compare", str(old / "summary.json"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "seed-036" in out and "answer_accuracy" in out and "latency_p95_ms" in out
    changes = out.split("change since", 1)[1]
    for metric in ("answer_accuracy", "hit@1", "mrr@10", "citation_recall", "factual/answer_accuracy"):
        assert metric in changes
    assert "better" in changes  # the answerer and hybrid retrieval against dense + top passage


def test_eval_refuses_bad_input_before_loading_anything(seed_index_path, sample_file, tmp_path, capsys):
    from rag.cli import main

    result = run_rag("eval", str(tmp_path / "nope.jsonl"), "--index", str(seed_index_path))
    assert result.returncode == 2 and "Cannot read the question file" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "old.json").write_text("[1, 2]")
    assert main(["eval", str(sample_file), "--index", str(seed_index_path), "--compare", str(tmp_path / "old.json")]) == 2
    assert "not an evaluation summary" in capsys.readouterr().err
    assert main(["eval", str(sample_file), "--index", str(tmp_path / "empty")]) == 1
    assert "is empty" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "1", "question": "Who won?", "answers": [["x"]], "gold": [{"doc": "rgb-1"}]}\n')
    assert main(["eval", str(other), "--index", str(seed_index_path)]) == 2
    assert "None of the 1 articles" in capsys.readouterr().err
    assert main(["eval", str(sample_file), "--index", str(seed_index_path), "--k", "0"]) == 2


# ---- the tutorial baseline (eval/baseline.py) -------------------------------------------------


def test_tutorial_windows():
    baseline = _load_eval_module("baseline")
    assert baseline.windows(2500) == [(0, 1000), (800, 1800), (1600, 2500)]
    assert baseline.windows(1000) == [(0, 1000)] and baseline.windows(30) == [(0, 30)] and baseline.windows(0) == []


def test_tutorial_baseline_is_dense_top_k_over_fixed_windows(tmp_path, sample_file):
    baseline = _load_eval_module("baseline")
    index = baseline.TutorialIndex(tmp_path / "tutorial")
    assert index.ingest([SEEDS]) == len(index.chunks())
    windows = sorted((cid.rsplit(":w", 1)[0], int(cid.rsplit(":w", 1)[1]), text) for cid, _, text in index.chunks())
    assert all(len(text) <= 1000 for *_, text in windows)
    for (doc_a, n_a, text_a), (doc_b, n_b, text_b) in zip(windows, windows[1:]):
        if doc_a == doc_b:
            assert n_b == n_a + 1 and text_a[-200:] == text_b[:200]
    passages = index.search("When is Harry expected in London?", k=4)
    assert len(passages) == 4 and passages[0].score >= passages[-1].score
    with pytest.raises(ValueError):
        index.search("anything", mode="bm25")
    records = evaluation.run(index, evaluation.load_questions(sample_file), k=5, mode="dense", answerer=False, pool=index.chunks())
    assert all(r["answer"] == r["retrieved"][0]["text"] for r in records)


def test_eval_can_ask_every_question_in_lower_case(seed_index_path, sample_file):
    """`--lowercase` asks the set as many users type it, a robustness check of name handling."""
    result = run_rag("eval", str(sample_file), "--index", str(seed_index_path), "--json", "--lowercase", "--quiet")
    assert result.returncode == 0, result.stderr
    asked = [json.loads(line)["question"] for line in result.stdout.splitlines()[:-1]]
    originals = [q.question for q in evaluation.load_questions(sample_file)]
    assert asked == [q.lower() for q in originals] and asked != originals
    turn = evaluation.EvalQuestion("x", "followup", "And William?", (("a",),), (), ({"question": "When did Harry last see Charles?", "answer": "In February 2024."}, "Who Is She?"))
    lowered = turn.lowercased()
    assert lowered.question == "and william?" and lowered.history == (
        {"question": "when did harry last see charles?", "answer": "In February 2024."}, "who is she?")


# ---- choosing when to abstain (eval/calibrate.py) ---------------------------------------------


def test_calibration_prefers_questions_handled_right_to_declining_at_any_cost():
    """Each row: answerable, right when answered, confidence. 0.57 would decline the second
    unanswerable question too, but also two answered right: one question worse off than 0.55."""
    calibrate = _load_eval_module("calibrate")
    rows = [(True, True, 0.55 + i / 100) for i in range(20)] + [(False, False, 0.45), (False, False, 0.565)]
    assert calibrate.choose({0.3: {"dev": rows}}) == (0.55, 0.3)
    at_57 = calibrate.judged(rows, 0.57)
    assert at_57["abstention_recall"] == 1.0 and at_57["false_abstention"] == 0.1 and at_57["handled"] == 20 / 22
    assert calibrate.judged(rows, 0.55)["handled"] == 21 / 22


def test_calibration_weighs_the_astray_cost_with_the_threshold():
    """The same questions at two costs: at 0.3 the unanswerable one, answered far from the
    question's words, falls below a threshold that declines nothing answerable."""
    calibrate = _load_eval_module("calibrate")
    right = [(True, True, 0.6 + i / 100) for i in range(10)]
    runs = {0.2: {"dev": right + [(False, False, 0.62)]}, 0.3: {"dev": right + [(False, False, 0.52)]}}
    assert calibrate.choose(runs) == (0.6, 0.3)


def test_calibration_finds_nothing_when_every_threshold_declines_too_much():
    calibrate = _load_eval_module("calibrate")
    runs = {0.2: {"dev": [(True, True, 0.1), (True, True, 0.2), (False, False, 0.9)]}}
    assert calibrate.choose(runs) is None
