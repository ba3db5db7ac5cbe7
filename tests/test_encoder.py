"""The ONNX Runtime encoder: the same vectors as torch, made once, and no torch in a query process."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from conftest import ROOT

from rag.config import DEFAULT_MODEL
from rag.embedding import Embedder, OnnxRuntime, export_folder, model_location

TEXTS = [
    "When did Harry last see Charles?",
    "a",
    "Prince HARRY and King Charles III met at Clarence House on 8 September 2025.",
    "Ünïcödé “curly quotes” — em dashes, £5 and 3.5% survive tokenising.",
    "The council debated the river bridge budget again, and residents waited for an answer. " * 30,  # > 256 tokens
] + [f"Short sentence {i} about the weather in Oslo." for i in range(40)]  # several batches, mixed lengths


def test_onnx_export_gives_torch_vectors_and_is_remade_when_damaged(tmp_path, monkeypatch):
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no export yet: this Embedder makes one
    embedder = Embedder(batch_size=16)
    vectors = embedder.encode(TEXTS)
    assert isinstance(embedder.runtime, OnnxRuntime)
    folder = export_folder(model_location(DEFAULT_MODEL))
    assert folder.is_relative_to(tmp_path) and (folder / "model.onnx").is_file()

    torch_vectors = SentenceTransformer(model_location(DEFAULT_MODEL), device="cpu").encode(TEXTS, normalize_embeddings=True)
    cosines = np.sum(vectors * torch_vectors, axis=1)
    assert cosines.min() >= 0.999, f"worst cosine {cosines.min():.6f}"
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)

    (folder / "model.onnx").write_bytes(b"not a model")  # a damaged export is made again, not trusted
    again = Embedder().encode(TEXTS[:3])
    assert np.allclose(again, vectors[:3], atol=1e-4)
    assert (folder / "model.onnx").stat().st_size > 1_000_000


def test_cached_vectors_are_the_vectors_and_ingest_bypasses_the_cache():
    embedder = Embedder()
    first = embedder.encode(TEXTS[:3])
    again = embedder.encode([TEXTS[2], TEXTS[0], "A sentence not seen before."])
    assert embedder.cache_info() == {"hits": 2, "misses": 4, "size": 4}
    assert np.array_equal(again[:2], first[[2, 0]])
    assert np.allclose(again[2], Embedder().encode(["A sentence not seen before."], cache=False)[0], atol=1e-5)
    embedder.encode(TEXTS[3:6], cache=False)
    assert embedder.cache_info()["size"] == 4, "texts encoded with cache=False are not kept"


def test_search_and_ask_load_neither_torch_nor_the_ui(seed_index_path):
    """Cold start: `rag search` and `rag ask` import only what answering needs."""
    code = (
        "import sys\n"
        "from rag.cli import main\n"
        f"assert main(['search', 'When did Harry last see Charles?', '--index', {str(seed_index_path)!r}]) == 0\n"
        f"assert main(['ask', 'When did Harry last see Charles?', '--index', {str(seed_index_path)!r}]) == 0\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'gradio', 'matplotlib', 'openai')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"
