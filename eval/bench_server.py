"""A `chroma run` server on 127.0.0.1 for the benchmark's server-mode measurements."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


class ChromaServer:
    def __init__(self, data: Path):
        self.data = data
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "ChromaServer":
        chroma = Path(sys.executable).parent / "chroma"
        self.data.mkdir(parents=True, exist_ok=True)
        log = (self.data.parent / f"chroma-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited with code {self.process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("chroma run did not answer within 60 s")

    def rss_mb(self) -> float | None:
        import psutil

        return round(psutil.Process(self.process.pid).memory_info().rss / 2**20) if self.process else None

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
