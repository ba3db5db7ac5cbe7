"""The `rag` command: a thin layer over `rag.Index`.

Every command takes --index DIR (default index/) or --chroma-url URL. Errors print one
readable message (no traceback) and exit non-zero: 2 for bad usage or input, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence

from .errors import RagError

log = logging.getLogger("rag")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _quiet_libraries(args.verbose)
    try:
        return int(args.func(args) or 0)
    except RagError as err:
        print(f"error: {plain(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Ask questions of news articles and get cited answers.")
    parser.set_defaults(func=lambda _: parser.print_help() or 2)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", metavar="DIR", help="index folder (default: index/, or RAG_INDEX)")
    common.add_argument("--chroma-url", metavar="URL", help="use a Chroma server instead (or RAG_CHROMA_URL)")
    common.add_argument("--model", help="embedding model (default: all-MiniLM-L6-v2, shipped offline)")
    common.add_argument("-v", "--verbose", action="count", default=0, help="log what happens (-vv for debug)")
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("-k", "--k", type=int, default=5, help="passages to retrieve (default 5)")
    filters.add_argument("--after", metavar="YYYY-MM-DD", help="only articles published on or after this day")
    filters.add_argument("--before", metavar="YYYY-MM-DD", help="only articles published on or before this day")
    filters.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    filters.add_argument("--retrieval", choices=["hybrid", "dense", "bm25"], default="hybrid", help=argparse.SUPPRESS)
    filters.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="add or update articles from files and folders")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".txt/.md/.html files, .jsonl files, or folders")
    p.add_argument("--chunk-tokens", type=int, help="chunk size in tokens (default 200)")
    p.add_argument("--chunk-overlap", type=int, help="overlap between chunks in tokens (default 40)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", parents=[common, filters], help="the passages that best match a question")
    p.add_argument("question", help="the question (- reads it from standard input)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", parents=[common, filters], help="a short answer with cited sentences")
    p.add_argument("question", help="the question (- reads it from standard input)")
    p.add_argument("--history", metavar="JSON", help='earlier turns: [{"question": ..., "answer": ...}, ...]')
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("info", parents=[common], help="what the index holds")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--articles", action="store_true", help="list the articles too")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("remove", parents=[common], help="delete an article and its chunks")
    p.add_argument("doc_ids", nargs="+", metavar="ID")
    p.set_defaults(func=cmd_remove)

    for register in _extensions():
        register(sub, common, filters)
    for name in LLM_COMMANDS:
        if name in sub.choices:
            add_llm_options(sub.choices[name])
    return parser


#: Commands that answer questions, so can use a language model (open_index reads its options).
LLM_COMMANDS = ("ask", "eval", "serve")


def add_llm_options(parser: argparse.ArgumentParser) -> None:
    """Optional generative answers. The API key comes from RAG_LLM_API_KEY only: a key on the
    command line would show in `ps` and the shell history."""
    group = parser.add_argument_group("generative answers (optional; the extractive answer is the fallback)")
    group.add_argument("--llm-url", metavar="URL", help="OpenAI-compatible /v1 base URL, e.g. http://127.0.0.1:8080/v1 (or RAG_LLM_URL)")
    group.add_argument("--llm-model", metavar="NAME", help="model name (or RAG_LLM_MODEL; default: the server's first)")
    group.add_argument("--llm-timeout", metavar="SECONDS", type=float, help="time limit per request to the model (or RAG_LLM_TIMEOUT; default 20)")


def _extensions():
    """Commands that live in their own modules (eval, serve, bench) register themselves here."""
    from . import commands

    return commands.REGISTER


def open_index(args: argparse.Namespace, **settings):
    from .index import Index

    llm = {"llm_url": getattr(args, "llm_url", None), "llm_model": getattr(args, "llm_model", None),
           "llm_timeout_s": getattr(args, "llm_timeout", None)}
    return Index.open(args.index, url=args.chroma_url, model=args.model, **llm, **settings)


def cmd_ingest(args: argparse.Namespace) -> int:
    index = open_index(args, chunk_tokens=args.chunk_tokens, chunk_overlap=args.chunk_overlap)
    show = not args.quiet and sys.stderr.isatty()
    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("embedding chunks", total=None)
            report = index.ingest(args.paths, progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        report = index.ingest(args.paths, progress=_log_progress)
    for line in report.details():
        print(plain(line), file=sys.stderr)
    print(report.summary())
    nothing_read = not (report.added or report.updated or report.unchanged or report.duplicates)
    return 1 if nothing_read and report.skipped else 0


def _log_progress(done: int, total: int) -> None:
    if total:
        log.info("embedded %d/%d chunks", done, total)


def _filters(args: argparse.Namespace) -> dict:
    return {"k": args.k, "published_after": args.after, "published_before": args.before, "sources": args.source, "mode": args.retrieval}


def cmd_search(args: argparse.Namespace) -> int:
    index = open_index(args)
    passages = index.search(_question(args), **_filters(args))
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=2))
        return 0
    if not passages:
        from .index import EMPTY_INDEX

        print("No passages found." if index.articles() else f"{EMPTY_INDEX} (index: {index.location})")
    for rank, p in enumerate(passages, 1):
        print(plain(f"{rank}. [{p.score:.3f}] {p.title or p.doc_id} — {p.source or 'unknown source'}, {p.published or 'undated'} ({p.chunk_id})"))
        print(plain("   " + " ".join(p.text.split())[:400]))
    return 0


CLOSEST, SNIPPET = 3, 160  # passages shown, and characters of each, when an answer abstains


def cmd_ask(args: argparse.Namespace) -> int:
    from .errors import QuestionError

    history = []
    if args.history:
        try:
            history = json.loads(args.history)
        except json.JSONDecodeError as err:
            raise QuestionError(f"--history is not valid JSON ({err.msg}).") from None
    answer = open_index(args).ask(_question(args), history=history, **_filters(args))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(plain(answer.text))
    for c in answer.citations:
        p = c.passage
        print(plain(f"  [{c.n}] {p.title or p.doc_id} — {p.source or 'unknown source'}, {p.published or 'undated'}: “{' '.join(c.text.split())}”"))
    if answer.abstained and answer.passages:
        # no sentence was sure enough to quote; one of these may still say it in other words
        print("Closest passages (none answers it clearly enough to quote):")
        for p in answer.passages[:CLOSEST]:
            text = " ".join(p.text.split())
            print(plain(f"  - {p.title or p.doc_id} — {p.source or 'unknown source'}, {p.published or 'undated'}: "
                        f"“{text[:SNIPPET]}{'…' if len(text) > SNIPPET else ''}”"))
    for warning in answer.warnings:
        print(f"warning: {plain(warning)}", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    index = open_index(args)
    info = index.info()
    articles = index.articles() if args.articles else []
    if args.json:
        if args.articles:
            from dataclasses import asdict

            info["article_list"] = [asdict(a) for a in articles]
        print(json.dumps(info, indent=2))
        return 0
    print(f"index:    {info['location']} ({info['mode']})")
    print(f"model:    {info['model']}" + (f" ({info['dim']}-d)" if info["dim"] else ""))
    print(f"articles: {info['articles']}   chunks: {info['chunks']}")
    if info["published_range"]:
        print(f"dates:    {info['published_range'][0]} to {info['published_range'][1]}")
    if info["sources"]:
        print(plain(f"sources:  {', '.join(info['sources'][:10])}" + (" …" if len(info["sources"]) > 10 else "")))
    for a in articles:
        print(plain(f"  {a.doc_id}  {a.published or 'undated':10}  {a.chunks:3} chunks  {a.source}  {a.title[:60]}"))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    index = open_index(args)
    missing = [doc for doc in args.doc_ids if not index.remove(doc)]
    for doc in args.doc_ids:
        print(plain(f"{'no article' if doc in missing else 'removed'} {doc}"))
    return 1 if missing else 0


#: Longest question read from standard input; longer ones are refused by the length check anyway.
STDIN_LIMIT = 1_000_000


def _question(args: argparse.Namespace) -> str:
    """The question argument, or standard input for `-` (a shell cannot pass a long argument)."""
    return sys.stdin.read(STDIN_LIMIT) if args.question == "-" else args.question


# Control characters (C0 but tab and newline, DEL, C1), bidirectional overrides, lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def plain(text: str) -> str:
    """Text from articles, file names and users, safe to print on a terminal: an escape sequence
    in an article could rewrite the screen or the window title, a bidi override could make
    text read differently from what it is. They are shown as visible code points instead."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _quiet_libraries(verbose: int) -> None:
    import os
    import warnings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if verbose < 2:
        noisy = ("chromadb", "httpx", "sentence_transformers", "transformers", "bm25s", "urllib3")
        for name in noisy:
            logging.getLogger(name).setLevel(logging.WARNING)
        # bm25s sets its own logger to DEBUG when first imported (after this), so the handlers
        # filter too: otherwise every search prints "DEBUG bm25s: Building index from tokens".
        for handler in logging.getLogger().handlers:
            handler.addFilter(lambda r: r.levelno >= logging.WARNING or r.name.split(".")[0] not in noisy)
        warnings.filterwarnings("ignore", category=FutureWarning)
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


if __name__ == "__main__":
    sys.exit(main())
