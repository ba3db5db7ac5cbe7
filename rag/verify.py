"""Checks that every sentence of a generated answer is said by the passage it cites.

A language model can cite `[3]` when only two passages were given, cite the right passage for a
claim it made up, or change a date while copying. Nothing it writes reaches the user unchecked:

* each sentence is split off the generated text and its `[n]` markers parsed; a number that
  names no given passage is dropped, and a sentence left with no valid citation is removed;
* each cited passage is searched for the span that best supports the sentence: one of its
  sentences, or two adjacent ones (a model often fuses two into one). Support is
  `LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * cosine`, where lexical is the share of the
  sentence's stemmed content words found in the span (recall: what the model claims must be in
  the source, the source may say more; words found only elsewhere in the passage count half) and
  cosine that of the two embeddings;
* every year and number in the sentence must occur in the cited passage (or its publication
  date): a wrong date is the typical confident error, and embeddings barely see it;
* a sentence passes when its best span scores at least `SUPPORTED_AT`, chosen on hand-labelled
  claims, faithful and subtly wrong, with `eval/llm_verify.py --calibrate` (README "Optional
  generative answers"). Overlap cannot see a negation ("attended" for "was not in
  attendance"): the check catches invented, misdated and mis-cited sentences, not every
  contradiction.

A passing sentence is cited to its exact span, as in the extractive answer. Citations are then
numbered by first appearance, one number per span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .answer import Citation
from .chunking import sentence_spans
from .dates import resolve
from .lexical import tokenize
from .retrieval import Passage

#: The most accurate threshold on eval/llm_support_labels.jsonl (precision 0.83, recall 0.77 at
#: 0.7; at 0.6: 0.67 / 0.77): `eval/llm_verify.py --calibrate`.
SUPPORTED_AT = 0.7
LEXICAL_WEIGHT = 0.5
#: A word of the sentence found elsewhere in the passage (or its title) counts this much: news
#: sentences name their subject once ("the family members ... since February 2024").
CONTEXT_CREDIT = 0.5

FIGURE_MISSING = "a year or number is not in the cited passage"

Embed = Callable[[list[str]], np.ndarray]

MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_ONLY_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern}\s*[.,;:]?)+\s*$")
_LEADING_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern})+")
_FIGURE = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


@dataclass(frozen=True)
class Claim:
    """One sentence of generated text: its words without markers, and the numbers it cites."""

    raw: str
    text: str
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Check:
    """The verdict on one generated sentence."""

    claim: Claim
    citations: tuple[tuple[int, int, int], ...]  # (passage number, start, end) of supporting spans
    invalid: tuple[int, ...]  # cited numbers that name no given passage
    score: float  # best support over the cited passages (0 when none could be checked)
    lexical: float
    cosine: float
    reason: str  # "" when passed, else why not
    best: tuple[int, int, int] | None = None  # the best span checked, passed or not

    @property
    def passed(self) -> bool:
        return not self.reason

    def to_dict(self) -> dict:
        return {
            "sentence": self.claim.text, "cited": list(self.claim.cited), "invalid": list(self.invalid),
            "passed": self.passed, "reason": self.reason, "score": round(self.score, 3),
            "lexical": round(self.lexical, 3), "cosine": round(self.cosine, 3),
            "spans": [list(c) for c in self.citations], "best": list(self.best) if self.best else None,
        }


def split_claims(text: str) -> list[Claim]:
    """Sentences of `text` with their markers; markers the splitter cut off join the sentence before."""
    pieces: list[str] = []
    for start, end in sentence_spans(text):
        piece = text[start:end]
        lead = _LEADING_MARKERS.match(piece)
        if pieces and lead:
            pieces[-1] += " " + lead.group().strip()
            piece = piece[lead.end():].strip()
        if pieces and _ONLY_MARKERS.match(piece):
            pieces[-1] += " " + piece.strip()
            continue
        if piece.strip():
            pieces.append(piece.strip())
    return [_claim(p) for p in pieces]


def _claim(raw: str) -> Claim:
    numbers: list[int] = []
    for match in MARKER.finditer(raw):
        for n in re.split(r"[,;]", match.group(1)):
            if int(n) not in numbers:
                numbers.append(int(n))
    words = " ".join(MARKER.sub(" ", raw).split())
    words = re.sub(r"\s+([.,;:!?])", r"\1", words)
    return Claim(raw, words, tuple(numbers))


class Verifier:
    """Verifies the sentences of one answer against the passages its prompt gave (numbered from 1).

    Passage sentence embeddings are computed once per passage and reused across sentences."""

    def __init__(self, passages: Sequence[Passage], embed: Embed, threshold: float = SUPPORTED_AT):
        self.passages = list(passages)
        self.embed = embed
        self.threshold = threshold
        self._spans: dict[int, tuple[list[tuple[int, int]], np.ndarray, list[set[str]], set[str]]] = {}

    def check(self, claim: Claim) -> Check:
        valid = [n for n in claim.cited if 1 <= n <= len(self.passages)]
        invalid = tuple(n for n in claim.cited if n not in valid)
        if not claim.cited:
            return Check(claim, (), invalid, 0.0, 0.0, 0.0, "no citation")
        if not valid:
            return Check(claim, (), invalid, 0.0, 0.0, 0.0, "cites a passage that was not given")
        tokens = set(tokenize(claim.text))
        if not tokens:
            return Check(claim, (), invalid, 0.0, 0.0, 0.0, "no content to check")
        vector = self.embed([claim.text])[0]
        supported: list[tuple[int, int, int]] = []
        best = (0.0, 0.0, 0.0)
        where = None
        wrong_figure = False
        for n in valid:
            score, lexical, cosine, span = self._best_span(n, tokens, vector)
            if score > best[0]:
                best, where = (score, lexical, cosine), (n, *span)
            if not _figures_hold(claim.text, self.passages[n - 1]):
                wrong_figure = True
                continue
            if score >= self.threshold:
                supported.append((n, *span))
        if supported:
            return Check(claim, tuple(supported), invalid, *best, "", where)
        reason = FIGURE_MISSING if wrong_figure else "not supported by the cited passage"
        return Check(claim, (), invalid, *best, reason, where)

    def _best_span(self, n: int, tokens: set[str], vector: np.ndarray) -> tuple[float, float, float, tuple[int, int]]:
        """The best-scoring span; a single sentence that passes beats a passing pair (cite the least)."""
        spans, vectors, span_tokens, context = self._passage_spans(n)
        singles = len(self.passages[n - 1].sentences) or 1
        in_context = tokens & context
        scored = []
        for i, (span, cosine, words) in enumerate(zip(spans, vectors @ vector, span_tokens)):
            lexical = (len(tokens & words) + CONTEXT_CREDIT * len(in_context - words)) / len(tokens)
            score = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * max(0.0, float(cosine))
            scored.append((score >= self.threshold, i < singles, score, lexical, float(cosine), span))
        best = max(scored, key=lambda s: s[:3])
        return best[2], best[3], best[4], best[5]

    def _passage_spans(self, n: int):
        if n not in self._spans:
            p = self.passages[n - 1]
            single = list(p.sentences) or [(p.start, p.end)]
            spans = single + [(a[0], b[1]) for a, b in zip(single, single[1:])]
            texts = [p.text[a - p.start : b - p.start] for a, b in spans]
            context = set(tokenize(f"{p.title} {p.text}"))
            self._spans[n] = (spans, self.embed(texts), [set(tokenize(t)) for t in texts], context)
        return self._spans[n]


def _figures_hold(sentence: str, passage: Passage) -> bool:
    """Every figure of `sentence` is in the passage, its title, its date, or a relative date of
    it resolved ("last year" in a 2021 article is 2020)."""
    resolved = " ".join(label for _, _, label in resolve(passage.text, passage.published_date))
    haystack = f"{passage.text} {passage.title} {passage.published} {resolved}"
    known = {f.replace(",", "") for f in _FIGURE.findall(haystack)}
    return all(f.replace(",", "").rstrip(".") in known for f in _FIGURE.findall(sentence))


def assemble(
    checks: Sequence[Check], passages: Sequence[Passage], numbering: dict[tuple[int, int, int], int] | None = None
) -> tuple[str, list[Citation]]:
    """The passing sentences, their markers renumbered to one citation per exact span.

    `numbering` carries span numbers across calls so a streamed answer numbers as the whole would."""
    numbering = {} if numbering is None else numbering
    parts: list[str] = []
    citations: list[Citation] = []
    for check in checks:
        if not check.passed:
            continue
        marks = []
        for key in check.citations:
            if key not in numbering:
                numbering[key] = len(numbering) + 1
                citations.append(Citation(numbering[key], passages[key[0] - 1], key[1], key[2]))
            if numbering[key] not in marks:
                marks.append(numbering[key])
        body = check.claim.text
        tail = ""
        if body[-1:] in ".!?":
            body, tail = body[:-1], body[-1]
        parts.append(f"{body} {''.join(f'[{m}]' for m in marks)}{tail}")
    return " ".join(parts), citations
