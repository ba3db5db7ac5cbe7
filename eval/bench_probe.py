"""One serving process, measured: warm query latency and peak memory of `rag.Index`.

Run by eval/bench.py in a fresh process per corpus size, so the peak memory is that of a process
that only opens the index and answers (not of the benchmark that built the corpus):

    python eval/bench_probe.py '{"index": DIR, "url": null, "collection": "rag", "questions": [...]}'

It opens the index, answers one question to warm up (model, BM25 copy, Chroma's HNSW index),
then times `search` and `ask` once per question, and `search` with a date filter (wall and CPU
time). Prints JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np


def percentiles(samples: list[tuple[float, float]]) -> dict:
    """p50/p95 of wall time, and of this process's CPU time: on a busy machine the wall time
    includes waiting for a core, the CPU time is what the query itself costs."""
    wall, cpu = [w for w, _ in samples], [c for _, c in samples]
    return {"p50_ms": _ms(np.percentile(wall, 50)), "p95_ms": _ms(np.percentile(wall, 95)), "max_ms": _ms(max(wall)),
            "cpu_p50_ms": _ms(np.percentile(cpu, 50)), "cpu_p95_ms": _ms(np.percentile(cpu, 95)), "n": len(samples)}


def _ms(value: float) -> float:
    return round(float(value), 1)


def timed(fn) -> tuple[float, float]:
    """(wall ms, CPU ms of all this process's threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def peak_rss_kb() -> int:
    """This process's peak resident memory. Linux's VmHWM, because getrusage's ru_maxrss
    survives exec: it would report the peak of the benchmark process that started us."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(spec: dict) -> dict:
    from rag import Index

    started = time.perf_counter()
    index = Index.open(spec["index"], url=spec["url"], collection=spec["collection"])
    index.ask(spec["questions"][0])
    warm_s = time.perf_counter() - started
    questions = spec["questions"]
    search = [timed(lambda: index.search(q, k=5)) for q in questions]
    ask = [timed(lambda: index.ask(q, k=5)) for q in questions]
    filtered = [timed(lambda: index.search(q, k=5, published_after="2018-01-01")) for q in questions]
    return {
        "chunks": index.store.count(), "open_and_first_answer_s": round(warm_s, 2),
        "search": percentiles(search), "ask": percentiles(ask), "search_filtered": percentiles(filtered),
        "peak_rss_mb": round(peak_rss_kb() / 1024), "encoder_cache": index.embedder.cache_info(),
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
