"""Evaluation reports: what a person reads after `rag eval --report DIR`.

DIR gets `report.html` (stands alone: its plots are embedded, and also saved beside it),
`report.md`, `summary.json` (every metric, the run's settings and the metric definitions),
`records.jsonl` (one judged record per question) and the PNG plots. Question, answer and
article text is untrusted: it is escaped in HTML and Markdown, never interpreted; `redacted`
leaves it out altogether.
matplotlib is imported only here, and only when plots are drawn.
"""

from __future__ import annotations

import base64
import html
import json
import os
import platform
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from . import evaluation
from .evaluation import Change, definitions

#: Rows of the metric tables, in reading order (`{k}` is the run's --k).
TABLE_METRICS = (
    "questions", "accuracy", "answer_accuracy", "hit@1", "hit@{k}", "recall@{k}", "mrr@10", "ndcg@10",
    "citation_precision", "citation_recall", "cited_answers", "abstention_precision", "abstention_recall",
    "false_abstention", "latency_p50_ms", "latency_p95_ms",
)
#: Bars of the by-type plot.
PLOT_METRICS = ("answer_accuracy", "hit@1", "hit@{k}", "recall@{k}", "mrr@10", "ndcg@10", "citation_precision", "abstention_recall")
_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+|–")
PLOTS = {
    "metrics_by_type.png": "Metrics by question type",
    "latency.png": "Latency per question",
    "first_relevant_rank.png": "Rank of the first relevant passage",
}


