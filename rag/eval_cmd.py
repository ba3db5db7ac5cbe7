"""`rag eval QUESTIONS.jsonl`: run a question set against an index and measure it.

A thin layer over `rag.evaluation` (running, judging, metrics) and `rag.report` (report files
and plots): it checks the inputs before any model loads, shows progress, prints JSON lines or
a table, and writes the report. Importing this module is cheap; the work is imported on run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def register(sub, common, filters) -> None:
    p = sub.add_parser(
        "eval", parents=[common], help="ask a question set; measure answers, citations and retrieval",
        description="Ask every question of a JSONL question set and judge the answers, citations and "
        "retrieved passages (format: eval/questions/seeds.jsonl).",
    )
    p.add_argument("questions", metavar="QUESTIONS.jsonl", help="one question per line: id, type, question, answers, gold")
    p.add_argument("-k", "--k", type=int, default=5, help="passages to retrieve (default 5); hit@k and recall@k count the top k")
    p.add_argument("--retrieval", choices=["hybrid", "dense", "bm25"], default="hybrid",
                   help="retrieval to evaluate (default hybrid; dense and bm25 are ablations)")
    p.add_argument("--answerer", choices=["on", "off"], default="on",
                   help="off: the top passage is the answer, as in the common tutorials (ablation)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question, then {\"summary\": ...}")
    p.add_argument("--report", metavar="DIR", help="write report.html, report.md, summary.json, records.jsonl and plots into DIR")
    p.add_argument("--compare", metavar="OLD/summary.json", help="print and report the change of every metric since an earlier run")
    p.add_argument("--redact", action="store_true",
                   help="keep question and article text out of the report (ids and numbers only): for "
                        "benchmarks whose licence forbids copying them, such as RGB")
    p.add_argument("--lowercase", action="store_true",
                   help="ask every question (and its history) in lower case, as many users type: a robustness check")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from . import evaluation, report
    from .cli import open_index
    from .errors import ConfigError, IndexUnavailableError

    # Every input is checked before the index and the model are loaded.
    questions = evaluation.load_questions(args.questions)
    if args.lowercase:
        questions = [q.lowercased() for q in questions]
    old = evaluation.load_summary(args.compare) if args.compare else None
    if args.k < 1:
        raise ConfigError(f"--k must be at least 1, got {args.k}.")
    if args.report and _is_file(args.report):
        raise ConfigError(f"--report {args.report} is a file; give a folder (it is created if missing).")

    index = open_index(args)
    pool = evaluation.chunk_pool(index)
    if not pool:
        raise IndexUnavailableError(
            f"The index at {index.location} is empty. Ingest the articles the questions are about first: "
            f"rag ingest PATH --index {args.index or 'index'}"
        )
    gold = {g["doc"] for q in questions for g in q.gold}
    missing = evaluation.missing_gold_docs(questions, pool)
    if gold and missing == gold:
        raise ConfigError(
            f"None of the {len(gold)} articles that {args.questions} cites as gold is in the index at "
            f"{index.location}. Evaluate against the index built from those articles (--index DIR)."
        )
    if missing:
        print(f"warning: {len(missing)} of {len(gold)} gold articles are not in the index "
              f"(e.g. {sorted(missing)[0]}); their questions cannot score on retrieval.", file=sys.stderr)

    answerer = args.answerer == "on"
    records: list[dict] = []
    started = time.perf_counter()
    with _progress(len(questions), args.quiet, args.json) as advance:
        for record in evaluation.iter_run(index, questions, args.k, args.retrieval, answerer, pool):
            records.append(record)
            if args.json:
                print(json.dumps(record, ensure_ascii=False), flush=True)
            advance()
    summary = evaluation.summarize(records, args.k)
    changes = evaluation.compare(old, summary) if old else []

    if args.json:
        print(json.dumps({"summary": summary}, ensure_ascii=False), flush=True)
    else:
        print(report.text_table(["id", "type", "outcome", "rank", "ms", "answer"], [
            [r["id"], r["type"], report.outcome(r), report.fmt(r["first_relevant_rank"]), report.fmt(r["latency_ms"], "_ms"),
             report.short(r["answer"], 70)] for r in records
        ]))
        print()
        print(report.text_table(*report.metric_table(summary)))
    if changes:
        out = sys.stderr if args.json else sys.stdout
        print(f"\nchange since {args.compare}:", file=out)
        print(report.text_table(*report.change_table(changes)), file=out)
    if args.report:
        info = index.info()
        run = {
            "questions_file": str(args.questions), "questions": len(questions), "index": index.location,
            "articles": info["articles"], "chunks": info["chunks"], "model": info["model"], "k": args.k,
            "retrieval": args.retrieval, "answerer": args.answerer,
            "language_model": index.settings.llm_url or "none (extractive answers)",
            "run_seconds": round(time.perf_counter() - started), "date": report.now(), "machine": report.machine(),
            "rag_news": _version(), "text": "left out (--redact)" if args.redact else "included",
        }
        if args.compare:
            run["compared_with"] = str(args.compare)
        page = report.write(args.report, records, summary, run, changes, redacted=args.redact)
        print(f"report written to {page}", file=sys.stderr)
    return 0


def _is_file(path: str) -> bool:
    from pathlib import Path

    return Path(path).exists() and not Path(path).is_dir()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rag-news")
    except PackageNotFoundError:
        return "unknown"


@contextmanager
def _progress(total: int, quiet: bool, json_out: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal, else a line every tenth of the run.

    The bar is skipped when --json goes to the same terminal: the two would interleave."""
    if quiet:
        yield lambda: None
        return
    if sys.stderr.isatty() and not (json_out and sys.stdout.isatty()):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=False,
        ) as bar:
            task = bar.add_task("asking questions", total=total)
            yield lambda: bar.advance(task)
        return
    done, started, step = 0, time.perf_counter(), max(1, total // 10)

    def advance() -> None:
        nonlocal done
        done += 1
        if done % step == 0 or done == total:
            print(f"eval: {done}/{total} questions ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    yield advance
