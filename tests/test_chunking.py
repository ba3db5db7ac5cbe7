"""Chunks: token-bounded, sentence-aligned, overlapping, and with exact offsets into the article."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import SEEDS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_article, count_tokens, sentence_spans
from rag.corpus import Article, load

SENTENCE = "Prince Harry is expected in London on September 8 for the WellChild Awards, a source said."


def seed_articles() -> list[Article]:
    return [a for a in load([SEEDS]) if isinstance(a, Article)]


def check_chunks(article: Article, max_tokens: int, overlap: int):
    """The invariants every chunking must keep; returns the chunks for further checks."""
    text = article.text
    chunks = chunk_article(article, max_tokens, overlap)
    covered = bytearray(len(text))
    for seq, chunk in enumerate(chunks):
        assert chunk.seq == seq and chunk.doc_id == article.id
        assert text[chunk.start:chunk.end] == chunk.text
        assert chunk.text.strip(), "no empty or whitespace-only chunk"
        assert count_tokens(chunk.text) <= max_tokens
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
        covered[chunk.start:chunk.end] = b"\x01" * (chunk.end - chunk.start)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, f"text left out of every chunk: {text[lost[0]:lost[0] + 40]!r}"
    for before, after in zip(chunks, chunks[1:]):
        assert after.start > before.start and after.end > before.end, "every chunk brings new text"
    return chunks


def test_seed_chunks_are_bounded_sentence_aligned_and_overlap():
    for article in seed_articles():
        chunks = check_chunks(article, 200, 40)
        assert len(chunks) >= 3, "each seed article is longer than one chunk"
        starts = {a for a, _ in sentence_spans(article.text)}
        ends = {b for _, b in sentence_spans(article.text)}
        for chunk in chunks:
            assert chunk.start in starts and chunk.end in ends, "chunks start and end on sentence boundaries"
        for before, after in zip(chunks, chunks[1:]):
            last_start, last_end = before.sentences[-1]
            if count_tokens(article.text[last_start:last_end]) + 1 <= 40:
                assert after.start <= last_start, "a short closing sentence is repeated in the next chunk"
            if after.start < before.end:
                assert count_tokens(article.text[after.start:before.end]) <= 40 + 2, "overlap stays within its budget"
        overlapping = sum(after.start < before.end for before, after in zip(chunks, chunks[1:]))
        assert overlapping >= (len(chunks) - 1) / 2


def test_a_sentence_longer_than_a_chunk_is_cut_within_the_limit():
    words = " ".join(f"word{i}" for i in range(600))  # one "sentence" far over the limit, no punctuation
    article = Article("long", f"{SENTENCE} {words}. {SENTENCE}")
    chunks = check_chunks(article, 64, 16)
    assert len(chunks) >= count_tokens(words) // 64


def test_chunk_size_and_overlap_are_settings():
    article = Article("a", " ".join([SENTENCE] * 60))
    small = check_chunks(article, 50, 0)
    large = check_chunks(article, 400, 80)
    assert len(small) > 2 * len(large)
    for before, after in zip(small, small[1:]):
        assert after.start > before.end - 1, "no overlap when overlap is 0"


def test_tokenizer_works_offline(tmp_path):
    """tiktoken's cl100k would download its vocabulary; the offline package must not."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from rag.chunking import count_tokens\n"
        "print(count_tokens('Hello, world!'))\n"
    )
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"), "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"


_WORDS = st.sampled_from(
    ["Harry", "the", "King", "said", "Mr.", "Dr.", "U.S.", "2024", "“quoted”", "(aside)", "'", '"', "...", "—",
     "e.g.", "café", "日本語", "🙂", "a", "b.", "?!", "Sept.", "No.", "3.5", "\t"]
)
_SENTENCES = st.lists(_WORDS, min_size=1, max_size=30).map(" ".join)
_GLUE = st.sampled_from([". ", "! ", "? ", "\n", "\n\n", " ", "", '." ', " \n "])
_TEXTS = st.lists(st.tuples(_SENTENCES, _GLUE), min_size=1, max_size=40).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS | st.text(min_size=1, max_size=1500), sizes=st.sampled_from([(16, 0), (16, 8), (40, 10), (200, 40)]))
# found by this test in CI: semchunk cut at " café…" (16 tokens), and "café…" without its space is 17
@example(text='" \t café Harry Harry U.S. U.S. Harry. b. " the. ', sizes=(16, 0))
def test_offsets_always_match_the_article_text(text, sizes):
    text = text.strip()
    if text:
        check_chunks(Article("x", text), *sizes)


def test_the_sentences_of_a_quotation_are_sentences():
    """pysbd keeps a quotation whole; an answer should quote the one sentence of it that answers."""
    text = 'The source urged: "After 20 months apart, the time is right. This is not about grand gestures. Mr. Smith agreed." Then it rained.'
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    assert pieces == [
        'The source urged: "After 20 months apart, the time is right.',
        "This is not about grand gestures.",
        'Mr. Smith agreed."',
        "Then it rained.",
    ]
