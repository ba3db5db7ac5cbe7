"""Relative dates in an article, resolved against the article's publication date.

"In April" in a piece published on 2021-12-03 means April 2021; "next year" there means 2022.
The answerer shows the resolved date beside the quote so a reader of a 2025 chat is not misled
by a 2021 "this year".
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from .question import SEASON_ENDS, YEAR_RE

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]
_MONTH_INDEX = {name.lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}
_MONTH_INDEX.update({name[:3].lower(): i + 1 for i, name in enumerate(MONTH_NAMES)})
_MONTH_INDEX["sept"] = 9

# A month named without a year ("in April", "on September 8"): not followed by a year.
_BARE_MONTH = re.compile(
    r"\b(?:(?P<first>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)?"  # "14 February", as well as "February 14"
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?P<day>\s+\d{1,2}(?:st|nd|rd|th)?)?\b(?!,?\s+(?:of\s+)?\d{4})(?!\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})(?!\s*-)"
)
_RELATIVE = re.compile(
    r"\b(?P<expr>earlier this year|later this year|this year|last year|next year|this month|last month|next month|"
    r"this summer|this spring|this autumn|this fall|this winter)\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"\b(?:will|['’]ll|going to|expect(?:s|ed|ing)?|set to|(?:is|are) to|due|plans?|planned|next|upcoming|coming|scheduled|ahead of"
    r"|head(?:s|ed|ing)? (?:to|for|across|over|back)|in (?:a|an|\w+) (?:days?|weeks?|months?))\b",
    re.IGNORECASE,
)
# "on Tuesday": the Tuesday of the week the article was filed, unless a date follows ("Tuesday,
# January 17") or it is part of a schedule ("open Tuesday to Sunday")
_WEEKDAY = re.compile(
    r"(?<!\bto )(?<!\bthrough )(?<![-–])\b(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"(?!,?\s+(?:the\s+)?(?:\d|January|February|March|April|May|June|July|August|September|October|November|December))"
    r"(?!\s*(?:to|through|until|till|-|–)\s*(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))"
)
_AHEAD = re.compile(r"\b(?:until|till|by|before|from|next|this coming)\s+$", re.IGNORECASE)
_TOLD = re.compile(r"\b(?:was|were|had|did|(?!expected|planned|scheduled|slated|supposed|proposed)\w{3,}ed)\b", re.IGNORECASE)
_TO_COME = re.compile(r"\b(?:will|would|shall|to|be|['’]ll)\b", re.IGNORECASE)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MAY_AS_VERB = re.compile(r"\bMay\s+(?:be|have|not|well|also|still|never|soon|only|even|yet|just)\b")


def human(day: date | None) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1][:3]} {day.year}" if day else "undated"


def resolve(sentence: str, published: date | None) -> list[tuple[int, int, str]]:
    """(start, end, resolved) for each relative date expression in `sentence`."""
    if published is None:
        return []
    found: list[tuple[int, int, str]] = []
    for match in _BARE_MONTH.finditer(sentence):
        if match.group("month") == "May" and _MAY_AS_VERB.match(sentence, match.start()):
            continue
        month = _MONTH_INDEX[match.group("month").lower()]
        # News mostly reports the past; a month after the publication month is taken as last
        # year's, unless the sentence speaks of the future.
        # "…which it said would go on sale on May 18": a "would" in the date's own clause looks ahead
        # (not "had said it would open in April", a plan since passed)
        clause = re.split(r"[,;]", sentence[: match.start()])[-1]
        future = _FUTURE.search(sentence) or (re.search(r"\bwould\b", clause) and not re.search(r"\bhad\b", clause))
        year = published.year
        if month > published.month and not future:
            year -= 1
        elif month < published.month and future:
            year += 1
        day = (match.group("first") or match.group("day") or "").strip()
        label = f"{day.rstrip('stndrh')} {MONTH_NAMES[month - 1]} {year}".strip() if day else f"{MONTH_NAMES[month - 1]} {year}"
        found.append((match.start(), match.end(), label))
    for match in _WEEKDAY.finditer(sentence):
        # news tells of the past: the latest such day on or before the report, unless the
        # sentence speaks of the future or the day is one to come ("until Monday", "next Monday")
        shift = (published.weekday() - _WEEKDAYS.index(match.group("weekday").lower())) % 7
        before = re.split(r"[,;]", sentence[: match.start()])[-1]  # its clause
        # "was unveiled on Tuesday, but services will not begin until…": its own verb says past
        told = _TOLD.search(before) and not _TO_COME.search(before)
        ahead = (_FUTURE.search(sentence) and not told) or _AHEAD.search(sentence[: match.start()])
        day = published - timedelta(days=shift) if not ahead or not shift else published + timedelta(days=7 - shift)
        found.append((match.start(), match.end(), f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"))
    for match in _RELATIVE.finditer(sentence):
        expr = match.group("expr").lower()
        year = published.year + (-1 if expr.startswith("last year") else 1 if expr.startswith("next year") else 0)
        if expr.endswith("month"):
            offset = {"this": 0, "last": -1, "next": 1}[expr.split()[0]]
            index = published.month - 1 + offset
            label = f"{MONTH_NAMES[index % 12]} {published.year + index // 12}"
        elif expr.split()[-1] in ("summer", "spring", "autumn", "fall", "winter"):
            label = f"{expr.split()[-1]} {year}"
        else:
            label = str(year)
        found.append((match.start(), match.end(), label))
    return sorted(found)


_POSSESSIVE = re.compile(r"(?:['’]s\b)?")


@lru_cache(maxsize=16_384)
def annotate(sentence: str, published: date | None) -> str:
    """The sentence with each relative date followed by its resolution in brackets. Cached: the
    answerer reads the same candidate sentences for question after question on a topic."""
    out, last = [], 0
    for start, end, label in resolve(sentence, published):
        if label.lower() in sentence[start:end].lower():
            continue
        end += len(_POSSESSIVE.match(sentence, end).group())  # "Tuesday's [1 October 2024] rush hour"
        out.append(sentence[last:end] + f" [{label}]")
        last = end
    return "".join(out) + sentence[last:]


_PARTS = re.compile(
    r"\b(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?P<month>January|February|March|April|May|June|July|August|"
    r"September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
    r"(?:\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b)?(?:,?\s+(?:of\s+)?(?P<year>\d{4}))?",
    re.IGNORECASE,
)


_LAST_SEASON = re.compile(r"\blast (summer|spring|autumn|fall)\b", re.IGNORECASE)


def seasons_past(sentence: str, published: date | None) -> set[str]:
    """The years of the seasons the sentence calls "last": "last summer" in a June 2024 report
    is summer 2023. Used to tell which year a sentence is about, not as an answer: a season is
    no date."""
    if published is None:
        return set()
    return {str(published.year - (published.month <= SEASON_ENDS[m.group(1).lower()])) for m in _LAST_SEASON.finditer(sentence)}


def date_parts(expression: str) -> tuple[int | None, int | None, int | None]:
    """(month, day, year) of the first date `expression` names, None for each part it leaves out."""
    match = _PARTS.search(expression)
    if not match:
        year = YEAR_RE.search(expression)
        return None, None, int(year.group()) if year else None
    day = match.group("d1") or match.group("d2")
    return (
        _MONTH_INDEX[match.group("month").lower()[:3]],
        int(day) if day else None,
        int(match.group("year")) if match.group("year") else None,
    )


def side(expression: str, published: date) -> int:
    """-1 when the date `expression` names is before `published`, 1 when after, 0 when it is
    the same day, month or year (as precisely as it says) or names no year."""
    month, day, year = date_parts(expression)
    if year is None:
        return 0
    said = (year, month, day)
    then = (published.year, published.month, published.day)[: 1 + (month is not None) + (month is not None and day is not None)]
    said = said[: len(then)]
    return (said > then) - (said < then)


def spelled_out(expression: str) -> str | None:
    """"21st July 2017", "Jul. 21, 2017" or "July 21 of 2017" as "July 21, 2017" (and "June
    2020" for a month and year), so answers read alike whatever each source wrote; None when
    the expression names no month and year."""
    month, day, year = date_parts(expression)
    if month is None or year is None:
        return None
    return f"{MONTH_NAMES[month - 1]} {day}, {year}" if day else f"{MONTH_NAMES[month - 1]} {year}"
