"""Shared fixtures: the real model, a real embedded Chroma, a real `chroma run` server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
BIN = Path(sys.executable).parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """A real `chroma run` on 127.0.0.1, started and stopped by the tests."""

    def __init__(self, path: Path):
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        log = open(self.path.parent / f"chroma-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [str(BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.process.returncode}")
            time.sleep(0.2)
        raise RuntimeError("chroma run did not become ready in 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seed_index_path(tmp_path_factory) -> Path:
    """An embedded index of the seed articles, built once per session. Copy it before writing."""
    from rag import Index

    path = tmp_path_factory.mktemp("seed-index") / "index"
    Index.open(path).ingest([SEEDS])
    return path


@pytest.fixture(autouse=True)
def _indexes_closed_after_each_test(tmp_path):
    """A test's indexes give back their open files when it ends: hundreds of tests each opening
    an index would otherwise pass the 1,024 file descriptors that select() (and so the pty
    test) can watch."""
    yield
    from rag.local_folder import LocalFolder

    for folder in LocalFolder.opened():
        if folder.path.is_relative_to(tmp_path.resolve()):
            folder.close()


@pytest.fixture(scope="session")
def seed_index(seed_index_path):
    from rag import Index

    return Index.open(seed_index_path)


@pytest.fixture
def fresh_index_path(tmp_path, seed_index_path) -> Path:
    """A private copy of the seed index that a test may change."""
    path = tmp_path / "index"
    shutil.copytree(seed_index_path, path)
    return path


_collection_counter = iter(range(10**6))


@pytest.fixture(params=["embedded", "server"])
def empty_index(request, tmp_path):
    """An empty index, once embedded and once on the real Chroma server (own collection)."""
    from rag import Index

    if request.param == "embedded":
        return Index.open(tmp_path / "index")
    server = request.getfixturevalue("chroma_server")
    return Index.open(tmp_path / "cache", url=server.url, collection=f"test{next(_collection_counter)}x{os.getpid()}")


def run_rag(*args: str, timeout: float = 300, env: dict | None = None, cwd: Path | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
    """The real `rag` console script, as a user would run it (`input` goes to its stdin)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(BIN / "rag"), *args], capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd or ROOT,
        input=input,
    )


def raw_collection(index, suffix: str = "chunks"):
    """The index's Chroma collection through a client of our own, to check what is really stored."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings, chroma = index.settings, ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        host, port = settings.chroma_url.removeprefix("http://").split(":")
        client = chromadb.HttpClient(host=host, port=int(port), settings=chroma)
    else:
        client = chromadb.PersistentClient(path=str(settings.index_path), settings=chroma)
    return client.get_collection(f"{settings.collection}-{suffix}", embedding_function=None)


def reopen(index, **changes):
    """The same index opened again, as another process would (optionally with other settings)."""
    from rag import Index

    s = index.settings
    return Index.open(s.index_path, url=s.chroma_url, collection=s.collection, **changes)
