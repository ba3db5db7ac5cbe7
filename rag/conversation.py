"""Follow-up questions made standalone, so retrieval and answering see the whole question.

Without an LLM we rewrite with two rules, applied to the latest earlier question:

* Ellipsis ("And William?", "What about 2019?", "and his brother?"): the fragment replaces its
  counterpart in the earlier question: the last name, the year, or the phrase with the same
  possessive or article ("his father" for "his brother"): "When did Harry last see Charles?" +
  "And William?" → "When did Harry last see William?".
* Anything else that leans on the earlier turn (a pronoun such as it/they/he/that, or a question
  with no name of its own): the earlier question's names and the earlier answer's, then the
  earlier question's key words and years, are added in brackets as context: "Where is it being
  held? (Harry, London, September, WellChild Awards; event attend)". A year that names the event
  stays with its name ("2021 Golden Pixel Awards"): the answerer takes it as asked. The context
  finds the passages; the answerer weighs the question's own words more (`question.own_words`,
  answer.BORROWED), so "where did they meet? (… summit …)" is answered by where they met, not by
  the summit. When the earlier question asked for a name and the follow-up points once at a
  person or body ("Which company tried to buy Fenwright?" "Sarrick." "Where is it based?"), the
  pointer is the answer's name, and the earlier question's names are left out of the context.

A question that stands on its own is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .lexical import function_words, tokenize
from .question import NAME_RE, QUARTER, YEAR_RE, Kind, analyse, unpossessed

Turn = dict[str, str]

_ELLIPSIS = re.compile(r"^\s*(?:and|but|what about|how about|and what about|what of)\b\s*(?P<rest>.*?)[?.!]*\s*$", re.I)
_LEANS_BACK = re.compile(
    r"\b(?:it|its|they|them|their|theirs|he|him|his|she|her|hers|that|this|those|these|there|then|the same|"
    r"the couple|the pair|the event|the meeting|the book|the interview)\b",
    re.I,
)


def normalise_history(history: Iterable[Any] | None) -> list[Turn]:
    """Accept turns as {"question","answer"} dicts, (question, answer) pairs, plain strings, or
    chat messages ({"role", "content"}) as Gradio sends them."""
    turns: list[Turn] = []
    pending: Turn | None = None
    for item in history or ():
        if isinstance(item, dict) and "role" in item:
            content = item.get("content")
            text = content if isinstance(content, str) else ""
            if item["role"] == "user":
                pending = {"question": text, "answer": ""}
                turns.append(pending)
            elif item["role"] == "assistant" and pending is not None and not pending["answer"]:
                pending["answer"] = text
        elif isinstance(item, dict):
            turns.append({"question": str(item.get("question", "")), "answer": str(item.get("answer", ""))})
        elif isinstance(item, (list, tuple)) and item:
            turns.append({"question": str(item[0] or ""), "answer": str(item[1] or "") if len(item) > 1 else ""})
        elif isinstance(item, str):
            turns.append({"question": item, "answer": ""})
    return [t for t in turns if t["question"].strip()]


def standalone(question: str, history: Sequence[Any] = ()) -> str:
    turns = normalise_history(history)
    if not turns:
        return question
    previous = turns[-1]["question"]
    shift = year_shift(question)
    ellipsis = _ELLIPSIS.match(question)
    if shift and YEAR_RE.search(previous):
        # "And the year before?" after "Who won the cup in 2023?": the same question, for 2022
        previous = YEAR_RE.sub(lambda m: str(int(m.group()) + shift), previous)
        if ellipsis and len(_YEARS_AWAY.sub("", ellipsis.group("rest")).split()) <= 4:
            return previous
    if ellipsis and len(ellipsis.group("rest").split()) <= 4:
        return _substitute(previous, ellipsis.group("rest").strip(" ,"))
    current = analyse(question)
    leans_back = _LEANS_BACK.search(question) or shift
    if current.names and not leans_back:
        return question
    # "How many people turned up?" says only what it asks: the words "how many" are no topic
    if len([t for t in current.terms if t not in _ASKING and t not in function_words()]) >= 4 and not leans_back:
        return question
    return f"{question} ({_context(previous, turns[-1]['answer'], question)})"


_ASKING = frozenset(tokenize("many much"))
_NUMBER = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_YEARS_AWAY = re.compile(
    r"\b(?P<n>a|one|two|three|four|five|\d)\s+years?\s+(?P<way>later|after|on|earlier|before|previously|prior)\b"
    r"|\bthe\s+(?P<next>following|next|previous|prior|preceding)\s+year\b|\bthe\s+year\s+(?P<side>before|after)\b",
    re.I,
)


def year_shift(question: str) -> int:
    """How many years a follow-up moves from the earlier question: "a year later" is +1, "the
    year before" -1, "two years earlier" -2; 0 when it says no such thing."""
    match = _YEARS_AWAY.search(question)
    if not match:
        return 0
    if match.group("n"):
        n = int(match.group("n")) if match.group("n").isdigit() else _NUMBER[match.group("n").lower()]
        return n if match.group("way").lower() in ("later", "after", "on") else -n
    return 1 if (match.group("next") or match.group("side")).lower() in ("following", "next", "after") else -1


