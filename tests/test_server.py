"""Server mode: a real `chroma run` on 127.0.0.1, reached through the CLI and the API.

Each test that goes through the CLI starts its own server, because the CLI always uses the
collection "rag" and the shared session server is used by other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, SEEDS, ChromaServer, free_port, raw_collection, run_rag

from rag import Index
from rag.errors import IndexUnavailableError, StoreTimeoutError
from rag.lexical import LexicalIndex, cache_folder

pytestmark = pytest.mark.server

HARRY = "When did Harry last see Charles?"
SEED_IDS = {p.stem for p in SEEDS.glob("*.txt")}


@pytest.fixture
def server(tmp_path):
    server = ChromaServer(tmp_path / "chroma").start()
    yield server
    server.stop()
    for collection in ("rag", "hang"):  # the BM25 copies this server's collections left in ~/.cache
        shutil.rmtree(cache_folder(tmp_path, server.url, collection), ignore_errors=True)


def cli_index(server: ChromaServer, tmp_path: Path) -> Index:
    """What the CLI sees: the server's collection "rag" (BM25 copy in a private cache)."""
    return Index.open(tmp_path / "unused", url=server.url)


def write_articles(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        lines = [f"The {name} ferry report, part {i}: the {name} crossing carried {i * 7} cars past Harwick lighthouse "
                 f"while the {name} harbour master counted {i + 3} delays." for i in range(14)]
        (folder / f"{name}.txt").write_text(" ".join(lines))


def test_cli_reaches_the_server_by_flag_and_by_environment(server, tmp_path):
    ingest = run_rag("ingest", str(SEEDS), "--chroma-url", server.url, "--quiet", cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.startswith("3 added")

    env = {"RAG_CHROMA_URL": server.url}
    search = run_rag("search", HARRY, "--json", env=env, cwd=tmp_path)
    assert search.returncode == 0, search.stderr
    passages = json.loads(search.stdout)
    assert passages and {p["doc_id"] for p in passages} <= SEED_IDS

    info = run_rag("info", "--json", env=env, cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    described = json.loads(info.stdout)
    assert (described["mode"], described["location"], described["articles"]) == ("server", server.url, 3)

    ask = run_rag("ask", HARRY, "--chroma-url", server.url, "--json", cwd=tmp_path)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert not answer["abstained"] and answer["citations"]
    assert {c["doc_id"] for c in answer["citations"]} <= SEED_IDS
    assert not (tmp_path / "index").exists(), "server mode writes nothing to the default local index"


def test_two_concurrent_ingests_into_one_server_lose_nothing_and_duplicate_nothing(server, tmp_path):
    shared = [f"shared{i}" for i in range(8)]
    only_a = [f"alpha{i}" for i in range(12)]
    only_b = [f"beta{i}" for i in range(30)]
    write_articles(tmp_path / "a", shared + only_a)
    write_articles(tmp_path / "b", shared + only_b)
    env = {**os.environ, "RAG_CHROMA_URL": server.url}
    runs = [
        subprocess.Popen([str(BIN / "rag"), "ingest", str(tmp_path / folder), "--quiet"], env=env, cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for folder in ("a", "b")
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err

    index = cli_index(server, tmp_path)
    records = {r.doc_id: r for r in index.articles()}
    assert set(records) == set(shared + only_a + only_b), "every article of both ingests is there"
    stored = raw_collection(index).get(include=["metadatas"])
    per_article: dict[str, list[dict]] = {}
    for meta in stored["metadatas"]:
        per_article.setdefault(meta["doc_id"], []).append(meta)
    for doc_id, record in records.items():
        metas = per_article.get(doc_id, [])
        assert len(metas) == record.chunks > 1, f"{doc_id}: all its chunks, once"
        assert sorted(m["seq"] for m in metas) == list(range(record.chunks))
        assert {m["version"] for m in metas} == {record.version}
    assert len(stored["ids"]) == sum(r.chunks for r in records.values()), "no stray chunks"

    for name in ("alpha3", "beta17", "shared5"):
        hits = index.search(f"the {name} ferry report Harwick crossing", k=3)
        assert hits[0].doc_id == name


def test_bm25_follows_what_another_process_changes_on_the_server(server, tmp_path, monkeypatch):
    import rag.index

    monkeypatch.setattr(rag.index, "REFRESH_EVERY_S", 0.0)  # look at the generation on every query
    index = cli_index(server, tmp_path)
    index.ingest([SEEDS])
    assert index.search("zorblat", mode="bm25") == []
    folder = cache_folder(index.settings.index_path, server.url, index.settings.collection)
    before = (folder / "generation").read_text()

    write_articles(tmp_path / "more", ["zorblat"])
    added = run_rag("ingest", str(tmp_path / "more"), "--chroma-url", server.url, "--quiet", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    hits = index.search("zorblat harbour master", mode="bm25")
    assert hits and hits[0].doc_id == "zorblat", "the other process's article is found by BM25"
    after = (folder / "generation").read_text()
    assert after != before and after.startswith(index.store.generation()), "the saved copy is of the new generation"
    assert LexicalIndex.load(folder, index.store.generation()) is not None, "and other processes can reuse it"

    removed = run_rag("remove", "zorblat", "--chroma-url", server.url, cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert all(p.doc_id != "zorblat" for p in index.search("zorblat harbour master", mode="bm25"))
    assert index.search("Harry Charles", mode="bm25"), "the rest is still indexed"


def test_a_server_that_is_not_running_is_a_clear_error_within_seconds(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = run_rag("search", HARRY, "--chroma-url", url, cwd=tmp_path)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert result.stderr.startswith("error: Cannot reach the Chroma server at " + url)
    assert "chroma run" in result.stderr and "Traceback" not in result.stderr

    started = time.monotonic()
    with pytest.raises(IndexUnavailableError):
        Index.open(url=url).search(HARRY)
    assert time.monotonic() - started < 5


def test_a_server_that_hangs_or_dies_mid_session_fails_fast(server, tmp_path):
    index = Index.open(tmp_path / "unused", url=server.url, collection="hang", timeout_s=2)
    index.ingest([SEEDS])
    assert index.search(HARRY)

    os.kill(server.process.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        started = time.monotonic()
        with pytest.raises(StoreTimeoutError) as caught:
            index.search(HARRY)
        assert time.monotonic() - started < 10
        assert "did not answer within 2 s" in str(caught.value) and "RAG_TIMEOUT" in str(caught.value)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)

    assert index.search(HARRY), "it recovers when the server does"
    server.stop()
    started = time.monotonic()
    with pytest.raises(IndexUnavailableError) as caught:
        index.search(HARRY)
    assert time.monotonic() - started < 10
    assert "chroma run" in str(caught.value)
