"""The Chroma side: chunk vectors and an article manifest, embedded or on a server.

Two collections per index:

* `<name>-chunks` holds one record per chunk: text, vector and metadata. Its collection metadata
  records the embedding model (so another model is refused) and a `generation` token that
  changes on every write (so other processes know their BM25 copy is stale).
* `<name>-articles` is the manifest: one record per article naming its current version. Writing
  that record is the commit point of an article's ingest. Chunks of any other version (a crashed
  ingest, a replaced article) are invisible to readers and are collected on the next ingest.

Chroma has no multi-record transactions; this manifest is how an article is always wholly old,
wholly new or absent.

An embedded index is shared by processes through `LocalFolder`: every public method here runs
in a `session`, which holds the folder for this process and reopens Chroma if another process
wrote to it (see local_folder.py for why both are needed).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import chunk_id
from .config import Settings
from .errors import IndexBusyError, IndexUnavailableError, ModelMismatchError, RagError, StoreTimeoutError
from .local_folder import WRITE_WAIT_S, LocalFolder

log = logging.getLogger(__name__)

SCHEMA = 1
PAGE = 5000  # below Chroma's max batch (5461)
RECORD = "record"  # the manifest's metadata field that holds a whole ArticleRecord as JSON
#: A writer on a Chroma server renews its lease after every group of articles (a group takes
#: well under a minute); the lease of a writer that died expires after this long.
LEASE_S = 300.0


@dataclass(frozen=True)
class ArticleRecord:
    doc_id: str
    version: str
    text_hash: str
    title: str
    source: str
    published: str  # ISO date or ""
    url: str
    chunks: int
    chars: int
    origin: str


def published_day(iso: str) -> int:
    """YYYYMMDD as an int, because Chroma's range operators compare numbers only."""
    return int(iso.replace("-", "")) if iso else 0


def _session(write: bool):
    """Run the decorated Store method inside `Store.session(write)`."""

    def decorate(method):
        @functools.wraps(method)
        def run(self: "Store", *args, **kwargs):
            with self.session(write):
                return method(self, *args, **kwargs)

        return run

    return decorate