def _substitute(previous: str, fragment: str) -> str:
    """Put `fragment` where its counterpart stood in `previous`."""
    if YEAR_RE.fullmatch(fragment) or (fragment.lower().startswith("in ") and YEAR_RE.search(fragment)):
        year = YEAR_RE.search(fragment).group()
        if YEAR_RE.search(previous):
            return YEAR_RE.sub(year, previous, count=1) if len(YEAR_RE.findall(previous)) == 1 else f"{previous} {year}"
        return f"{previous.rstrip('?')} in {year}?"
    if _QUARTER.fullmatch(fragment) and _QUARTER.search(previous):
        # "What about the second quarter?" after "… for Q1 2023?": the same question, for Q2
        return _QUARTER.sub(fragment, previous, count=1)
    names = [m for m in NAME_RE.finditer(previous) if m.start() > 0]
    if names and fragment[:1].isupper():
        last = names[-1]
        return previous[: last.start()] + fragment + previous[last.end():]
    determiner = _DETERMINED.match(fragment)
    if determiner:  # "and his brother?" after "…see his father…": the phrase with the same "his"
        same = list(re.finditer(rf"\b{determiner.group(1)}\s+[\w'-]+", previous, re.I))
        if same:
            last = same[-1]
            return previous[: last.start()] + fragment + previous[last.end():]
    return f"{previous.rstrip('?')} {fragment}?"


_QUARTER = re.compile(rf"\b(?:the\s+)?(?:(?:last|final)[\s-](?:quarter|half)\b|{QUARTER})", re.I)
_DETERMINED = re.compile(r"(his|her|their|its|my|our|your|the)\s+[\w'-]+$", re.I)


def _context(previous: str, answer: str, question: str) -> str:
    """The earlier turn's names as written, comma-separated so that they stay apart when the
    question is analysed again, then its key words and years: "Meredith Maines, Tobyn Andreae;
    took part secret peace summit"."""
    skip = _STOP | _STARTERS
    names = [
        _dated(name, match, text) for text in (previous, answer) for match in NAME_RE.finditer(text)
        if (name := " ".join(w for w in match.group().split() if unpossessed(w.lower()) not in skip).strip(" .,;:?!"))
    ]
    words = [w for w in re.findall(r"[A-Za-z][\w'-]+", previous) if unpossessed(w.lower()) not in _STOP and len(w) > 2]
    if _points_at_answer(previous, answer, question):
        # "Which company tried to buy Fenwright?" "Sarrick." "Where is it based?": it is Sarrick
        asked = {w.lower() for m in NAME_RE.finditer(previous) for w in m.group().split()}
        names = [n for n in names if not {w.lower() for w in n.split()} <= asked]
        words = [w for w in words if w.lower() not in asked]
    words += YEAR_RE.findall(previous)  # "As of late 2021, …?" then "And after that?": still 2021
    seen = {w.lower() for w in question.split()}
    kept_names: list[str] = []
    kept_words: list[str] = []
    for word, kept in [(n, kept_names) for n in names] + [(w, kept_words) for w in words]:
        if word.lower() not in seen and len(kept_names) + len(kept_words) < 10:
            seen.add(word.lower())
            seen.update(word.lower().split())  # "Harry" is not repeated after "Prince Harry"
            kept.append(word)
    return "; ".join(part for part in (", ".join(kept_names), " ".join(kept_words)) if part)


def _points_at_answer(previous: str, answer: str, question: str) -> bool:
    """The follow-up's one pointer ("it", "she", "that company") is the name the earlier turn
    asked for and its answer gave, not a name the earlier question said."""
    return (len(_LEANS_BACK.findall(question)) == 1 and _ONE_NAMED.search(question) is not None
            and NAME_RE.search(answer) is not None and analyse(previous).kind is Kind.PERSON)


#: a pointer at one named person or body; not "her company" (hers, maybe the one asked about) or "that year"
_ONE_NAMED = re.compile(
    r"\b(?:it|he|him|she|(?:that|this) (?:company|firm|group|business|organi[sz]ation|team|club|band|man|woman|person|player))\b"
    r"|\bher\b(?!\s+(?!(?:as|to|for|in|on|at|with|from|by|and|or|after|before|over|up|down|out|off|last|first)\b)[a-z])",
    re.I,
)


def _dated(name: str, match: re.Match, text: str) -> str:
    """The name with the year that says which one it is: the "2021 Golden Pixel Awards" are not
    those of 2022, so "Where was it held?" asks about 2021 (a year the event happened "in" is
    only context)."""
    year = _YEAR_BEFORE.search(text, 0, match.start())
    return f"{year.group(1)} {name}" if year else name


_YEAR_BEFORE = re.compile(r"\b((?:1[89]|20)\d\d)\s+$")
_STARTERS = {"the", "he", "she", "it", "yes", "no", "reportedly", "according", "a", "an", "in", "on", "at", "as", "of", "if", "so", "but"}
_STOP = {
    "what", "when", "where", "who", "whom", "whose", "which", "why", "how", "did", "does", "the", "and",
    "was", "were", "are", "is", "will", "would", "could", "about", "with", "for", "his", "her", "their",
    "they", "them", "that", "this", "has", "have", "had", "been", "going", "say", "said",
}
