"""Bad input: each case gets a clear message (no traceback), a non-zero exit code from the CLI
when the command could not do its job, and leaves what is already indexed as it was."""

from __future__ import annotations

import json
import os
import pty
import shutil
import time

import pytest

from conftest import BIN, SEEDS, run_rag

HARRY = "When did Harry last see Charles?"


def fails(result, code: int, *phrases: str) -> str:
    """The command failed with `code` and one readable message containing `phrases`."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output[-2000:]
    assert "Traceback" not in output, output[-3000:]
    for phrase in phrases:
        assert phrase in output, output[-2000:]
    return output


def answered(result) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in output, output[-3000:]
    return result.stdout


def versions(index) -> dict[str, str]:
    return {a.doc_id: a.version for a in index.articles()}


# ---- questions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["😀🎉🔥", "🇬🇧👑", "¿Cuándo vio Harry a Carlos por última vez?", "哈里最后一次见查尔斯是什么时候？",
     "متى رأى هاري تشارلز آخر مرة؟", "?", "When did Harry\x00 last see \x1b[2JCharles?", "Harry \ud800 Charles?"],
)
def test_odd_questions_are_answered_or_declined_never_crash(seed_index, question):
    answer = seed_index.ask(question)
    assert answer.text.strip()
    assert answer.abstained or answer.citations, "an answer that is not a refusal cites its sources"
    seed_index.search(question)


def test_empty_and_huge_questions_are_refused_with_the_reason(seed_index):
    from rag.errors import QuestionError

    for blank in ("", "   ", "\n\t "):
        with pytest.raises(QuestionError, match="question is empty"):
            seed_index.ask(blank)
    started = time.monotonic()
    with pytest.raises(QuestionError, match=r"299,999 characters long; the limit is 2,000"):
        seed_index.ask("why " * 75_000)
    with pytest.raises(QuestionError, match="limit is 2,000"):
        seed_index.search("x" * 300_000)
    assert time.monotonic() - started < 30, "refusing a long question must not take long"


def test_cli_questions(fresh_index_path):
    index = ["--index", str(fresh_index_path)]
    fails(run_rag("ask", "", *index), 2, "question is empty")
    huge = "Why did the King " + "really " * 45_000 + "meet Harry?"  # 300 KB: too long for an argument
    fails(run_rag("ask", "-", *index, input=huge, timeout=120), 2, "the limit is 2,000", "Ask a shorter question")
    assert answered(run_rag("ask", "😀🎉", *index)).strip()
    # bytes that are not UTF-8 in the arguments (a Latin-1 terminal) reach Python as lone surrogates
    out = answered(run_rag("ask", os.fsdecode(b"When did Harry last see Charles \xe9\xff?"), *index))
    assert out.strip() and "\\udc" not in out
    piped = answered(run_rag("ask", "-", *index, input=HARRY))
    assert piped == answered(run_rag("ask", HARRY, *index)), "the question can come from standard input"


# ---- files -----------------------------------------------------------------------------------------


def test_a_messy_folder_ingests_what_it_can_and_says_what_it_skipped(tmp_path, seed_index_path):
    from rag import Index

    shutil.copytree(seed_index_path, tmp_path / "index")
    index = Index.open(tmp_path / "index")
    seeds_before = versions(index)
    messy = tmp_path / "messy"
    messy.mkdir()
    (messy / "photo.txt").write_bytes(bytes(range(256)) * 40)  # binary with a text name
    (messy / "empty.txt").write_bytes(b"")
    (messy / "blank.md").write_text("\n\n   \n")
    (messy / "latin1.txt").write_bytes(
        "Le café de la Gare à Genève a rouvert lundi. Le propriétaire, François Müller, a dit: "
        "« Nous sommes très heureux de revoir nos habitués ».\n".encode("latin-1")
    )
    with open(messy / "huge.txt", "wb") as f:  # 50 MB without writing 50 MB: the size is what counts
        f.truncate(50 * 2**20)
    (messy / "page.html").write_text(
        "<html><head><title>Harbour reopens</title><style>body { color: red }</style>"
        "<script>document.write('INJECTED')</script></head><body><script>alert('INJECTED')</script>"
        "<p>The harbour in Tromsø reopened on 4 April 2023 after storm repairs.</p>"
        "<style>.x { display: none }</style><noscript>INJECTED</noscript></body></html>"
    )
    rows = [
        {"id": "ok1", "text": "The ferry to Stavanger was cancelled because of fog.", "published": "2023-02-01"},
        {"text": "A row without an id."},
        {"id": "no-text", "title": "Only a title"},
        {"id": "bad-date", "text": "Some words.", "published": "last Tuesday"},
        {"id": "impossible-date", "text": "Other words.", "published": "2023-02-30"},
        {"id": "lone\ud800", "text": "The dam at Kariba \udfff was inspected on 5 May 2022."},  # JSON escapes
        {"id": "separators", "text": "Line one\u2028line two\x85line three."},  # raw in the file below
    ]
    lines = [json.dumps(r, ensure_ascii=i != 6) for i, r in enumerate(rows)] + ["{not json", "[1, 2, 3]", ""]
    (messy / "rows.jsonl").write_text("\n".join(lines) + "\n")
    (messy / os.fsdecode(b"caf\xe9 menu.txt")).write_bytes(b"The menu of the Zurich cafe changed on 1 June 2022.")  # a Latin-1 name

    report = index.ingest([messy, tmp_path / "does-not-exist"])

    assert sorted(report.added) == ["café menu", "latin1", "lone\ufffd", "ok1", "page", "separators"]
    reasons = {s.origin.replace(str(messy) + "/", ""): s.reason for s in report.skipped}
    assert "binary" in reasons["photo.txt"]
    assert reasons["empty.txt"] == "no text" and reasons["blank.md"] == "no text"
    assert reasons["huge.txt"] == "file is 50.0 MB, over the 20 MB limit"
    assert "missing field(s): id" in reasons["rows.jsonl:2"]
    assert "missing field(s): text" in reasons["rows.jsonl:3"]
    assert "'last Tuesday' is not a date" in reasons["rows.jsonl:4"]
    assert "'2023-02-30' is not a date" in reasons["rows.jsonl:5"]
    assert "not valid JSON" in reasons["rows.jsonl:8"] and "not a JSON object" in reasons["rows.jsonl:9"]
    assert len(report.skipped) == 11
    assert reasons[str(tmp_path / "does-not-exist")] == "no such file or folder"

    text = index.article_text("latin1")
    assert "Le café de la Gare à Genève" in text and "François Müller" in text, text
    page = index.article_text("page")
    assert "Tromsø reopened on 4 April 2023" in page and "INJECTED" not in page and "color" not in page
    assert {k: v for k, v in versions(index).items() if k in seeds_before} == seeds_before, "the seeds are untouched"

    again = index.ingest([messy])
    assert index.article_text("separators") == "Line one\u2028line two\x85line three."
    assert "Kariba \ufffd was inspected" in index.article_text("lone\ufffd")
    assert (again.added, again.updated, len(again.unchanged)) == ((), (), 6), "nothing changes the second time"


def test_thousands_of_small_files_ingest_with_a_progress_bar(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(2000):
        (folder / f"note{i:04d}.txt").write_text(f"Note {i}: the council approved plan number {i}.\n")
    output = bytearray()

    def read(fd: int) -> bytes:
        data = os.read(fd, 65536)
        output.extend(data)
        return data

    status = pty.spawn([str(BIN / "rag"), "ingest", str(folder), "--index", str(tmp_path / "index")], read)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert "2000 added, 0 updated, 0 unchanged, 0 skipped" in text
    assert "embedding chunks" in text and "2000/2000" in text, "a terminal shows a progress bar"


# ---- the index ---------------------------------------------------------------------------------------


def test_index_that_is_a_file_or_corrupt_is_refused_and_left_alone(tmp_path, seed_index_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("my notes")
    fails(run_rag("ask", HARRY, "--index", str(a_file)), 1, "is a file, not a folder")
    fails(run_rag("ingest", str(SEEDS), "--index", str(a_file)), 1, "is a file, not a folder")
    assert a_file.read_text() == "my notes"

    for damage in ("garbage", "truncated"):
        index = tmp_path / damage
        shutil.copytree(seed_index_path, index)
        database = index / "chroma.sqlite3"
        if damage == "garbage":
            database.write_bytes(os.urandom(64 * 1024))
        else:
            database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
        before = database.read_bytes()
        fails(run_rag("ask", HARRY, "--index", str(index)), 1, "cannot be opened", "corrupt", f"mv {index}")
        assert database.read_bytes() == before, "a broken index is reported, not rewritten"


def test_index_built_with_another_model_is_refused(tmp_path, seed_index_path):
    import chromadb
    from chromadb.config import Settings

    index = tmp_path / "index"
    shutil.copytree(seed_index_path, index)
    client = chromadb.PersistentClient(str(index), settings=Settings(anonymized_telemetry=False))
    collection = client.get_collection("rag-chunks")
    meta = {k: v for k, v in collection.metadata.items() if not k.startswith("hnsw:")}
    collection.modify(metadata={**meta, "model": "acme/news-embedder", "dim": 768})
    client.close()

    for command in (["ask", HARRY], ["search", HARRY], ["ingest", str(SEEDS)]):
        fails(run_rag(*command, "--index", str(index)), 1, "built with the embedding model 'acme/news-embedder'",
              "--model acme/news-embedder")
    fails(run_rag("ingest", str(SEEDS), "--index", str(tmp_path / "new"), "--model", str(tmp_path / "no-model")), 2,
          "Cannot load embedding model")


# ---- configuration -----------------------------------------------------------------------------------


def test_unknown_options_and_bad_settings_are_named(tmp_path, seed_index_path):
    index = ["--index", str(seed_index_path)]
    fails(run_rag("ask", HARRY, "--bogus", "1", *index), 2, "unrecognized arguments: --bogus")
    fails(run_rag("frobnicate"), 2, "invalid choice: 'frobnicate'")
    fails(run_rag("ask", HARRY, "-k", "many", *index), 2, "invalid int value: 'many'")
    fails(run_rag("ask", HARRY, "-k", "0", *index), 2, "at least 1")
    cases = {
        "RAG_CHUNK_TOKENS": ("lots", "RAG_CHUNK_TOKENS must be a whole number, got 'lots'"),
        "RAG_CHUNK_OVERLAP": ("900", "chunk_overlap must be at least 0 and below chunk_tokens"),
        "RAG_MAX_FILE_MB": ("nan", "RAG_MAX_FILE_MB / max_file_mb must be a positive number, got nan"),
        "RAG_TIMEOUT": ("-3", "RAG_TIMEOUT / timeout_s must be a positive number, got -3.0"),
        "RAG_BATCH_SIZE": ("1e400", "RAG_BATCH_SIZE must be a whole number"),
        "RAG_CHROMA_URL": ("localhost:8000", "RAG_CHROMA_URL / --chroma-url must be an http(s) URL"),
        "RAG_LLM_URL": ("ftp://model", "RAG_LLM_URL / --llm-url must be an http(s) URL"),
    }
    for variable, (value, message) in cases.items():
        fails(run_rag("info", *index, env={variable: value}), 2, message)


def test_closing_an_index_gives_back_its_open_files_and_it_opens_them_again(tmp_path):
    """A program that opens many indexes (one per user, one per test) must not run out of file
    descriptors: `close()`, or leaving a `with` block, gives them back; the index still answers."""
    from rag import Index

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    corpus = tmp_path / "note.txt"
    corpus.write_text("The council approved the Harbour Quay plan on Tuesday.\n")
    with Index.open(tmp_path / "first") as index:
        index.ingest([corpus])
    before = open_files()
    for name in ("second", "third", "fourth"):
        with Index.open(tmp_path / name) as index:
            index.ingest([corpus])
    assert open_files() <= before + 2
    index = Index.open(tmp_path / "first")
    assert "Harbour Quay" in index.search("Harbour Quay plan", k=1)[0].text
    index.close()
    assert "Harbour Quay" in index.search("Harbour Quay plan", k=1)[0].text
