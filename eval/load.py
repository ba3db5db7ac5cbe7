"""Load test: N chat users at once against `rag serve`, through gradio_client's `/ask` endpoint.

Each simulated user asks the questions of a question file (known answers) over and over, one
after the other, for the given duration. The script reports throughput, latency percentiles,
errors and wrong answers. A question counts in the run only if the server answers it correctly
when nobody else is asking (a wrong answer then is a quality matter, not a load one); an answer
under load is wrong when it fails the file's judging rule or differs from that unloaded answer.

    # start a server on a copy of the seed index, 20 users for 3 minutes:
    .venv/bin/python eval/load.py --users 20 --duration 180
    # or against a server you started yourself (rag serve --index index --port 7860):
    .venv/bin/python eval/load.py --url http://127.0.0.1:7860/ --users 20 --duration 180
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.evaluation import EvalQuestion, answer_correct, load_questions  # noqa: E402


def start_server(index: Path, port: int) -> tuple[subprocess.Popen, str, Path]:
    """`rag serve` on a private copy of `index` (uploads and BM25 copies go there, not into yours)."""
    workdir = Path(tempfile.mkdtemp(prefix="rag-load-"))
    shutil.copytree(index, workdir / "index")
    log = workdir / "serve.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "rag"), "serve", "--index", str(workdir / "index"), "--port", str(port)],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT, cwd=ROOT,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"rag serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if "Chat running at" in log.read_text() and httpx.get(url, timeout=2).status_code == 200:
                return process, url, workdir
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    sys.exit(f"rag serve was not ready in 180 s:\n{log.read_text()[-3000:]}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))], 3)


class User(threading.Thread):
    def __init__(self, number: int, url: str, questions: list[EvalQuestion], reference: dict[str, str], until: float):
        super().__init__(daemon=True, name=f"user-{number}")
        self.number, self.url, self.questions, self.reference, self.until = number, url, questions, reference, until
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.wrong: list[dict] = []

    def run(self) -> None:
        from gradio_client import Client

        client = Client(self.url, verbose=False)
        i = self.number  # users start at different questions
        while time.monotonic() < self.until:
            q = self.questions[i % len(self.questions)]
            i += 1
            started = time.perf_counter()
            try:
                result = client.predict(q.question, api_name="/ask")
            except Exception as err:  # any failure counts
                self.errors.append(f"{q.id}: {type(err).__name__}: {str(err)[:200]}")
                continue
            self.latencies.append(time.perf_counter() - started)
            if not answer_correct(q, result["answer"], result["abstained"]) or result["answer"] != self.reference[q.id]:
                self.wrong.append({"id": q.id, "answer": result["answer"][:300], "expected": self.reference[q.id][:300]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running `rag serve` (default: start one on a copy of --index)")
    parser.add_argument("--index", type=Path, default=ROOT / "index", help="index to serve (default: index/)")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions" / "seeds.jsonl")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of load")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    server = workdir = None
    url = args.url
    if url is None:
        if not (args.index / "chroma.sqlite3").exists():
            sys.exit(f"No index at {args.index}: build one (rag ingest seeds --index {args.index}) or pass --url.")
        server, url, workdir = start_server(args.index, free_port())
    try:
        from gradio_client import Client

        client = Client(url, verbose=False)
        questions = [q for q in load_questions(args.questions) if not q.history]  # /ask takes one question
        reference: dict[str, str] = {}
        kept, dropped = [], []
        for q in questions:  # unloaded: also warms the server up
            result = client.predict(q.question, api_name="/ask")
            if answer_correct(q, result["answer"], result["abstained"]):
                kept.append(q)
                reference[q.id] = result["answer"]
            else:
                dropped.append(q.id)
        if not kept:
            sys.exit("The server answers none of the questions correctly even without load.")
        print(f"{len(kept)} questions answered correctly without load; left out: {', '.join(dropped) or 'none'}", file=sys.stderr)

        started = time.monotonic()
        users = [User(n, url, kept, reference, started + args.duration) for n in range(args.users)]
        for user in users:
            user.start()
        for user in users:
            user.join()
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
            shutil.rmtree(workdir, ignore_errors=True)

    latencies = [x for u in users for x in u.latencies]
    errors = [e for u in users for e in u.errors]
    wrong = [w for u in users for w in u.wrong]
    result = {
        "users": args.users, "duration_s": round(elapsed, 1), "questions": len(kept),
        "answers": len(latencies), "throughput_per_s": round(len(latencies) / elapsed, 2),
        "latency_p50_s": percentile(latencies, 50), "latency_p95_s": percentile(latencies, 95),
        "latency_p99_s": percentile(latencies, 99), "latency_max_s": percentile(latencies, 100),
        "errors": len(errors), "wrong_answers": len(wrong),
        "error_examples": errors[:5], "wrong_examples": wrong[:5],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if not errors and not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