def machine() -> str:
    """Where the numbers were measured, for reports and the README."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs" + (f" ({cpu})" if cpu else "") + f", Python {platform.python_version()}"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def fmt(value: object, metric: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if metric.endswith("_ms") else f"{value:.3f}"
    return str(value)


def metric_table(summary: dict) -> tuple[list[str], list[list[str]]]:
    """(header, rows): one row per metric, one column for all questions and one per type."""
    k = summary.get("k", 5)
    kinds = list(summary.get("by_type") or {})
    header = ["metric", "all", *kinds]
    rows = []
    for name in (m.format(k=k) for m in TABLE_METRICS):
        if name in summary:
            rows.append([name, fmt(summary[name], name), *(fmt(summary["by_type"][t].get(name), name) for t in kinds)])
    return header, rows


def change_table(changes: Sequence[Change]) -> tuple[list[str], list[list[str]]]:
    header = ["metric", "old", "new", "change", ""]
    rows = [
        [c.metric, fmt(c.old, c.metric), fmt(c.new, c.metric), _delta(c), {"better": "better", "worse": "WORSE"}.get(c.verdict, "")]
        for c in changes
        if c.old is not None or c.new is not None
    ]
    return header, rows


def _delta(c: Change) -> str:
    if c.delta is None:
        return "–"
    whole = c.metric.endswith("_ms") or (isinstance(c.old, int) and isinstance(c.new, int))
    return f"{c.delta:+,.0f}" if whole else f"{c.delta:+.3f}"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table for the terminal."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    numeric = [all(_NUMBER.fullmatch(str(r[i])) for r in rows) for i in range(len(header))]
    lines = ["  ".join(str(c).rjust(w) if numeric[i] else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: object) -> str:
        return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def outcome(record: dict) -> str:
    if record["abstained"]:
        return "abstained (right)" if not record["answerable"] else "abstained (wrong)"
    return "correct" if record["correct"] else ("answered (should abstain)" if not record["answerable"] else "wrong")


def short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- plots -----------------------------------------------------------------------------------


def figure(width: float = 7.5, height: float = 3.4, ncols: int = 1):
    """A pyplot-free Figure (no global state, no display) and its axes; small enough to commit."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def plot_by_type(summary: dict, path: Path) -> None:
    import numpy as np

    k = summary.get("k", 5)
    metrics = [m.format(k=k) for m in PLOT_METRICS]
    groups = {"all": summary, **(summary.get("by_type") or {})}
    fig, ax = figure()
    width = 0.8 / len(groups)
    x = np.arange(len(metrics))
    for i, (name, values) in enumerate(groups.items()):
        heights = [values.get(m) if values.get(m) is not None else np.nan for m in metrics]
        bars = ax.bar(x + (i - (len(groups) - 1) / 2) * width, heights, width, label=f"{name} ({values['questions']})")
        ax.bar_label(bars, ["0" if h == 0 else "" for h in heights], fontsize=7)  # a zero is not a missing bar
    ax.set_xticks(x, metrics, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(PLOTS["metrics_by_type.png"] + " (missing bar: no such questions)", fontsize=10)
    ax.legend(fontsize=7, ncols=min(len(groups), 5), loc="upper center", bbox_to_anchor=(0.5, -0.3))
    ax.grid(axis="y", alpha=0.3)
    fig.savefig(path)


def plot_latency(records: list[dict], summary: dict, path: Path) -> None:
    fig, ax = figure(6, 3)
    latencies = [r["latency_ms"] for r in records]
    ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#4c72b0")
    for name, style in (("latency_p50_ms", "--"), ("latency_p95_ms", ":")):
        if summary.get(name) is not None:
            ax.axvline(summary[name], color="black", linestyle=style, label=f"{name.split('_')[1]} {summary[name]:,.0f} ms")
    ax.set_xlabel("milliseconds per question")
    ax.set_ylabel("questions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(PLOTS["latency.png"], fontsize=10)
    ax.legend(fontsize=8)
    fig.savefig(path)


def plot_first_rank(records: list[dict], path: Path) -> None:
    answerable = [r for r in records if r["answerable"]]
    depth = max([len(r["ranking"]) for r in answerable] + [1])
    labels = [str(i) for i in range(1, depth + 1)] + ["none"]
    counts = [sum(r["first_relevant_rank"] == i for r in answerable) for i in range(1, depth + 1)]
    counts.append(sum(r["first_relevant_rank"] is None for r in answerable))
    fig, ax = figure(6, 3)
    ax.bar(labels, counts, color=["#55a868"] * depth + ["#c44e52"])
    ax.set_xlabel(f"rank of the first relevant passage (top {depth})")
    ax.set_ylabel("answerable questions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(PLOTS["first_relevant_rank.png"], fontsize=10)
    fig.savefig(path)


# ---- the report ------------------------------------------------------------------------------


def redact(record: dict) -> dict:
    """The record without any text from the question set or the articles: ids, judgments and
    numbers only, for benchmarks whose licence forbids copying their text (RGB)."""
    kept = {k: v for k, v in record.items() if k not in ("question", "answer", "standalone", "warnings")}
    kept["citations"] = [{k: v for k, v in c.items() if k != "text"} for c in record["citations"]]
    kept["retrieved"] = [{k: v for k, v in p.items() if k != "text"} for p in record["retrieved"]]
    return kept


def write(folder: str | Path, records: list[dict], summary: dict, run: dict, changes: Sequence[Change] = (),
          redacted: bool = False) -> Path:
    """Write the whole report into `folder` (created); returns the path of report.html."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if redacted:
        records = [redact(r) for r in records]
    defs = definitions(summary.get("k", 5))
    (folder / "summary.json").write_text(
        json.dumps({"summary": summary, "run": run, "definitions": defs}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    with open(folder / "records.jsonl", "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    plot_by_type(summary, folder / "metrics_by_type.png")
    plot_latency(records, summary, folder / "latency.png")
    plot_first_rank(records, folder / "first_relevant_rank.png")
    (folder / "report.md").write_text(_markdown(records, summary, run, changes, defs), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(_html(folder, records, summary, run, changes, defs), encoding="utf-8")
    return page


def _run_rows(run: dict) -> list[list[str]]:
    return [[name, fmt(value)] for name, value in run.items()]


def _question_rows(records: list[dict]) -> tuple[list[str], list[list[str]]]:
    texts = all("question" in r for r in records)  # not in redacted records
    header = ["id", "type", "outcome", "first relevant rank", "ms"] + (["question", "answer"] if texts else [])
    rows = [
        [r["id"], r["type"], outcome(r), fmt(r["first_relevant_rank"]), fmt(r["latency_ms"], "_ms")]
        + ([short(r["question"], 120), short(r["answer"])] if texts else [])
        for r in records
    ]
    return header, rows


def _markdown(records, summary, run, changes, defs) -> str:
    parts = [f"# Evaluation report: {run.get('questions_file', '')}", "", markdown_table(["setting", "value"], _run_rows(run)), ""]
    parts += ["## Metrics", "", markdown_table(*metric_table(summary)), ""]
    if changes:
        parts += [f"## Change since {run.get('compared_with', 'the earlier run')}", "", markdown_table(*change_table(changes)), ""]
    parts += ["## Plots", ""] + [f"![{title}]({name})" for name, title in PLOTS.items()] + [""]
    parts += ["## Questions", "", markdown_table(*_question_rows(records)), ""]
    parts += ["## Definitions", "", markdown_table(["metric", "meaning"], [[m, d] for m, d in defs.items()]), ""]
    parts += ["## How answers and passages are judged", "", "```text", evaluation.__doc__.strip(), "```", ""]
    return "\n".join(parts)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f3f3f3;text-align:left}table.metrics td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
table.questions td{font-size:12px}img{max-width:100%;border:1px solid #eee;margin:.3em 0}
"""


def _html(folder: Path, records, summary, run, changes, defs) -> str:
    title = f"Evaluation report: {run.get('questions_file', '')}"
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{base64.b64encode((folder / n).read_bytes()).decode()}">'
        f'<figcaption>{html.escape(t)} (also <a href="{html.escape(n)}">{html.escape(n)}</a>)</figcaption></figure>'
        for n, t in PLOTS.items()
    )
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>", html_table(["setting", "value"], _run_rows(run)),
        "<h2>Metrics</h2>", html_table(*metric_table(summary), cls="metrics"),
    ]
    if changes:
        parts += [f"<h2>Change since {html.escape(str(run.get('compared_with', 'the earlier run')))}</h2>",
                  html_table(*change_table(changes), cls="metrics")]
    parts += ["<h2>Plots</h2>", images, "<h2>Questions</h2>", html_table(*_question_rows(records), cls="questions"),
              "<h2>Definitions</h2>", html_table(["metric", "meaning"], [[m, d] for m, d in defs.items()]),
              "<h2>How answers and passages are judged</h2>", f"<pre>{html.escape(evaluation.__doc__.strip())}</pre>",
              "</body></html>"]
    return "\n".join(parts)
