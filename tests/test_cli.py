"""The `rag` command, run as a user runs it (the real console script in a subprocess)."""

from __future__ import annotations

import json

import chromadb
from conftest import free_port, run_rag

HARRY = "When did Harry last see Charles?"
OLDEST = "002_7027e3ace5fdcd72"


def ok(result) -> str:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout


def test_search_answers_the_harry_question_in_its_top_five(fresh_index_path):
    """Issue 2, done when: both dated answers are among the top 5 passages."""
    passages = json.loads(ok(run_rag("search", HARRY, "-k", "5", "--json", "--index", str(fresh_index_path))))

    assert len(passages) == 5
    texts = [p["text"] for p in passages]
    assert any("since February 2024" in t for t in texts), [p["chunk_id"] for p in passages]
    assert any("funeral in April" in t for t in texts), [p["chunk_id"] for p in passages]
    for p in passages:
        assert {"doc_id", "chunk_id", "title", "source", "published", "url", "text", "start", "end", "score"} <= set(p)


def test_second_ingest_of_the_seeds_adds_nothing(fresh_index_path):
    out = ok(run_rag("ingest", "seeds", "--index", str(fresh_index_path)))
    assert "0 added" in out and "3 unchanged" in out


def test_remove_then_info(fresh_index_path):
    result = run_rag("remove", OLDEST, "no-such-article", "--index", str(fresh_index_path))
    assert result.returncode == 1, "an unknown id is an error"
    assert f"removed {OLDEST}" in result.stdout and "no article no-such-article" in result.stdout

    info = json.loads(ok(run_rag("info", "--json", "--articles", "--index", str(fresh_index_path))))
    assert info["articles"] == 2 and info["mode"] == "embedded"
    assert OLDEST not in {a["doc_id"] for a in info["article_list"]}
    assert info["published_range"] == ["2025-08-22", "2025-08-22"]
    client = chromadb.PersistentClient(path=str(fresh_index_path))
    chunks = client.get_collection("rag-chunks", embedding_function=None)
    assert chunks.get(where={"doc_id": OLDEST})["ids"] == []
    assert info["chunks"] == chunks.count()


def test_the_same_commands_against_a_chroma_server(chroma_server, tmp_path):
    url = ["--chroma-url", chroma_server.url]
    out = ok(run_rag("ingest", "seeds", *url))
    assert out.startswith("3 added")

    passages = json.loads(ok(run_rag("search", HARRY, "-k", "3", "--json", "--before", "2022-01-01", *url)))
    assert passages and {p["doc_id"] for p in passages} == {OLDEST}, "date filters work on the server too"

    info = json.loads(ok(run_rag("info", "--json", *url)))
    assert (info["mode"], info["articles"], info["location"]) == ("server", 3, chroma_server.url)


def test_errors_are_one_clear_line_and_a_nonzero_exit(fresh_index_path, tmp_path):
    index = ["--index", str(fresh_index_path)]
    cases = [
        (run_rag("search", "   ", *index), 2, "question is empty"),
        (run_rag("search", HARRY, "--after", "someday", *index), 2, "someday"),
        (run_rag("search", HARRY, "--chroma-url", f"http://127.0.0.1:{free_port()}"), 1, "Cannot reach the Chroma server"),
        (run_rag("ingest", str(tmp_path / "nowhere"), "--index", str(tmp_path / "new")), 1, "no such file or folder"),
    ]
    for result, code, message in cases:
        assert result.returncode == code, (result.args, result.stderr)
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