class Store:
    def __init__(self, client: Any, settings: Settings, location: str, folder: LocalFolder | None = None):
        self.client = client  # for an embedded index, set by each session (the folder's client)
        self.settings = settings
        self.location = location
        self._folder = folder
        self._chunks = None
        self._articles = None
        self._lease: str | None = None  # our writer lease on a Chroma server, while we hold one

    @contextmanager
    def session(self, write: bool = False) -> Iterator[None]:
        """Hold an embedded index's folder for this process (nothing to do on a server)."""
        if self._folder is None:
            yield
            return
        try:
            client = self._folder.acquire(WRITE_WAIT_S if write else self.settings.timeout_s, write)
        except RagError:
            raise
        except Exception as err:
            raise IndexUnavailableError(
                f"The index at {self.location} cannot be opened ({_short(err)}). It may be corrupt or from "
                f"another Chroma version: move it aside (mv {self.location} {self.location}.broken) and "
                "rebuild it with `rag ingest`."
            ) from None
        try:
            if client is not self.client:  # another process wrote: collections are reloaded too
                self.client, self._chunks, self._articles = client, None, None
            yield
        finally:
            self._folder.release()

    def close(self) -> None:
        """Give back an embedded index's open files; the next operation opens them again."""
        if self._folder is not None:
            self._folder.close()

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings) -> "Store":
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(settings.chroma_url)
            try:
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                _set_timeout(client, settings.timeout_s)
                client.heartbeat()
            except Exception as err:  # chromadb raises many kinds here, all meaning "unreachable"
                raise IndexUnavailableError(
                    f"Cannot reach the Chroma server at {settings.chroma_url} ({_short(err)}). "
                    "Start it with `chroma run --path DIR --host 127.0.0.1 --port PORT`, or unset "
                    "RAG_CHROMA_URL / --chroma-url to use the embedded index."
                ) from None
            return cls(client, settings, settings.chroma_url)

        path = Path(settings.index_path)
        if path.exists() and not path.is_dir():
            raise IndexUnavailableError(
                f"--index {path} is a file, not a folder. Point --index at a folder (it is "
                "created if missing), for example --index index/."
            )
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise IndexUnavailableError(
                f"Cannot create the index folder {path} ({err.strerror or err}). Point --index at a "
                "folder you can write to."
            ) from None
        store = cls(None, settings, str(path.resolve()), LocalFolder.of(path))
        with store.session():  # opened now, so a corrupt index is reported here
            pass
        return store

    # ---- one writer on a server -----------------------------------------------------------

    @contextmanager
    def writer_lease(self, wait_s: float) -> Iterator[None]:
        """One ingest at a time per collection on a Chroma server, across machines.

        Creating a collection is atomic on the server, so the `<name>-writer` collection is the
        lock; its metadata names the holder and when its lease ends, so a writer that died stops
        blocking others after LEASE_S, or at once if it ran on this machine. (Embedded indexes use
        a file lock instead.)"""
        name = f"{self.settings.collection}-writer"
        owner = f"{socket.gethostname()}:{os.getpid()}:{_token()}"
        deadline = time.monotonic() + wait_s
        warned = False
        while True:
            try:
                self.client.create_collection(name, embedding_function=None, metadata={"owner": owner, "expires": time.time() + LEASE_S})
                break
            except Exception as err:
                if "already exists" not in str(err):
                    raise self._failure(err) from None
            holder = self._lease_holder(name)
            if holder is not None and _lease_over(holder):
                log.warning("taking over the writer lease of %s on %s (it ended)", holder.get("owner"), self.location)
                self._drop_lease(name, holder.get("owner"))
                continue
            if time.monotonic() >= deadline:
                who = holder.get("owner", "another process") if holder else "another process"
                raise IndexBusyError(
                    f"The collection {self.settings.collection!r} on {self.location} is busy: {who} has been "
                    f"adding articles to it for over {wait_s:.0f} s. Wait for that ingest to finish, then retry."
                )
            if not warned:
                log.warning("another ingest is writing to %s; waiting up to %.0f s", self.location, wait_s)
                warned = True
            time.sleep(0.5)
        self._lease = owner
        try:
            yield
        finally:
            self._lease = None
            self._drop_lease(name, owner)

    def renew_lease(self) -> None:
        """Tell other writers we are still alive (no-op without a lease)."""
        if self._lease is not None:
            name = f"{self.settings.collection}-writer"
            self._call(lambda: self.client.get_collection(name, embedding_function=None).modify(
                metadata={"owner": self._lease, "expires": time.time() + LEASE_S}))

    def _lease_holder(self, name: str) -> dict | None:
        try:
            return dict(self.client.get_collection(name, embedding_function=None).metadata or {})
        except Exception as err:
            if "does not exist" in str(err) or "NotFound" in type(err).__name__:
                return None
            raise self._failure(err) from None

    def _drop_lease(self, name: str, owner: str | None) -> None:
        holder = self._lease_holder(name)
        if holder is not None and holder.get("owner") == owner:
            try:
                self.client.delete_collection(name)
            except Exception as err:  # already gone: someone took over an expired lease
                log.debug("dropping the writer lease failed: %s", err)

    # ---- collections ---------------------------------------------------------------------

    def _collection(self, suffix: str, create: bool):
        name = f"{self.settings.collection}-{suffix}"
        try:
            if create:
                return self.client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            return self.client.get_collection(name, embedding_function=None)
        except Exception as err:
            if not create and ("does not exist" in str(err) or "NotFound" in type(err).__name__):
                return None
            raise self._failure(err) from None

    @_session(write=False)
    def chunks(self, create: bool = False):
        if self._chunks is None:
            self._chunks = self._collection("chunks", create)
        return self._chunks

    @_session(write=False)
    def articles_collection(self, create: bool = False):
        if self._articles is None:
            self._articles = self._collection("articles", create)
        return self._articles

    @property
    def exists(self) -> bool:
        with self.session():
            return self.chunks() is not None

    @_session(write=False)
    def model(self) -> tuple[str, int] | None:
        meta = self._metadata()
        return (meta["model"], int(meta["dim"])) if "model" in meta else None

    @_session(write=True)
    def claim(self, model: str, dim: Callable[[], int]) -> None:
        """Create the collections for `model`, or check that they were made with it.

        `dim` is a callable so that an index that already exists never loads the model for it.
        """
        recorded = self.model()
        if recorded is None:
            self._update_metadata(model=model, dim=dim(), schema=SCHEMA, generation=_token())
            self.articles_collection(create=True)
        else:
            self.check_model(model)

    @_session(write=False)
    def check_model(self, model: str) -> None:
        recorded = self.model()
        if recorded and recorded[0] != model:
            raise ModelMismatchError(
                f"The index at {self.location} was built with the embedding model {recorded[0]!r}, "
                f"not {model!r}. Use --model {recorded[0]} (or RAG_MODEL), or build a new index "
                "with --index NEW_DIR."
            )

    @_session(write=False)
    def generation(self) -> str:
        return str(self._metadata().get("generation", ""))

    @_session(write=True)
    def unsettle(self) -> None:
        """Mark that the manifest is about to change. A writer killed before its `bump` leaves
        the mark, so the next writer announces what the killed one committed."""
        self._update_metadata(unsettled=True)

    @_session(write=False)
    def unsettled(self) -> bool:
        return bool(self._metadata().get("unsettled", False))

    @_session(write=True)
    def bump(self) -> None:
        """Announce a changed manifest to every reader (a new generation token)."""
        self._update_metadata(generation=_token(), unsettled=False)

    def _metadata(self) -> dict[str, Any]:
        collection = self.chunks()
        if collection is None:
            return {}
        return self._call(lambda: self.client.get_collection(collection.name, embedding_function=None).metadata) or {}

    def _update_metadata(self, **changes: Any) -> None:
        """Chroma's `modify` replaces the whole metadata: merge, or the model record is lost and
        the next ingest with another model would silently mix vectors."""
        collection = self.chunks(create=True)
        kept = {k: v for k, v in self._metadata().items() if not k.startswith("hnsw:")}
        self._call(lambda: collection.modify(metadata={**kept, **changes}))

    # ---- articles ------------------------------------------------------------------------

    @_session(write=False)
    def articles(self) -> dict[str, ArticleRecord]:
        collection = self.articles_collection()
        if collection is None:
            return {}
        records: dict[str, ArticleRecord] = {}
        for offset in range(0, 10**9, PAGE):
            page = self._call(lambda: collection.get(include=["metadatas"], limit=PAGE, offset=offset))
            for meta in page["metadatas"]:
                fields = json.loads(meta[RECORD]) if RECORD in meta else meta  # older indexes: field by field
                record = ArticleRecord(**{k: fields[k] for k in ArticleRecord.__dataclass_fields__})
                records[record.doc_id] = record
            if len(page["ids"]) < PAGE:
                break
        return records

    @_session(write=True)
    def put_articles(self, records: Sequence[ArticleRecord]) -> None:
        """The commit point: from here on readers see each record's version of its article.

        Called once per group of fully written articles, so the manifest costs one write per
        group rather than one per article. Chroma stores a row per metadata field, so a record
        is its id, version and chunk count (what tools that read Chroma directly look at) plus the
        whole record as one JSON field: reading 29k records of ten fields took 2.9 s, of these
        four 0.95 s."""
        if records:
            self._call(
                lambda: self.articles_collection(create=True).upsert(
                    ids=[r.doc_id for r in records], embeddings=[[1.0]] * len(records),
                    metadatas=[
                        {"doc_id": r.doc_id, "version": r.version, "chunks": r.chunks, RECORD: json.dumps(asdict(r))}
                        for r in records
                    ],
                )
            )

    @_session(write=True)
    def delete_article(self, doc_id: str) -> int:
        """Drop the manifest record, then every chunk of `doc_id`; returns the chunks removed.
        Never creates collections: removing from an index that does not exist changes nothing."""
        collection = self.articles_collection()
        if collection is not None:
            self._call(lambda: collection.delete(ids=[doc_id]))
        return self.delete_chunks(doc_id)

    # ---- chunks --------------------------------------------------------------------------

    @_session(write=True)
    def put_chunks(self, ids: list[str], texts: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        collection = self.chunks(create=True)
        for i in range(0, len(ids), PAGE):
            part = slice(i, i + PAGE)
            self._call(
                lambda: collection.upsert(
                    ids=ids[part], documents=texts[part], embeddings=vectors[part], metadatas=metadatas[part]
                )
            )

    @_session(write=True)
    def delete_chunks(self, doc_id: str, keep_version: str | None = None) -> int:
        """Remove the chunks of `doc_id` (all, or all but `keep_version`); returns how many."""
        collection = self.chunks()
        if collection is None:
            return 0
        where: dict = {"doc_id": doc_id}
        if keep_version:
            where = {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep_version}}]}
        ids = self._call(lambda: collection.get(where=where, include=[]))["ids"]
        if ids:
            self._call(lambda: collection.delete(ids=ids))
        return len(ids)

    @_session(write=False)
    def orphan_chunks(self, current: dict[str, ArticleRecord]) -> list[str]:
        """Ids of chunks that no manifest record vouches for: replaced versions, and what a
        crashed ingest or removal left. Only the one writer (see Index._writer) may delete them:
        another writer's chunks are orphans until it commits them.

        Read from the chunk ids, which name their article and version (see Chunk.id): at 100k
        chunks the ids took 1.3 s to read here, their metadata 17 s. The few ids that name no current
        version are confirmed from their metadata before they are called orphans."""
        suspects = []
        for page in self._pages(include=[]):
            for cid in page["ids"]:
                doc_id, _, seq_version = cid.rpartition("#")
                record = current.get(doc_id)
                if record is None or not seq_version.endswith("." + record.version[:8]):
                    suspects.append(cid)
        orphans = []
        collection = self.chunks()
        for i in range(0, len(suspects), PAGE):
            page = self._call(lambda: collection.get(ids=suspects[i : i + PAGE], include=["metadatas"]))
            for cid, meta in zip(page["ids"], page["metadatas"]):
                record = current.get(meta["doc_id"])
                if record is None or record.version != meta["version"]:
                    orphans.append(cid)
        return orphans

    @_session(write=True)
    def delete_ids(self, ids: Sequence[str]) -> None:
        collection = self.chunks()
        if collection is None:
            return
        for i in range(0, len(ids), PAGE):
            part = list(ids[i : i + PAGE])
            self._call(lambda: collection.delete(ids=part))

    def iter_chunks(self, include_documents: bool = True) -> Iterator[tuple[str, str, dict]]:
        """Every chunk, page by page. Callers that need one consistent view hold a `session`."""
        for page in self._pages(["metadatas", "documents"] if include_documents else ["metadatas"]):
            docs = page.get("documents") or [""] * len(page["ids"])
            yield from zip(page["ids"], docs, page["metadatas"])

    def iter_chunk_vectors(self) -> Iterator[tuple[str, str, dict, np.ndarray]]:
        """Every chunk with its text, metadata and vector, page by page."""
        for page in self._pages(["metadatas", "documents", "embeddings"]):
            for cid, doc, meta, vec in zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"]):
                yield cid, doc, meta, np.asarray(vec, dtype=np.float32)

    def _pages(self, include: list[str]) -> Iterator[dict]:
        for offset in range(0, 10**9, PAGE):
            with self.session():
                collection = self.chunks()
                if collection is None:
                    return
                page = self._call(lambda: collection.get(include=include, limit=PAGE, offset=offset))
            yield page
            if len(page["ids"]) < PAGE:
                break

    @_session(write=False)
    def get_chunks(self, ids: Sequence[str], with_vectors: bool = False) -> dict[str, tuple]:
        """(text, metadata) per id, plus the vector when asked."""
        collection = self.chunks()
        if collection is None or not ids:
            return {}
        include = ["metadatas", "documents"] + (["embeddings"] if with_vectors else [])
        page = self._call(lambda: collection.get(ids=list(ids), include=include))
        if with_vectors:
            rows = zip(page["ids"], page["documents"], page["metadatas"], page["embeddings"])
            return {i: (d, m, np.asarray(v, dtype=np.float32)) for i, d, m, v in rows}
        return {i: (d, m) for i, d, m in zip(page["ids"], page["documents"], page["metadatas"])}

    @_session(write=False)
    def article_chunks(self, doc_id: str, version: str) -> list[tuple[str, dict]]:
        """(text, metadata) of every chunk of one version of an article, in no particular order."""
        collection = self.chunks()
        if collection is None:
            return []
        where = {"$and": [{"doc_id": doc_id}, {"version": version}]}
        page = self._call(lambda: collection.get(where=where, include=["metadatas", "documents"]))
        return list(zip(page["documents"], page["metadatas"]))

    @_session(write=False)
    def current_chunks(self, records: Sequence[ArticleRecord]) -> dict[str, list[tuple[str, str, dict]]]:
        """(id, text, metadata) of every chunk of each record's version, by article, in no
        particular order: what `article_chunks` gives, for several articles in one call.

        Fetched by id (ids name the article, the chunk's number and the version, see Chunk.id),
        which Chroma looks up directly, where `article_chunks`'s clause scans every chunk's
        metadata: 9 ms per article at 100k chunks, three times per answer."""
        collection = self.chunks()
        wanted = {chunk_id(r.doc_id, seq, r.version): r for r in records for seq in range(r.chunks)}
        if collection is None or not wanted:
            return {}
        ids = list(wanted)
        found: dict[str, list[tuple[str, str, dict]]] = {}
        for i in range(0, len(ids), PAGE):
            page = self._call(lambda: collection.get(ids=ids[i : i + PAGE], include=["metadatas", "documents"]))
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                record = wanted[cid]
                if meta.get("doc_id") == record.doc_id and meta.get("version") == record.version:
                    found.setdefault(record.doc_id, []).append((cid, text, meta))
        return found

    @_session(write=False)
    def count(self) -> int:
        collection = self.chunks()
        return 0 if collection is None else self._call(collection.count)

    @_session(write=False)
    def nearest(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(id, distance) of the `n` nearest chunks, nearest first: no text, no metadata, no filter."""
        collection = self.chunks()
        if collection is None or n <= 0:
            return []
        result = self._call(lambda: collection.query(query_embeddings=[vector], n_results=n, include=["distances"]))
        return list(zip(result["ids"][0], result["distances"][0]))

    @_session(write=False)
    def query(self, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[str, str, dict, float]]:
        collection = self.chunks()
        if collection is None:
            return []
        if n <= 0:
            return []
        # No count() first: Chroma returns fewer than n when it holds fewer, and that call
        # would be one more round trip per query to a server.
        result = self._call(
            lambda: collection.query(
                query_embeddings=[vector], n_results=n, where=where or None,
                include=["documents", "metadatas", "distances"],
            )
        )
        return list(zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]))

    # ---- errors --------------------------------------------------------------------------

    def _call(self, fn):
        try:
            return fn()
        except Exception as err:
            raise self._failure(err) from None

    def _failure(self, err: Exception) -> Exception:
        import httpx

        if isinstance(err, httpx.TimeoutException):
            return StoreTimeoutError(
                f"The Chroma server at {self.location} did not answer within {self.settings.timeout_s:g} s. "
                "Check that it is running and not overloaded (RAG_TIMEOUT raises the limit)."
            )
        if isinstance(err, (httpx.TransportError, ConnectionError)):
            return IndexUnavailableError(
                f"Lost the connection to the Chroma server at {self.location} ({_short(err)}). "
                "Check that `chroma run` is still up, then retry."
            )
        if isinstance(err, (IndexUnavailableError, StoreTimeoutError, ModelMismatchError)):
            return err
        if self._folder is None:
            return IndexUnavailableError(
                f"The Chroma server at {self.location} failed: {_short(err)}. Its log says more; retry once it is healthy."
            )
        return IndexUnavailableError(
            f"The index at {self.location} failed: {_short(err)}. If this happens again the index is damaged: "
            f"move it aside (mv {self.location} {self.location}.broken) and rebuild it with `rag ingest`."
        )


def _lease_over(holder: dict) -> bool:
    """Expired, or held by a process of this machine that no longer runs (killed mid-ingest)."""
    if holder.get("expires", 0) < time.time():
        return True
    host, _, rest = str(holder.get("owner", "")).partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _token() -> str:
    return uuid.uuid4().hex[:12]


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:200]


def _set_timeout(client: Any, seconds: float) -> None:
    """chromadb's HTTP client waits forever by default; a dead server must fail in seconds."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 3.0))
