"""Ablations and the chunk-size sweep: the numbers behind the README's Quality table.

For each question set it measures, in temporary indexes:
* the tutorial baseline (eval/baseline.py: 1000-character windows, 200 overlap, dense top-k,
  the top passage as the answer);
* our chunks with each retrieval (hybrid, dense, bm25) and the answerer on, and with the
  answerer off (the top passage as the answer), to show what each part earns;
* hybrid retrieval with the answerer over a grid of chunk sizes and overlaps (in tokens), on
  the seed set only: RGB's snippets are under 80 tokens, so every size in the grid would give
  the very same chunks.

It prints one table per set and writes DIR/<set>.md, DIR/<set>.json, DIR/<set>-ablations.png
and, for the seed set, DIR/<set>-chunks.png.

    python eval/sweep.py                                   # the seed set and the eleven news development sets
    python eval/sweep.py --rgb ../shared/benchmarks/rgb    # and RGB (969 snippets: slower)
    python eval/sweep.py --grid 100:20,200:40 --sets seeds
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # eval/baseline.py, when run from anywhere

from baseline import CHUNK_CHARS, OVERLAP_CHARS  # noqa: E402
from baseline import evaluate as evaluate_baseline  # noqa: E402

from rag import Index, Settings  # noqa: E402
from rag.errors import ConfigError, RagError  # noqa: E402
from rag.evaluation import load_questions, run, summarize  # noqa: E402
from rag.report import figure, machine, markdown_table, now, text_table  # noqa: E402

DEFAULT_GRID = [(tokens, overlap) for tokens in (100, 200, 300, 400) for overlap in (0, 40, 80) if overlap < tokens // 2]
COLUMNS = ("hit@1", "hit@{k}", "recall@{k}", "mrr@10", "ndcg@10", "answer_accuracy", "abstention_recall",
           "citation_precision", "latency_p50_ms")
PLOTTED = ("hit@1", "mrr@10", "answer_accuracy")


def question_sets(rgb: str | None) -> dict[str, tuple[list[Path], Path]]:
    sets = {
        "seeds": ([ROOT / "seeds"], ROOT / "eval" / "questions" / "seeds.jsonl"),
        **{name: ([ROOT / "eval" / "corpora" / name / "articles.jsonl"], ROOT / "eval" / "questions" / f"{name}.jsonl")
           for name in ("wire", "beat", "metro", "ledger", "gazette", "tribune", "dispatch", "courant", "post", "launch", "tattler",
                        "almanac", "mirror", "echo", "inquirer")},
    }
    if rgb:
        folder = Path(rgb)
        sets["rgb"] = ([folder / "articles.jsonl"], folder / "questions.jsonl")
    return sets


def parse_grid(text: str) -> list[tuple[int, int]]:
    try:
        grid = [(int(a), int(b)) for a, b in (pair.split(":") for pair in text.split(",") if pair)]
    except ValueError:
        raise ConfigError(f"--grid takes TOKENS:OVERLAP pairs separated by commas, e.g. 100:20,200:40; got {text!r}.") from None
    for tokens, overlap in grid:
        Settings(chunk_tokens=tokens, chunk_overlap=overlap).validate()
    return grid


def sweep(name: str, articles: list[Path], questions_file: Path, grid: list[tuple[int, int]], k: int) -> list[dict]:
    """Every row for one question set."""
    questions = load_questions(questions_file)
    defaults = Settings()
    default_chunks = (defaults.chunk_tokens, defaults.chunk_overlap)
    rows: list[dict] = []

    def add(row: str, chunking: str, retrieval: str, answerer: str, summary: dict, seconds: float) -> None:
        rows.append({"row": row, "chunking": chunking, "retrieval": retrieval, "answerer": answerer,
                     **{c.format(k=k): summary.get(c.format(k=k)) for c in COLUMNS}, "seconds": round(seconds, 1)})
        _say(f"[{name}] {row}: hit@1 {summary['hit@1']}, mrr@10 {summary['mrr@10']}, "
             f"accuracy {summary['answer_accuracy']} ({seconds:.0f} s)")

    started = time.perf_counter()
    _, summary = evaluate_baseline(articles, questions_file, k)
    add("tutorial baseline", f"{CHUNK_CHARS} chars / {OVERLAP_CHARS}", "dense", "top passage", summary, time.perf_counter() - started)

    with tempfile.TemporaryDirectory(prefix="rag-sweep-") as tmp:
        for tokens, overlap in [default_chunks] + [c for c in grid if c != default_chunks]:
            index = Index.open(Path(tmp) / f"c{tokens}-{overlap}", chunk_tokens=tokens, chunk_overlap=overlap)
            report = index.ingest(articles)
            _say(f"[{name}] chunks {tokens}/{overlap} tokens: {report.summary()}")
            chunking = f"{tokens} tokens / {overlap}"
            variants = [("ours", "hybrid", True)]
            if (tokens, overlap) == default_chunks:
                variants += [("dense retrieval", "dense", True), ("bm25 retrieval", "bm25", True),
                             ("answerer off", "hybrid", False), ("dense, answerer off", "dense", False)]
            for label, mode, answerer in variants:
                began = time.perf_counter()
                summary = summarize(run(index, questions, k, mode, answerer), k)
                row = label if (tokens, overlap) == default_chunks else f"sweep {tokens}/{overlap}"
                add(row, chunking, mode, "on" if answerer else "top passage", summary, time.perf_counter() - began)
    return rows


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def plot_ablations(rows: list[dict], title: str, path: Path) -> None:
    import numpy as np

    chosen = [r for r in rows if not r["row"].startswith("sweep ")]
    fig, ax = figure(8, 3.4)
    x = np.arange(len(chosen))
    width = 0.8 / len(PLOTTED)
    for i, metric in enumerate(PLOTTED):
        heights = [r[metric] if r[metric] is not None else np.nan for r in chosen]
        ax.bar(x + (i - (len(PLOTTED) - 1) / 2) * width, heights, width, label=metric)
    ax.set_xticks(x, [r["row"] for r in chosen], rotation=15, ha="right", fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncols=len(PLOTTED))
    ax.set_title(title, fontsize=10)
    fig.savefig(path)


def plot_chunks(rows: list[dict], title: str, path: Path) -> None:
    defaults = Settings()
    points = {(defaults.chunk_tokens, defaults.chunk_overlap): next(r for r in rows if r["row"] == "ours")}
    for r in rows:
        if r["row"].startswith("sweep "):
            tokens, overlap = map(int, r["row"].split()[1].split("/"))
            points[(tokens, overlap)] = r
    baseline = next(r for r in rows if r["row"] == "tutorial baseline")
    fig, axes = figure(9, 3, ncols=len(PLOTTED))
    for ax, metric in zip(axes, PLOTTED):
        for overlap in sorted({o for _, o in points}):
            xs = sorted(t for t, o in points if o == overlap)
            ax.plot(xs, [points[(t, overlap)][metric] for t in xs], marker="o", label=f"overlap {overlap}")
        if baseline[metric] is not None:
            ax.axhline(baseline[metric], color="grey", linestyle="--", label="tutorial baseline")
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel("chunk size (tokens)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ablations and chunk-size sweep (see the module docstring).")
    parser.add_argument("--rgb", metavar="DIR", help="also run RGB from DIR/articles.jsonl and DIR/questions.jsonl")
    parser.add_argument("--sets", default=None, help="comma-separated sets to run (seeds, wire, beat, metro, ledger, gazette, tribune, dispatch, courant, post, launch, tattler, almanac, mirror, echo, inquirer, rgb); default: all given")
    parser.add_argument("--grid", default=",".join(f"{t}:{o}" for t, o in DEFAULT_GRID),
                        help="chunk TOKENS:OVERLAP pairs (default %(default)s)")
    parser.add_argument("-k", "--k", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "eval" / "reports" / "sweep"), help="folder for the tables and plots")
    args = parser.parse_args(argv)
    # The sweep measures the settings it names; RAG_* variables (a Chroma server, a language model,
    # another chunk size) would silently change what is measured.
    for variable in [v for v in os.environ if v.startswith("RAG_")]:
        del os.environ[variable]
    try:
        grid = parse_grid(args.grid)
        sets = question_sets(args.rgb)
        chosen = args.sets.split(",") if args.sets else list(sets)
        unknown = [s for s in chosen if s not in sets]
        if unknown:
            raise ConfigError(f"Unknown set(s) {', '.join(unknown)}: choose from {', '.join(sets)} (rgb needs --rgb DIR).")
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name in chosen:
            articles, questions_file = sets[name]
            rows = sweep(name, articles, questions_file, grid if name == "seeds" else [], args.k)
            header = list(rows[0])
            table = [[_cell(c, r[c]) for c in header] for r in rows]
            print(f"\n{name} ({questions_file.name}, k={args.k}):")
            print(text_table(header, table))
            info = {"set": name, "questions": str(questions_file.relative_to(ROOT) if questions_file.is_relative_to(ROOT) else questions_file.name),
                    "k": args.k, "date": now(), "machine": machine()}
            (out / f"{name}.json").write_text(json.dumps({"run": info, "rows": rows}, indent=2) + "\n")
            (out / f"{name}.md").write_text(
                f"# Ablations and chunk sweep: {name}\n\n{info['date']}, {info['machine']}, k={args.k}. "
                f"Produced by `python eval/sweep.py{' --rgb DIR' if name == 'rgb' else ''}`.\n\n"
                + markdown_table(header, table) + f"\n\n![ablations]({name}-ablations.png)\n"
                + (f"\n![chunk sizes]({name}-chunks.png)\n" if name == "seeds" else "")
            )
            plot_ablations(rows, f"{name}: the tutorial baseline, ablations and ours", out / f"{name}-ablations.png")
            if name == "seeds":
                plot_chunks(rows, f"{name}: hybrid retrieval + answerer by chunk size", out / f"{name}-chunks.png")
            _say(f"wrote {out / name}.md, .json and plots")
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


def _cell(column: str, value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if column.endswith("_ms") or column == "seconds" else f"{value:.3f}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
