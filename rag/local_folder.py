"""An embedded index folder used by several threads and processes: one at a time, never stale.

Chroma's embedded mode keeps each process's own copy of the vector index (HNSW) in memory and
lets whichever process applies the log write the index files. Measured with chromadb 1.5.9
(README "Reliability and security"):

* a process that opens or queries the folder while another process writes to it can corrupt
  it for good (every later read fails with "Failed to apply logs to the hnsw segment writer");
* a process that opened the folder before another process wrote keeps searching its old
  vectors: new chunks are never found and deleted ones come back with no text or metadata.

So every operation on an embedded index runs while its process holds the folder's lock, which
is exclusive between processes and shared by the threads of one process (inside a process
Chroma shares one client per folder, and that is safe). Each write first changes the folder's
stamp; a process that takes the lock and finds a stamp it did not write reopens Chroma, so it
reads what the other process wrote. Writers hold the lock only while writing a group of
articles, so a chat in another process keeps answering between groups of an ingest.

A Chroma server (`--chroma-url`) needs none of this: the server is the one process.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .errors import IndexBusyError

log = logging.getLogger(__name__)

LOCK_FILE = ".rag.lock"
STAMP_FILE = ".rag.stamp"
POLL_S = 0.05
#: How long a write waits for other processes to finish their operations on the folder.
WRITE_WAIT_S = 600.0


class LocalFolder:
    """The per-process handle of one index folder: its lock, its stamp and its Chroma client."""

    _all: dict[Path, "LocalFolder"] = {}
    _all_lock = threading.Lock()

    @classmethod
    def of(cls, path: Path) -> "LocalFolder":
        path = Path(path).resolve()
        with cls._all_lock:
            if path not in cls._all:
                cls._all[path] = cls(path)
            return cls._all[path]

    def __init__(self, path: Path):
        self.path = path
        self._state = threading.Condition()
        self._users = 0
        self._fd: int | None = None
        self._stamp: str | None = None  # the stamp this process's Chroma client has seen
        self._client: Any = None  # replaced only while no thread of this process holds the folder

    def acquire(self, timeout_s: float, write: bool = False) -> Any:
        """Hold the folder for this process (its other threads share the hold) and return the
        Chroma client to use; every acquire is paired with a release."""
        with self._state:
            if self._users == 0:
                self._lock(timeout_s, write)
                try:
                    stamp = self._read_stamp()
                    if self._client is not None and stamp != self._stamp:
                        log.info("index %s was changed by another process; reopening it", self.path)
                        self._close_client()
                    self._stamp = stamp
                    if self._client is None:
                        self._client = self._open()
                except BaseException:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    raise
            self._users += 1
            client = self._client
        if write:
            try:
                self._write_stamp()
            except BaseException:
                self.release()
                raise
        return client

    @classmethod
    def opened(cls) -> list["LocalFolder"]:
        """Every index folder this process has opened."""
        with cls._all_lock:
            return list(cls._all.values())

    def close(self) -> None:
        """Give back this process's Chroma copy of the folder and its lock file (open files and
        memory: a program that opens many indexes would run out of file descriptors). The next
        operation on the folder opens them again; a folder a thread is using stays open."""
        with self._state:
            if self._users:
                return
            if self._client is not None:
                self._close_client()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def release(self) -> None:
        with self._state:
            self._users -= 1
            if self._users == 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _open(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.PersistentClient(
            path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        client.heartbeat()
        return client

    def _lock(self, timeout_s: float, write: bool) -> None:
        if self._fd is None:
            self._fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout_s
        warned = False
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if time.monotonic() >= deadline:
                raise IndexBusyError(
                    f"The index at {self.path} is in use by another process (an ingest, or a chat server "
                    f"answering) and did not become free within {timeout_s:g} s. An index folder serves one "
                    "process at a time: wait for that process, ask through it, or run a Chroma server "
                    "(chroma run --path DIR) and point every process at it with --chroma-url."
                )
            if write and not warned:
                log.warning("index %s is in use by another process; waiting up to %.0f s", self.path, timeout_s)
                warned = True
            time.sleep(POLL_S)

    def _read_stamp(self) -> str:
        try:
            return (self.path / STAMP_FILE).read_text()
        except OSError:
            return ""

    def _write_stamp(self) -> None:
        """Before any change, so that even a writer killed halfway makes other processes reopen."""
        stamp = uuid.uuid4().hex
        tmp = self.path / f"{STAMP_FILE}.{os.getpid()}"
        tmp.write_text(stamp)
        tmp.replace(self.path / STAMP_FILE)
        self._stamp = stamp

    def _close_client(self) -> None:
        """Drop this process's Chroma copy of the folder so the next client loads it from disk.

        Chroma caches one `System` per path and process; `close()` stops it only when no other
        client holds it, so the cache entry is dropped too (private, pinned chromadb ~= 1.5.9)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        try:
            self._client.close()
        except Exception as err:  # a broken copy is what we are throwing away
            log.debug("closing the old Chroma client failed: %s", err)
        SharedSystemClient._identifier_to_system.pop(str(self.path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(self.path), None)
        self._client = None
