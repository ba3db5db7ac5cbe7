"""Property tests: the loaders on arbitrary bytes, what they produce through the chunker, and
question handling on arbitrary text. Whatever comes in, the result is an article, a skip with a
reason, an answer or a clear QuestionError; never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.corpus import SUPPORTED, Article, Skipped, load, load_file, parse_jsonl
from test_chunking import check_chunks

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes that look like the real thing often enough to get past the first check: text in several
# encodings, markup, JSON, with random bytes spliced in.
_TEXT = st.text(st.characters(codec="utf-8"), max_size=400)
_UTF8 = _TEXT.map(lambda t: t.encode("utf-8"))
_PIECES = st.one_of(  # mostly text, so that most files get past the binary check
    _UTF8, _UTF8, _UTF8,
    _TEXT.map(lambda t: t.encode("latin-1", "replace")),
    st.binary(max_size=20),
    st.sampled_from([b"<html><body><p>", b"</p><script>x()</script>", b"<style>a{}</style>", b"date 2021-02-03\n",
                     b'{"id": "a", "text": "b"}\n', b"\n", b"\xef\xbb\xbf", b"\xff\xfe", b"&#xD800;", b"\\ud800"]),
)
_BYTES = st.lists(_PIECES, max_size=8).map(b"".join)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
_ROWS = st.lists(
    st.fixed_dictionaries({}, optional={"id": _JSON, "text": _JSON | _TEXT, "title": _JSON, "source": _JSON,
                                        "published": _JSON | st.dates().map(str), "url": _JSON}),
    max_size=6,
)


def check_item(item) -> None:
    assert isinstance(item, (Article, Skipped))
    if isinstance(item, Skipped):
        assert item.reason.strip()
        item.reason.encode("utf-8")
        return
    assert item.id.strip() and item.text.strip()
    for value in (item.id, item.text, item.title, item.source, item.url, item.origin):
        value.encode("utf-8")  # valid Unicode: Chroma, the encoders and print all need it
    assert "\x00" not in item.text
    assert len(item.version) == 16


@SETTINGS
@given(data=_BYTES, suffix=st.sampled_from(sorted(SUPPORTED)))
@example(data=b"\x00" * 10, suffix=".txt")
@example(data=b'{"id": "x\\ud800", "text": "lone \\udfff surrogates"}\n', suffix=".jsonl")
@example(data="café résumé naïve".encode("latin-1"), suffix=".md")
def test_any_bytes_load_as_articles_or_skips_and_chunk_exactly(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"doc{suffix}"
        path.write_bytes(data)
        items = list(load_file(path))
        assert items, "every file yields something: its articles or the reason it was skipped"
        for item in items:
            check_item(item)
            if isinstance(item, Article):
                check_chunks(item, 40, 10)


@SETTINGS
@given(rows=_ROWS, ascii_only=st.booleans())
@example(rows=[{"id": "a", "text": "One\u2028two\x85three \u2029four"}], ascii_only=False)
@example(rows=[{"text": "\x00", "id": True}], ascii_only=False)  # JSON escapes a NUL as \u0000: no text left
def test_every_jsonl_line_is_one_article_or_one_reason(rows, ascii_only):
    lines = [json.dumps(row, ensure_ascii=ascii_only) for row in rows]
    items = list(parse_jsonl("\n".join(lines).encode(), "rows.jsonl"))
    for item in items:
        check_item(item)
    expected = [f"rows.jsonl:{n}" for n in range(1, len(lines) + 1)] or ["rows.jsonl"]  # an empty file: one reason
    assert [item.origin for item in items] == expected


@SETTINGS
@given(sidecar=_BYTES, names=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="/\\\x00"), min_size=1, max_size=20), max_size=4))
def test_any_sidecar_and_file_names_never_break_a_folder(sidecar, names):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "metadata.toml").write_bytes(sidecar)
        for i, name in enumerate(names):
            if name in (".", "..") or len(name.encode()) > 200:
                continue
            (root / f"{name}{i}.txt").write_text(f"The story number {i} about the harbour.", encoding="utf-8")
        for item in load([root]):
            check_item(item)


_QUESTIONS = st.text(max_size=300) | st.text(st.characters(categories=["So", "Cs", "Cc", "Zs", "Mn"]), max_size=40)
_HISTORY = st.lists(
    st.one_of(
        st.text(max_size=60),
        st.tuples(st.text(max_size=40), st.text(max_size=40)),
        st.fixed_dictionaries({"question": st.text(max_size=40), "answer": st.text(max_size=40)}),
        st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system"]), "content": _JSON}),
        st.none(), st.integers(),
    ),
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=_QUESTIONS, history=_HISTORY)
@example(question="x" * 2001, history=[])
@example(question="\ud800\udfff 😀", history=[("When did Harry last see Charles?", "In February 2024.")])
def test_any_question_gets_an_answer_or_a_clear_refusal(seed_index, question, history):
    from rag.errors import QuestionError

    try:
        checked = seed_index.check_question(question)
    except QuestionError as err:
        assert "empty" in str(err) or "limit is" in str(err)
        return
    assert checked == checked.strip() and 0 < len(checked) <= seed_index.settings.max_question_chars
    checked.encode("utf-8")
    answer = seed_index.ask(question, history=history)
    assert answer.text.strip()
    for citation in answer.citations:
        assert citation.text and citation.passage.text[citation.start - citation.passage.start:][: len(citation.text)] == citation.text
