"""Ingest: idempotent, replaces changed articles whole, stores duplicate text once, removes, reports."""

from __future__ import annotations

from pathlib import Path

from conftest import raw_collection, reopen

from rag.chunking import chunk_article
from rag.corpus import load
from rag.ingest import chunk_metadata, record_of

OLD = " ".join(f"Old sentence {i} says the ferry to Harwick sailed at dawn with {i} passengers aboard." for i in range(30))
NEW = " ".join(f"New sentence {i} says the ferry to Harwick was cancelled because of fog." for i in range(12))


def chunks_of(index, doc_id: str) -> dict:
    return raw_collection(index).get(where={"doc_id": doc_id}, include=["documents", "metadatas"])


def put_chunks_of(index, article) -> list:
    """Write an article's chunks as an ingest does before its commit point."""
    chunks = chunk_article(article)
    index.store.put_chunks(
        ids=[c.id(article.version) for c in chunks],
        texts=[c.text for c in chunks],
        vectors=index.embedder.encode([c.text for c in chunks]),
        metadatas=[chunk_metadata(article, c) for c in chunks],
    )
    return chunks


def test_second_ingest_adds_nothing(empty_index, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(f"Article {name} reports on the {name}-line tram extension. It opens in May.")

    first = empty_index.ingest([folder])
    stored = raw_collection(empty_index).count()
    generation = raw_collection(empty_index).metadata["generation"]
    second = reopen(empty_index).ingest([folder])

    assert first.summary().startswith("3 added, 0 updated, 0 unchanged, 0 skipped")
    assert second.summary().startswith("0 added, 0 updated, 3 unchanged, 0 skipped")
    assert second.chunks == 0, "nothing is embedded again"
    assert raw_collection(empty_index).count() == stored
    assert raw_collection(empty_index).metadata["generation"] == generation, "readers keep their BM25 copy"


def test_changed_article_replaces_all_its_chunks(empty_index, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ferry.txt").write_text(OLD)
    (folder / "other.txt").write_text("An unrelated article about a chess tournament in Oslo.")
    empty_index.ingest([folder])
    old_ids = set(chunks_of(empty_index, "ferry")["ids"])
    assert len(old_ids) >= 3

    (folder / "ferry.txt").write_text(NEW)
    report = empty_index.ingest([folder])

    assert report.summary().startswith("0 added, 1 updated, 1 unchanged, 0 skipped")
    article = next(a for a in load([folder / "ferry.txt"]))
    stored = chunks_of(empty_index, "ferry")
    assert not old_ids & set(stored["ids"])
    assert sorted(stored["documents"]) == sorted(c.text for c in chunk_article(article))
    assert all(m["version"] == article.version for m in stored["metadatas"])
    assert not any("Old sentence" in text for text in raw_collection(empty_index).get()["documents"]), "no stale chunk"
    assert [r.chunks for r in empty_index.articles() if r.doc_id == "ferry"] == [len(stored["ids"])]
    hits = empty_index.search("When did the ferry to Harwick sail at dawn with passengers?", k=5)
    assert hits and all("Old sentence" not in p.text for p in hits)


def test_metadata_change_alone_updates_the_article(empty_index, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("The museum reopened after renovation.")
    (folder / "metadata.toml").write_text('["a.txt"]\ntitle = "First title"\n')
    empty_index.ingest([folder])
    (folder / "metadata.toml").write_text('["a.txt"]\ntitle = "Corrected title"\nsource = "Arts Desk"\n')

    report = empty_index.ingest([folder])

    assert report.updated == ("a",)
    metas = chunks_of(empty_index, "a")["metadatas"]
    assert metas and all((m["title"], m["source"]) == ("Corrected title", "Arts Desk") for m in metas)


def test_same_text_under_two_names_is_stored_once_and_reported(empty_index, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    text = "The observatory photographed a comet passing close to Mars on Friday."
    (folder / "a.txt").write_text(text)
    (folder / "b.txt").write_text(text)
    (folder / "c.txt").write_text("A different story about a bakery competition in Leeds.")

    report = empty_index.ingest([folder])

    assert report.added == ("a", "c")
    assert report.duplicates == (("b", "a"),)
    assert "1 skipped" in report.summary()
    assert any("b" in line and "same text as a" in line for line in report.details())
    assert {m["doc_id"] for m in raw_collection(empty_index).get()["metadatas"]} == {"a", "c"}

    later = tmp_path / "later"
    later.mkdir()
    (later / "copy.txt").write_text(text)
    assert empty_index.ingest([later]).duplicates == (("copy", "a"),), "also against what is already indexed"


def test_remove_deletes_every_chunk_of_the_article(empty_index, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ferry.txt").write_text(OLD)
    (folder / "chess.txt").write_text("An article about a chess tournament in Oslo, won by a teenager.")
    empty_index.ingest([folder])
    assert chunks_of(empty_index, "ferry")["ids"]

    assert empty_index.remove("ferry") is True

    assert chunks_of(empty_index, "ferry")["ids"] == []
    assert raw_collection(empty_index, "articles").get(ids=["ferry"])["ids"] == []
    assert [r.doc_id for r in empty_index.articles()] == ["chess"]
    assert all(p.doc_id == "chess" for p in empty_index.search("ferry to Harwick passengers", k=5))
    assert empty_index.remove("ferry") is False, "removing twice says there was nothing to remove"


def test_skipped_files_are_counted_with_reasons(empty_index, tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text("The library extended its opening hours.")
    (folder / "blob.txt").write_bytes(b"\x00\x00binary\x00")
    (folder / "rows.jsonl").write_text('{"id": "j1", "text": "A JSONL story."}\n{broken\n')

    report = empty_index.ingest([folder, tmp_path / "nowhere"])

    assert report.summary().startswith("2 added, 0 updated, 0 unchanged, 3 skipped")
    details = "\n".join(report.details())
    assert f"{folder / 'blob.txt'}: binary" in details
    assert f"{folder / 'rows.jsonl'}:2: not valid JSON" in details
    assert f"{tmp_path / 'nowhere'}: no such file or folder" in details


def test_leftovers_of_an_interrupted_ingest_are_invisible_then_cleaned(empty_index, tmp_path):
    """A killed ingest leaves chunks that no manifest record vouches for: never served, then removed."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ferry.txt").write_text(OLD)
    empty_index.ingest([folder])
    article = next(a for a in load([folder / "ferry.txt"]))
    half_written = article.__class__(**{**article.__dict__, "text": NEW})  # the next version, never committed
    chunks = put_chunks_of(empty_index, half_written)
    empty_index.store.bump()

    reader = reopen(empty_index)
    hits = reader.search("ferry to Harwick cancelled because of fog", k=10)
    assert hits and all("New sentence" not in p.text for p in hits), "uncommitted chunks are never served"

    report = reader.ingest([folder])
    assert report.cleaned == len(chunks)
    assert all(m["version"] == article.version for m in chunks_of(empty_index, "ferry")["metadatas"])


def test_progress_reports_chunks_embedded(empty_index, tmp_path):
    folder: Path = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ferry.txt").write_text(OLD)
    seen: list[tuple[int, int]] = []

    report = empty_index.ingest([folder], progress=lambda done, total: seen.append((done, total)))

    assert seen[0] == (0, report.chunks) and seen[-1] == (report.chunks, report.chunks)
    assert report.chunks == len(chunks_of(empty_index, "ferry")["ids"]) > 1


def test_commits_of_a_killed_ingest_are_announced_by_the_next(empty_index, tmp_path):
    """An ingest killed after committing articles and removing the old chunks, but before
    announcing them (a new generation), leaves its mark; the next ingest, even with nothing to do, announces them, so readers in other
    processes do not keep serving the old versions from their BM25 copy."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ferry.txt").write_text(OLD)
    empty_index.ingest([folder])
    (folder / "ferry.txt").write_text(NEW)
    empty_index.store.unsettle()  # what the killed ingest did first ...
    article = next(a for a in load([folder / "ferry.txt"]))  # ... then it committed the new version
    chunks = put_chunks_of(empty_index, article)
    empty_index.store.put_articles([record_of(article, len(chunks))])
    empty_index.store.delete_ids(empty_index.store.orphan_chunks(empty_index.store.articles()))  # and cleaned up
    generation = raw_collection(empty_index).metadata["generation"]

    report = reopen(empty_index).ingest([folder])

    assert report.summary().startswith("0 added, 0 updated, 1 unchanged"), report.summary()
    assert raw_collection(empty_index).metadata["generation"] != generation, "the commit is announced"
    assert not empty_index.store.unsettled()
