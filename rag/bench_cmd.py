"""`rag bench`: the performance benchmark (eval/bench.py) from the command line.

The benchmark is evaluation code, not part of the installed library: it lives in the source
checkout's eval/ folder, next to the `rag` package, and is loaded from there when run.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from .errors import ConfigError


def register(sub, common, filters) -> None:
    p = sub.add_parser(
        "bench", help="measure ingest speed, query latency, memory and cold start on this machine",
        description="Measure ingest against the bare encoder, warm search/ask latency at 1k, 10k and 100k "
        "chunks (embedded and on a Chroma server), peak memory and cold start; write "
        "eval/reports/bench/. Takes 30 minutes or more; --quick about 10.",
    )
    p.add_argument("--quick", action="store_true", help="1k and 10k chunks only (about 10 minutes)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--chroma-url", metavar="URL", help="measure server mode on this Chroma server (in collections "
                   "of its own, deleted afterwards) instead of starting `chroma run` on 127.0.0.1")
    p.add_argument("--rgb", metavar="DIR", type=Path, help="RGB benchmark folder for more real articles and "
                   "questions (default: ../shared/benchmarks/rgb beside the checkout, if present)")
    p.add_argument("--workdir", metavar="DIR", type=Path, help="build the indexes here and keep them "
                   "(default: a temporary folder, removed afterwards)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log what the library does (-vv for debug)")
    p.set_defaults(func=cmd_bench)


def bench_script() -> Path:
    return Path(__file__).resolve().parent.parent / "eval" / "bench.py"


def cmd_bench(args: argparse.Namespace) -> int:
    script = bench_script()
    if not script.is_file():
        raise ConfigError(
            f"`rag bench` runs eval/bench.py from the source checkout, and there is none at {script}. "
            "Run it from a clone of the repository installed with `pip install -e .` (./run.sh does that)."
        )
    if importlib.util.find_spec("psutil") is None:
        raise ConfigError("`rag bench` needs the evaluation extras: pip install -e '.[eval]' (./run.sh test installs them).")
    if args.chroma_url:
        from .config import Settings

        Settings.load(chroma_url=args.chroma_url)  # a bad URL is a clear error before any work
    spec = importlib.util.spec_from_file_location("rag_bench", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run(args)
