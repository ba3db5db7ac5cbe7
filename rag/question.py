"""What a question asks for: its answer type, the terms an answer must match, its time sense.

Dense and BM25 scores ignore the small words that decide news questions: a year ("Wimbledon
2019" vs 2018), a quarter, an ordinal, a name. This module pulls those out so retrieval can
rerank on them and the answerer can demand them, and it tells "when" from "who" from "how
many" so the answerer looks for a sentence that holds that kind of answer.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum
from functools import cached_property, lru_cache

from .lexical import function_words, tokenize


class Kind(str, Enum):
    DATE = "date"
    PERSON = "person"  # who: a person or an organisation
    PLACE = "place"
    NUMBER = "number"
    DURATION = "duration"
    OTHER = "other"


MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_SEASON = r"(?:spring|summer|autumn|fall|winter)"
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion dozen half"
)
_NUMBER_WORD = "|".join(_NUMBER_WORDS.split())

DATE_RE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:of\s+)?\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|\b(?:(?:in|since|until|by|from|early|late|mid)[\s-]+)?{_MONTH}(?:,?\s+(?:of\s+)?\d{{4}})\b"
    rf"|\b(?:(?:early|late|mid)[\s-]+)?{_SEASON}(?:\s+of)?,?\s+(?:1[89]\d\d|20\d\d)\b"
    rf"|\b(?:in|since|until|by|from|last|this|next|early|late|mid|earlier|later)[\s-]+(?:{_MONTH}|{_SEASON})\b"
    r"|\b(?:(?:early|late|mid)[\s-]+)?(?:1[89]\d\d|20\d\d)\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b(?:yesterday|today|tomorrow|last\s+(?:week|month|year)|earlier\s+this\s+(?:week|month|year)|"
    r"next\s+(?:week|month|year)|(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b"
    r"|\b(?:in|within)\s+(?:\w+\s+)?(?:days?|weeks?|months?|years?)\b"
    r"|\b\w+\s+(?:days?|weeks?|months?|years?)\s+ago\b",
    re.IGNORECASE,
)
NUMBER_RE = re.compile(
    rf"[$£€]\s?\d[\d,.]*(?:\s?(?:million|billion|trillion|bn|m|k))?|\b\d[\d,.]*(?:p|mm|cm|km|kg|mph|kph|ft)\b(?!\.m)|\b\d[\d,.]*\b(?:\s?(?:million|billion|trillion|bn)\b)?(?:\s(?:dollars|pounds|euros|cents|pence)\b)?(?:%| percent)?|\b(?:{_NUMBER_WORD})(?:-(?:{_NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
#: "1994-95", "the 2022/23 season": two years, not a year and a count of 95
_YEARS_SPAN = re.compile(r"\b(?:19|20)\d\d\s?[-–/]\s?\d\d\b(?![-–/.,]?\d)")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?:\s?[ap]\.?m\b\.?)?|\b\d{1,2}(?:\.\d{2})?\s?[ap]\.?m\b\.?", re.IGNORECASE)
_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"
#: "three days", "several more weeks", "for a year", "five years and three months" (one term);
#: not the rates "$14 million a year" or "40,000 passengers a day"
DURATION_RE = re.compile(
    rf"\b(?:\d+|{_NUMBER_WORD}|several|few)\s+(?:(?!an?\b|per\b)\w+\s+)?{_UNITS}(?:,?\s+(?:and\s+)?(?:\d+|{_NUMBER_WORD})\s+{_UNITS})*"
    rf"|\b(?:for|about|almost|nearly|over|under|than|after|within|in)\s+an?\s+(?:\w+\s+)?{_UNITS}",
    re.IGNORECASE,
)
# Capitalised runs ("Prince Philip", "Raymond James Stadium"), allowing joiners like "of".
NAME_RE = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|de|the|van|von|al|bin|&)?\s*[A-Z][\w'’.-]*)*")
#: "in Paris", "at Balmoral Castle", "on Skerrin Island" (not "on Tuesday", "on September 8")
PLACE_RE = re.compile(
    r"\b(?:in|at|near|from|to|across|inside|outside|on)\s+(?:the\s+)?"
    r"(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August"
    r"|September|October|November|December)\b)([A-Z][\w'’.-]*(?:[\s,]+[A-Z][\w'’.-]*)*)"
)

_NOT_NAMES = set(
    "the a an while but and in on at as if when after before it he she they this that these those update "
    "according however meanwhile also then so yet last next monday tuesday wednesday thursday friday saturday "
    "sunday followers following posts photos".split()
) | set(MONTHS)

_JOINERS = {"of", "de", "van", "von", "al", "bin", "&"}  # inside a name, never its first word
_RECENCY = re.compile(
    r"\b(?:last|latest|most recent(?:ly)?|recent(?:ly)?|current(?:ly)?|now|still|yet|newest|today|anymore|so far|as of"
    r"|in the end|finally|eventually|ultimately|end(?:s|ed)? up|final (?:price|offer|bid|deal|figure|toll|count|tally|total|cost|number))\b",
    re.IGNORECASE,
)
#: "When will…", "When is it shipping?" (the present progressive of a plan)
_FUTURE_ASKED = re.compile(
    r"\b(?:will|shall|might|going to|next|upcoming|expected|due|planned|plans? to|scheduled|set to|meant to|supposed to|intended to|slated)\b"
    r"|\bwhen (?:is|are)\b[^?]*?\b\w{2,}ing\b|\bwhen (?:does|do)\b", re.I
)
_PAST_ASKED = re.compile(r"\b(?:did|was|were|had|last|ago)\b", re.I)
#: "the day after", "two weeks before": a span of time, after which a year is no bound
_SPAN_BEFORE = re.compile(r"\b(?:day|days|week|weeks|month|months|morning|night|evening|year|years|hours?|minutes?)\s+$", re.IGNORECASE)
#: "before 2023", "before their 2024 title win", "before the salmon spotted in 2021"
_BOUND = re.compile(
    r"\b(before|prior to|until|till|after|since)\s+(?:(?:the|their|its|his|her|this|that)\s+(?:[\w'’-]+\s+){0,4}?(?:in\s+)?)?((?:1[89]|20)\d\d)\b",
    re.IGNORECASE,
)
YEAR_RE = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b")
#: "As of August 2023", "as at early 2019", "as of the summer of 2020"
_AS_OF = re.compile(
    rf"\bas (?:of|at)\s+(?:(?P<part>early|mid|late)[\s-]+)?(?:the\s+)?(?:(?P<named>{_MONTH}|{_SEASON})\s+(?:of\s+)?)?(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
#: the month a season ends in (winter in the February after its year)
SEASON_ENDS = {"spring": 5, "summer": 8, "autumn": 11, "fall": 11, "winter": 2}
_YEAR_ASKED = re.compile(r"\b(?:what|which) year\b", re.IGNORECASE)
_MONEY_NOUNS = (r"price|revenue|salary|budget|profit|income|fee|fine|penalty|grant|bonus|loan|subsidy|donation|settlement"
                r"|compensation|pay-?off|pay-?out")
_MONEY_ASKED = re.compile(
    r"\bhow much (?:\w+ )?(?:money|cash|did|does|do|will|would|was|were|is|are|has|have)\b.*\b(?:raise|cost|pay|paid|earn|spend|spent|"
    r"worth|fund|donat|sell|sold|charg|fine|owe|lose|lost|make|made|bring|brought|win|won|contribut|invest|put|"
    r"giv|gave|grant|award|receiv|allocat|pledg|borrow|lend|lent|compensat|offer)\w*|\bhow much (?:\w+ )?money\b"
    rf"|\bwhat (?:size of |kind of |sort of )?(?:amount|{_MONEY_NOUNS})\b"
    # "What's the maximum fine…?", "What was Tesla's revenue…?"
    r"|\bwhat(?:['’]s| is| was| were| are| will be| would be)\s+(?:the |a |an |its |their |his |her |[\w'’-]+['’]s )?(?:[\w-]+ )?"
    rf"(?:{_MONEY_NOUNS})s?\b",
    re.IGNORECASE,
)
#: an age by its form: "Falk, 61, said", "a 71-year-old man", "3,100 years old", "aged 54", "Lilibet, 4." (the
#: number is one of the groups)
AGE_RE = re.compile(
    r"\b[A-Z][\w'’.-]*,\s(\d{1,3})\b(?=[,.;)]|\s(?:and|said|who|was|is)\b)|\b(\d{1,3}(?:,\d{3})?)[- ]years?[- ]old\b|\b[Aa]ged\s(\d{1,3})\b"
    r"|\b(?i:he|she|who) (?:is|was|turned|turns|had turned)\s(\d{1,3})\b(?!\s*(?:percent|per|%|million|years? ago))"
    r"|\b(?i:at the age of|died at|dies at)\s(\d{1,3})\b(?![.:]\d|\s*[ap]\.?m\b)"
)
#: a length asked with "how long": of a road, a bridge, a line
_LONG_THING = (
    r"how long (?:is|was|will|would|are|were) (?:the |its |it |their )?(?:[\w-]+ ){0,2}?"
    r"(?:road|bypass|bridge|tunnel|line|route|runway|track|wall|pier|trail|path|cycleway|railway|pipeline|canal|beach|river|coastline|border|course|extension)s?(?: (?:be|going to be))?(?=\s*(?:[?.,]|$| once| when| in total| overall| altogether| end to end))"
)
_MEASURES = tuple((re.compile(asked, re.IGNORECASE), re.compile(rf"(?:{units})(?![a-z/])", re.IGNORECASE)) for asked, units in (
    # "In percentage terms, how far did revenue drop?" asks no distance
    (r"\bin (?:percentage|percent|per cent|%) terms\b|\bhow many (?:percent|per cent|percentage points)\b", r"%|percent|per cent|(?:percentage )?points?"),
    # "how strong" is a speed only of wind: "How strong was demand?" asks no km/h
    (r"\bhow fast\b|\bwhat (?:\w+ )?speed\b|\bhow strong\b(?=.*\b(?:winds?|gusts?|storm|hurricane|typhoon|cyclone|gale)\b)", r"km/h|kph|mph|miles (?:an|per) hour|kilomet(?:re|er)s (?:an|per) hour|knots|m/s"),
    (r"\bhow much (?:rain|snow)|\bwhat (?:\w+ )?(?:rainfall|snowfall)\b", r"mm|millimet(?:re|er)s|cm|centimet(?:re|er)s|inch(?:es)?"),
    # "how far over the limit", "how high did inflation climb", "how deep were the cuts" ask
    # for no distance
    (r"\bhow tall\b|\bhow far\b(?!\s+(?:over|above|below|under|beyond|behind|ahead|into|short|off|back|along))"
     rf"|\bwhat (?:\w+ )?(?:height|depth|distance|length|range)\b|\b{_LONG_THING}",
     r"km|kilomet(?:re|er)s|miles?|m|met(?:re|er)s|ft|feet|foot|cm|centimet(?:re|er)s|inch(?:es)?|yards?|storeys|stories|floors"),
    (r"\bhow heavy\b|\bwhat (?:\w+ )?weight\b|\bhow much did (?:it|he|she|they) weigh", r"kg|kilo(?:gram)?s|tonnes?|tons?|pounds|lbs?|grams?|g"),
    (r"\bhow (?:hot|cold|warm)\b|\bwhat (?:\w+ )?temperature\b", r"°\s?[CF]?|degrees?(?: (?:celsius|fahrenheit|c|f))?|C|F"),
    (r"\bwhat (?:percentage|percent|proportion|share)\b|\bwhat %", r"%|percent|per cent"),
    # a change: in percent or points, or an amount of money
    (r"\bby how much\b|\bhow much\b.*\bby\W*$", r"%|percent|per cent|(?:percentage )?points?|[$£€¥](?=\s?\d)|million|billion|dollars|pounds|euros|cents|pence|p(?!\.)"
     r"|votes|seats|goals|runs|wickets|strokes|lengths|seconds|minutes"),
))


#: What counts as people when "how many people" is asked.
_PEOPLE = frozenset(
    "people ppl persons residents patients passengers fans spectators supporters visitors workers staff employees "
    "pupils students children adults teenagers men women drivers voters members officers households families "
    "participants volunteers tourists guests customers users migrants refugees casualties victims deaths viewers listeners readers subscribers audiences".split()
)
#: Words after a number that make it a change in a count: "taken on 110 more workers".
_ADDED = re.compile(r"\s+(?:more|fewer|extra|additional)\b")
#: Words after a number that say nothing of what it counts.
_NOT_COUNTED = frozenset("percent cents pence points others times years months weeks days hours minutes seconds".split())
#: Words joined to a number that count people: "a 40-strong crew", "a 12-man squad".
_CREW = frozenset("strong man woman person".split())
_APPROX = r"(?:just |only |a mere |some |about |around |roughly |nearly |almost |more than |over |fewer than |less than )?"
#: Answers news gives in a form of their own, (what asks for one, what gives it, the number being
#: one of its groups): an age ("How old is he?": "Falk, 61,"), a crowd ("How many people
#: watched…?": "a crowd of 43,850", "in front of 9,000 fans", "186,000 visitors") or a margin
#: ("By what margin did she win?": "by just 325 votes").
_COUNT = rf"\d[\d,]*|{_NUMBER_WORD}"
#: a vote's tally: "passed by 27 votes to 19", "voted seven to four"
_TALLY = rf"\b({_COUNT})\s+votes?\s+to\s+({_COUNT})\b|\bvoted\s+({_COUNT})\s*(?:-|–|to)\s*({_COUNT})\b"
_PARTY = re.compile(
    r"(?-i:((?:[A-Z][\w'’-]+\s+){0,3}(?:Party|Alliance|Democrats|Greens|Labour|Conservatives|Republicans|Coalition|Movement"
    r"|Front|League|Independents)))\b"
)
#: "What was the vote?": a tally answers ("27 votes to 19"), or shares; never a sum of money
_VOTE_ASKED = r"\b(?:what|how) (?:was|were|did) the (?:final )?(?:vote|votes|tally|voting)\b"
_FORMS = ((re.compile(r"\bhow old\b|\b(?:what|which) age\b", re.IGNORECASE), AGE_RE),) + tuple(
    (re.compile(asked, re.IGNORECASE), said if isinstance(said, re.Pattern) else re.compile(said, re.IGNORECASE)) for asked, said in (
    (r"\bhow many (?:fans|people|ppl|spectators|supporters|visitors)\b.*\b(?:watch\w*|attend\w*|saw|see|were at|was at|came|come"
     r"|went|go|visit\w*|turned out|in the crowd)\b",
     rf"\b(?:crowd|attendance|audience|gate) of {_APPROX}(\d[\d,]*)|\b(\d[\d,]*|\d[\d.]* (?:million|thousand)) (?:fans|spectators"
     rf"|supporters|visitors|viewers|festivalgoers|concertgoers|attendees)\b|\bin front of {_APPROX}(\d[\d,]*)\b"),
    (r"\bhow long\b.*\b(?:prison|jail\w*|gaol|sentenced?|behind bars|locked up|imprison\w*|custody)\b|\bwhat sentence\b",
     rf"\b(?:jailed|imprisoned|sentenced|locked up|detained|given|handed)\b(?:\s+[\w,]+){{0,4}}?\s+(?:for|to)\s+{_APPROX}"
     rf"((?:{_COUNT})\s+{_UNITS})|\b((?:{_COUNT})\s+{_UNITS})"
     rf"(?:\s+and\s+\w+\s+{_UNITS})?\s+(?:in prison|in jail|behind bars|prison sentence|jail sentence|jail term|custodial)"),
    # "Which outlet said…?" is answered by whom the news was told to: "a source told Page Six",
    # "according to The Mirror"
    (r"\b(?:which|what)\s+(?:\w+\s+)?(?:outlet|newspaper|paper|tabloid|magazine|publication|broadcaster|network|channel|website|site)\b",
     r"\b(?:according to|told|spoke (?:to|with)|reported by|in an interview with|speaking to)\s+(?-i:the\s+)?"
     r"(?-i:((?:The\s+)?[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*)*))"),
    # "What review score did it get?" is answered by a mark out of so many: "9/10", "eight out of ten", "four stars"
    (r"\breview score\b|\bratings?\b|\bhow many stars\b|\b(?:score|mark)s?\s+(?:did|does|do|has|have|will|would)\b.*\b(?:give|gave|award)"
     r"|\b(?:score|rate)d?\b.*\breview\b",
     rf"\b(\d{{1,3}}(?:\.\d)?|{_NUMBER_WORD})\s*(?:/|out of)\s*(?:\d{{1,3}}|ten|five|a hundred)\b|\b(\d|{_NUMBER_WORD})\s+stars?\b"),
    # "Which party…?" is answered by a party's name: "the Civic Alliance", "People's Party"
    (r"\b(?:which|what)\s+(?:political\s+)?party\b", _PARTY),
    # "What was the vote?" is answered by the tally: "passed by 27 votes to 19"
    (_VOTE_ASKED, _TALLY),
    # "By what margin did the committee back it?": "by nine votes to two" says it too
    (r"\bby (?:what|how much|how many)\b.*\b(?:win|won|lead|led|beat|margin|majority)|\bwhat (?:was |is )?(?:the |her |his |their )?"
     r"(?:winning )?margin\b",
     rf"{_TALLY}|\bby {_APPROX}(\d[\d,.]*|{_NUMBER_WORD})\b|\b(?:margin|majority) of {_APPROX}(\d[\d,.]*|{_NUMBER_WORD})\b"),
))
#: money for certain: "£7.4 million", "212p"; "7.4 million viewers" may be a count
CURRENCY_RE = re.compile(r"[$£€¥]|\b\d+(?:\.\d+)?p\b(?!\.m)|\b(?:dollars?|pounds?|euros?|cents?|pence|usd|gbp|eur)\b", re.IGNORECASE)
#: money, or a sum in millions that is likely money
MONEY_RE = re.compile(rf"{CURRENCY_RE.pattern}|\b(?:million|billion|trillion|bn)\b", re.IGNORECASE)
_HARD_NUMBER = re.compile(r"\b(?:Q[1-4]|H[12]|\d+(?:st|nd|rd|th)|\d+(?:\.\d+)?)\b", re.IGNORECASE)
_LIST = re.compile(r"\b(?:list|which (?:\w+ )?(?:are|were)|name (?:all|the)|what are|who are|who were|all the)\b", re.IGNORECASE)
_WH_WORDS = {
    "what", "when", "where", "who", "whom", "whose", "which", "why", "how", "did", "does", "do", "is",
    "are", "was", "were", "will", "would", "can", "could", "has", "have", "had", "the", "a", "an",
}


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    terms: tuple[str, ...]  # stemmed content terms
    names: tuple[str, ...]  # capitalised names in the question, lower-cased
    years: tuple[str, ...]
    numbers: tuple[str, ...]  # other hard tokens: quarters, ordinals, plain numbers
    recency: bool  # asks about the latest state ("last", "current", "still")
    wants_list: bool
    #: years the answer must come before (-1) or after (1): "Before 2023, when had they last
    #: won?" asks about no event of 2023
    bounds: tuple[tuple[str, int], ...] = ()
    tense: str = ""  # "past" ("When did they last meet?"), "future" ("When will they meet?") or ""
    weights: tuple[float, ...] = ()  # of `terms`: rarer words count more (inverse document frequency)

    def coverage(self, tokens: set[str]) -> float:
        """Share of the question's term weight that `tokens` hold."""
        if not self.terms:
            return 0.0
        weights = self.weights or (1.0,) * len(self.terms)
        return sum(w for t, w in zip(self.terms, weights) if t in tokens) / sum(weights)

    @property
    def hard(self) -> tuple[str, ...]:
        return self.years + self.numbers

    @cached_property
    def age(self) -> bool:
        """Asks how old someone is: news gives an age by its form ("Archie, 6,", "a 71-year-old
        man", "aged 54"), seldom with the word "old" beside it."""
        return self.form is not None and self.form[1] is AGE_RE

    @cached_property
    def direction(self) -> int:
        """1 when the question asks how much something rose, -1 how much it fell, else 0. Rain
        that fell is a measure, not a fall."""
        by_how_much = self.measure is not None and self.measure[0].lower().startswith("by how much")
        if self.kind is not Kind.NUMBER or (self.money or self.measure) and not by_how_much:
            return 0  # money raised or lost is an amount, not a change; "by how much will the charge go up?" is one
        asked = _HOW_MUCH.search(own_words(self.text))  # "what pay rise…?" asks an amount, not a change
        if not asked:
            return 0
        # "how many more jobs…?" asks a change; "how many steps … to cut the risk?" a count
        said = asked.group(1) if "much" in asked.group().lower() else " ".join(asked.group(1).split()[:1])
        if _REACHED.search(said):
            return 0  # "how much had the cost grown to?" asks the level it reached
        return direction(said)

    @cached_property
    def role(self) -> str | None:
        """The role the person asked about holds ("Which judge…?", "Who is the mayor?"): news
        names such a person beside the role ("the mayor, Bernard Oakes")."""
        role = _ROLE_ASKED.search(self.text) if self.kind is Kind.PERSON else None
        return next(r for r in role.groups() if r).lower() if role else None

    @cached_property
    def only_in_form(self) -> bool:
        """The question asks for what only its form gives: "Which judge…?" a name given as the
        judge's, "Which party…?" a party's name. ("Who is the mayor?" may also be answered by
        "Oakes was elected mayor".)"""
        if self.role:
            return re.search(rf"\b(?:which|what)\s+(?:\w+\s+)?{re.escape(self.role)}", self.text, re.IGNORECASE) is not None
        return self.form is not None and self.form[1] is _PARTY

    @cached_property
    def as_of(self) -> date | None:
        """The last day of the time a question asks from ("As of August 2023, when was it due to
        open?"): what was expected then lies after it. "Early", "mid" and "late" are a year's
        thirds; a year alone is only known to start after the year before."""
        said = _AS_OF.search(self.text)
        if not said:
            return None
        part, named, year = said.group("part"), said.group("named"), int(said.group("year"))
        if named and named.lower() in SEASON_ENDS:
            month = SEASON_ENDS[named.lower()]
            year, month = (year + 1, month) if month < 3 else (year, month)
        elif named:
            month = next(i + 1 for i, m in enumerate(MONTHS[:12]) if m.lower().startswith(named.lower()[:3]))
        elif part:
            month = {"early": 4, "mid": 8, "late": 12}[part.lower()]
        else:
            return date(year - 1, 12, 31)
        return date(year, month, calendar.monthrange(year, month)[1])

    @property
    def holder_now(self) -> bool:
        """Asks who holds a role now ("Who is the mayor?", "the current coach"), not who held it."""
        return self.recency or re.search(r"\b(?:is|are)\b", self.text, re.IGNORECASE) is not None

    @cached_property
    def form(self) -> tuple[str, re.Pattern] | None:
        """The words that ask for an answer news gives in a form of its own ("how many people
        watched"), and that form ("a crowd of 43,850"); see `_FORMS`."""
        if self.kind not in (Kind.NUMBER, Kind.DURATION, Kind.PERSON):
            return None
        if self.role:
            # "Which judge sentenced him?" is answered by a name given as the judge's: "Judge
            # Catherine Olusanya", "the judge, Patricia Okafor", "Patricia Okafor, the judge" (the
            # role only looked at, so "Sentencing, Judge Catherine Olusanya" gives both names)
            said = re.escape(self.role)
            # "Who is the mayor?" is not answered by "the former mayor, Lydia Harcastle"
            holds = r"(?<!former )(?<!outgoing )(?<!ex-)(?<!previous )(?<!late )" if self.holder_now else ""
            return self.role, re.compile(
                rf"\b{holds}((?i:{said})\s+({_NAME_WORDS}))|\b{holds}(?i:{said})(?:\s+of\s+(?:the\s+)?{_NAME_WORDS})?,?\s+({_NAME_WORDS})"
                rf"|\b({_NAME_WORDS})(?=,\s+(?:who\s+(?:is|was|has been)\s+)?(?:the\s+|[\w'’&-]+['’]s\s+)?"
                rf"(?:(?!former|outgoing|ex-|previous|late)\w+\s+)?(?i:{said})\b)"
                # "Directed by Justin Kurzel", "captained by Dan Ogle"
                + (rf"|\b(?i:{_ROLE_VERBS[self.role]})\s+by\s+({_NAME_WORDS})" if self.role in _ROLE_VERBS else ""))
        return _asked(_FORMS, self.text)

    @cached_property
    def measure(self) -> tuple[str, re.Pattern] | None:
        """The words that ask for a measurement ("how strong") and the units it is given in
        (km/h, mph): a number in other units, or in none, is no answer."""
        return _asked(_MEASURES, self.text) if self.kind is Kind.NUMBER else None

    def measured(self, span: str, after: str) -> bool:
        """`span` (a number, followed in its sentence by `after`) is given in the units asked."""
        units = self.measure[1] if self.measure else None
        if units is None or units.match(after.lstrip().removeprefix("-")):  # "4.2 miles", "the 4.2-mile road"
            return True
        unit = units.search(span)  # "6.8km"; the "m" of "£48m" is millions, not metres
        return unit is not None and not (unit.group().lower() in ("m", "k") and MONEY_RE.search(span))

    @cached_property
    def counting(self) -> bool:
        """Asks "how many": a count, which no amount of money or percentage answers."""
        return self.kind is Kind.NUMBER and _HOW_MANY.search(self.text) is not None

    @cached_property
    def tallied(self) -> bool:
        """Asks what a vote was ("What was the vote on the budget?"): no sum of money answers."""
        return self.kind is Kind.NUMBER and re.search(_VOTE_ASKED, self.text, re.IGNORECASE) is not None

    @cached_property
    def counted(self) -> str | None:
        """What "how many" counts ("people", "homes"), as a stem; None when it names nothing."""
        asked = _HOW_MANY.search(self.text)
        if not self.counting or not asked.group(1) or asked.group(1).lower() in function_words():
            return None
        word = asked.group(1).lower()
        return "people" if word in _PEOPLE else next(iter(tokenize(word)), None)

    def counts(self, after: str) -> bool:
        """The words after a number (`after`) do not say it counts something else than asked:
        "412 homes" answers no "how many people", "12 people" and "19, officials said" do; "110 more
        workers" counts a change, which "how many work there" does not ask."""
        if self.counting and not self.direction and _ADDED.match(after):
            return False
        # "280 homes", "420 new homes", and the "two-term" of "two-term incumbent"; not "19, officials"
        said = re.match(r"\s+(?:[a-z-]+\s+)?([a-z]{3,}s)\b", after) or re.match(r"-([a-z]{3,})\b(?!-)", after)
        if self.counted is None or not said or said.group(1) in function_words() or {said.group(1), said.group(1) + "s"} & _NOT_COUNTED:
            return True
        word = said.group(1)
        if set(tokenize(word)) & set(self.terms):
            return True  # "140 rescues" counts what "how many people did they rescue" asks
        if self.counted == "people":
            return word in _PEOPLE or word + "s" in _PEOPLE or word in _CREW  # "12 workers", "a 12-man squad"
        return tokenize(word)[:1] == [self.counted]

    @cached_property
    def share(self) -> bool:
        """Asks what share something is ("What proportion of the flats…?"): a level in percent,
        not a change by so many percent."""
        return (self.measure is not None and re.match(r"what (?:percentage|percent|proportion|share|%)", self.measure[0], re.I) is not None
                and not re.search(r"\bby what\b", self.text, re.I))  # "By what percentage did it go up?" asks a change

    @cached_property
    def sum_named(self) -> frozenset[str]:
        """The kind of sum asked for, when it has a name of its own ("How much was he fined?",
        "What was her salary?"): news says an amount of that kind with the word, and another
        amount in the sentence ("the £86,412 he stole") is not it."""
        return frozenset(tokenize(" ".join(_SUM_NAMED.findall(own_words(self.text)))))

    @cached_property
    def year_asked(self) -> bool:
        """Asks for a year ("What year was it built?", "In which year…"): a bare year is then a
        whole answer, not a part of a date."""
        return self.kind is Kind.DATE and _YEAR_ASKED.search(own_words(self.text)) is not None

    @cached_property
    def why(self) -> bool:
        """Asks for a reason ("Why…?", "On what grounds…?"): news gives one with a word that
        says so ("because", "caused by", "failed to"), seldom in the sentence that tells what
        happened."""
        return self.kind is Kind.OTHER and _WHY.search(own_words(self.text)) is not None

    @cached_property
    def job(self) -> bool:
        """Asks what someone does for a living: news says it beside the name ("Tomos Fairweather,
        27, a marine engineer,"), seldom in the sentence that tells what they did."""
        return self.kind is Kind.OTHER and _JOB_ASKED.search(own_words(self.text)) is not None

    @cached_property
    def personal_name(self) -> bool:
        """Asks the name of a person the news describes ("What was the name of the man
        airlifted…?", "the name of the driver"): a first and last name answers, not a place or a
        company, and reports often leave it out."""
        return self.kind is Kind.PERSON and _PERSONAL_NAME.search(self.text) is not None

    @cached_property
    def report_dated(self) -> bool:
        """Names the year of the reports to answer from ("As of December 2021…", "…per the 2021
        report", "Which outlet reported in 2021…"), not only of the event: "when they won the
        final in 2022" may be told by a report of 2023."""
        return _REPORT_DATED.search(own_words(self.text)) is not None

    @cached_property
    def original(self) -> bool:
        """Asks for the first figure ("the original price tag", "when first estimated"): one a change
        led to ("has risen to £455 million") is a later one."""
        return self.kind is Kind.NUMBER and _ORIGINAL.search(own_words(self.text)) is not None

    @cached_property
    def earliest(self) -> bool:
        """Asks for the first state of a story that moved ("When was it originally meant to come
        out?"): the oldest report that answers leads, not the newest."""
        return _FIRST_STATE.search(own_words(self.text)) is not None

    @cached_property
    def money(self) -> bool:
        """Asks for an amount of money ("How much did it raise?"): a count or a day is no answer."""
        return self.kind is Kind.NUMBER and _MONEY_ASKED.search(self.text) is not None


_ORIGINAL = re.compile(r"\b(?:original(?:ly)?|initial(?:ly)?|first (?:announced|proposed|planned|estimated|quoted|budgeted|unveiled))\b", re.I)
#: "originally", "at first": asked of the story, not of a thing ("the original contractor")
_FIRST_STATE = re.compile(r"\b(?:originally|initially|at first|first (?:announced|proposed|planned|estimated|quoted|budgeted|unveiled|promised|scheduled))\b", re.I)
_SUM_NAMED = re.compile(r"\b(?:fined?|compensation|salary|salaries|fees?|bail|damages|bonus(?:es)?|ransom|wages?|pension)\b", re.I)
#: "Which judge…?", "What coach…?": a role news writes beside a name
ROLES = (r"(judge|coach|manager|minister|councillor|architect|surgeon|detective|referee|striker|goalkeeper|keeper|captain"
         r"|chairman|chairwoman|mayor|senator|governor|professor|prosecutor|director|leader|executive)")
#: what a role's holder does to what they hold, said in the passive: "Directed by Justin Kurzel"
_ROLE_VERBS = {"director": "directed", "coach": "coached", "manager": "managed", "captain": "captained",
               "referee": "refereed", "chairman": "chaired", "chairwoman": "chaired", "leader": "led"}
#: "Which judge…?", "Who is Eastmere's mayor?", "Who was project director…?"
_ROLE_ASKED = re.compile(
    rf"\b(?:which|what)\s+(?:\w+\s+)?{ROLES}\b|\bwho\s+(?:is|was|will be|has been|became)\s+(?:now\s+)?(?:the\s+)?"
    rf"(?:new\s+|current\s+|[\w'’-]+['’]s\s+)?(?:\w+\s+)?{ROLES}\b",
    re.IGNORECASE,
)
_NAME_WORDS = r"(?-i:[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)"
_PERSONAL_NAME = re.compile(
    r"\bname of the (?:[\w-]+ ){0,2}?(?:man|woman|boy|girl|child|baby|teenager|driver|pilot|victim|passenger|pedestrian"
    r"|cyclist|worker|person|suspect|officer|nurse|doctor|firefighter|climber|swimmer|walker|resident|owner)\b",
    re.IGNORECASE,
)
_REPORT_DATED = re.compile(
    r"\bas of\b[^?]*\b(?:1[89]|20)\d\d\b|\b(?:1[89]|20)\d\d(?:\s+[A-Z][\w'’]*){0,2}\s+(?:reports?|articles?|stor(?:y|ies)|coverage|pieces?)\b"
    r"|\breport(?:ed|s)?\s+in\s+(?:\w+\s+)?(?:1[89]|20)\d\d\b",
    re.IGNORECASE,
)
#: "What does she do for a living?", "What was his job before…?"
_JOB_ASKED = re.compile(
    r"\bdo(?:es|ing)? for a living\b|\b(?:what|which)(?:['’]s| was| is| were| are)? (?:(?:[\w-]+ ){0,2}[\w-]+['’]s |his |her |their )?(?:day )?"
    r"(?:job|occupation|profession|line of work|trade|career)\b|\bwhat (?:does|did|do) (?:\w+ ){1,3}work as\b"
    r"|\b(?:what|which) (?:position|post|role)\b.*\b(?:hold|held|have|had|fill|filled)\b",
    re.IGNORECASE,
)
#: how news says what someone does: "Tomos Fairweather, 27, a marine engineer,", "worked as a
#: nurse", "the Fellside primary school teacher"
JOB = re.compile(
    r"(?:,|\b(?:works?|worked|working|trained|job|career|employed|served) as|\b(?:became|becomes|was made|appointed))\s*(?:\d{1,3},\s+)?(?:an?|the|its|his|her|their)\s+(?:[\w'’-]+\s+){0,4}?"
    r"(?:\w+(?:er|or|ist|ian|ant|eon|ife|ician)|nurse|chef|pilot|cook|clerk|porter|solicitor|barrister|labourer|farmer"
    r"|head teacher|headteacher|carer|vet|dentist|architect|journalist|politician|officer|executive|analyst)s?\b",
    re.IGNORECASE,
)
_WHY = re.compile(
    r"\bwhy\b|\bhow come\b|\b(?:what|which) (?:was |were |is |are )?(?:the )?(?:main |real |chief |official )?(?:reasons?|grounds|cause)\b"
    r"|\bon what (?:grounds|basis)\b|\bwhat (?:caused|led to|prompted)\b",
    re.IGNORECASE,
)
# "The consultation is due to end in April" gives a date, not a reason
_SCHEDULED = (
    r"(?:be|end|start|open|close|begin|finish|take|meet|arrive|return|resume|launch|run|expire|come|go|make|hold|"
    r"sign|vote|appear|leave|retire|report|publish|announce|complete|reopen|face|receive|hear|give|deliver|visit|"
    r"attend|play|release|decide|rule|conclude|sit|stand|step)\b"
)
#: Words that give a reason.
CAUSE = re.compile(
    r"\bdue to (?!" + _SCHEDULED + r")|\bbecause (?!of (?:this|that|it)\b)|\b(?:'cause|owing to|caused by|as a result of|result of|blamed|citing|cited|reasons?"
    r"|in order to|so that|so as to|failed to|failure to|to spend more time|which is why|that is why|that's why|thanks to)\b"
    r"|\bcauses?\s+(?:was|were|is|are)\b"
    r"|(?<!was )(?<!were )(?<!is )(?<!are )(?<!be )\bmeant (?!to\b|for\b|as\b)"  # "automation meant the factory needed fewer people"
    r"|\b(?:was|were) to (?!be\b)|,\s+so\s+(?!far\b|much\b|many\b|long\b|that\b)"
    r"|\bas (?:he|she|they|we|it|i) (?!said|says|put|told|noted|added|explained|wrote|well|soon|long|much|far|if|though)\w+",
    re.IGNORECASE,
)


def analyse(text: str, idf: Callable[[str], float] | None = None) -> Question:
    lowered = text.lower().strip()
    kind = _kind(lowered)
    # "the day after the lunch in 2024" is a day of 2024, not a bound
    bounds = tuple((m.group(2), -1 if m.group(1).lower() in ("before", "prior to", "until", "till") else 1)
                   for m in _BOUND.finditer(text) if not _SPAN_BEFORE.search(text, 0, m.start()))
    years = tuple(dict.fromkeys(y for y in YEAR_RE.findall(text) if y not in dict(bounds)))
    numbers = tuple(
        dict.fromkeys(n.lower() for n in _HARD_NUMBER.findall(text) if n not in years and n not in dict(bounds))
    )
    names = []
    for match in NAME_RE.finditer(text):
        words = [w for w in match.group().lower().split() if unpossessed(w) not in _WH_WORDS]
        while words and (words[0] in _NOT_NAMES or words[0] in _JOINERS):  # "And William?", "As of December"
            words.pop(0)
        if words:
            names.append(unpossessed(" ".join(words).strip(" ?.,!'’")))
    recency_words = set(tokenize(" ".join(_RECENCY.findall(text))))
    terms = tuple(dict.fromkeys(t for t in tokenize(text) if t not in _WH_WORDS and t not in recency_words))
    return Question(
        text=text,
        kind=kind,
        terms=terms,
        weights=tuple(idf(t) for t in terms) if idf else (),
        names=tuple(dict.fromkeys(n for n in names if n and n not in numbers)),  # "Q2" is no name
        years=years,
        bounds=bounds,
        numbers=numbers,
        recency=bool(_RECENCY.search(text)),
        wants_list=bool(_LIST.search(text)),
        tense="future" if _FUTURE_ASKED.search(text) else "past" if _PAST_ASKED.search(text) else "",
    )


_HOW_MANY = re.compile(r"\bhow many\b(?:\s+(?:more |extra |new |additional )?([a-z]+))?", re.IGNORECASE)
_HOW_MUCH = re.compile(r"\b(?:by )?how (?:much|many)\b(.*)", re.IGNORECASE)
_UP = r"ris(?:e|es|en|ing)|rose|increas(?:e|ed|es|ing)|gr[eo]w(?:s|n|ing|th)?|climb(?:s|ed|ing)?|gain(?:s|ed|ing)?|jump(?:s|ed|ing)?|soar(?:s|ed|ing)?|surg(?:e|ed|es|ing)|up|more|extra|additional|boost(?:s|ed|ing)?|higher|longer|bigger|larger|greater|faster|quicker"
_DOWN = r"fall(?:s|en|ing)?|fell|drop(?:s|ped|ping)?|declin(?:e|ed|es|ing)|decreas(?:e|ed|es|ing)|slump(?:s|ed|ing)?|plung(?:e|ed|es|ing)|tumbl(?:e|ed|es|ing)|s[ai]nk(?:s|ing)?|down|lower|cut(?:s|ting)?|shed|lost|los(?:e|es|ing)|slid(?:e|es|ing)?|less|fewer|shorter|smaller|slower"
_DIRECTION = re.compile(rf"\b(?:(?P<up>{_UP})|(?P<down>{_DOWN}))\b", re.IGNORECASE)

_REACHED = re.compile(rf"\b(?:{_UP}|{_DOWN})\s+to\W*$", re.IGNORECASE)


def direction(text: str, last: bool = False) -> int:
    """1 when `text` (its last such word, if `last`) speaks of a rise, -1 of a fall, 0 of neither."""
    found = list(_DIRECTION.finditer(text))
    if not found:
        return 0
    match = found[-1] if last else found[0]
    return 1 if match.group("up") else -1


def _asked(table: tuple[tuple[re.Pattern, re.Pattern], ...], text: str) -> tuple[str, re.Pattern] | None:
    """The words of `text` that the first matching row of `table` asks with, and that row's answer pattern."""
    return next(((match.group(), answer) for asked, answer in table if (match := asked.search(text))), None)


#: a quarter or half however written: "Q2", "H1", "second quarter", "first-half"
QUARTER = r"\b(?:[QH][1-4]|(?:first|second|third|fourth)[\s-](?:quarter|half))\b"
_QUARTER_RE = re.compile(QUARTER, re.IGNORECASE)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def quarters(text: str) -> set[str]:
    """The quarters and halves `text` names, as "q2" or "h1" however written ("second-quarter",
    "the three months to the end of June", "the July to September quarter"), and "year" for a
    full year's figure."""
    by_months = {f"q{_QUARTER_ENDS.index((m.group(1) or m.group(2)).lower()) + 1}" for m in _QUARTER_BY_MONTHS.finditer(text)}
    by_months |= {"q1" if m.group(1).lower() == "first" else "q4" for m in _QUARTER_OF_YEAR.finditer(text)}
    by_months |= {"year" for _ in _FULL_YEAR.finditer(text)}  # "full-year revenue" answers no quarter
    return {_quarter_key(m.group().lower()) for m in _QUARTER_RE.finditer(text)} | by_months


_QUARTER_ENDS = ("march", "june", "september", "december")
_QUARTER_BY_MONTHS = re.compile(
    r"\bthree months (?:to|ended|ending|up to)(?: the end of)? (March|June|September|December)\b"
    r"|\b(?:January|April|July|October)\s*(?:to|-|–|through)\s*(March|June|September|December)\b",
    re.IGNORECASE,
)
_FULL_YEAR = re.compile(r"\bfull[\s-]year\b|\bannual (?:revenue|sales|profits?|results|turnover|losses|earnings)\b", re.IGNORECASE)
_QUARTER_OF_YEAR = re.compile(r"\b(first|final|last) three months of (?:the year|\d{4})\b", re.IGNORECASE)


def _quarter_key(said: str) -> str:
    if said[0] in "qh" and said[1:].isdigit():
        return said
    nth, part = re.split(r"[\s-]", said, maxsplit=1)
    return f"{'q' if part == 'quarter' else 'h'}{_ORDINALS[nth]}"


def unpossessed(word: str) -> str:
    """"Harry's" is "Harry"."""
    return _POSSESSIVE.sub("", word)


_POSSESSIVE = re.compile(r"['’]s$")


def split_context(standalone_question: str) -> tuple[str, str]:
    """The question as the user asked it, and the context a follow-up borrowed from the earlier
    turn (`conversation.standalone` adds it in brackets at the end; "" when there is none)."""
    match = _BRACKETED.search(standalone_question)
    return (standalone_question[: match.start()], match.group(1)) if match else (standalone_question, "")


def own_words(standalone_question: str) -> str:
    """The question as the user asked it, without the context a follow-up borrowed."""
    return split_context(standalone_question)[0]


_BRACKETED = re.compile(r" \(([^()]*)\)$")


def recase(q: Question, texts: Iterable[str]) -> Question:
    """The names of a question typed in lower case ("when did harry last see charles?"), found
    in how the articles being read write its words: a word they capitalise inside a sentence,
    and hardly ever write in lower case, is a name. The question's own words and the context a
    follow-up borrowed (in brackets, as the earlier turn was typed) are read apart: a part with
    capitals of its own already says what its names are, except for its opening word, which is
    capitalised whatever it is ("Back in 2021, which outlet…")."""
    own, context = split_context(q.text)
    cased = re.search(r"[A-Z]", own[1:]) is not None
    opening = _opening_name_word(q)  # "By what margin…?": capitalised only for opening the question
    if cased and not opening and not context:
        return q  # nothing to learn from the articles
    text = "\n".join(texts)
    if opening and not written_as_name(opening, text):
        rest = q.names[0][len(opening):].strip()
        q = replace(q, names=(rest,) * bool(rest) + q.names[1:])
    # the own words when typed all in lower case; the context's lower-case words, which its
    # earlier turn typed so
    parts = ([] if cased else [own.lower()]) + [context]
    lowered = _lowered(text)
    found = []
    for part in parts:
        run: list[str] = []
        runs: list[list[str]] = [run]
        for word in re.findall(r"[\w'’.-]+", part):
            bare = unpossessed(word).strip(".-")
            if bare.islower() and bare.isalpha() and bare not in _WH_WORDS and bare not in _NOT_NAMES and written_as_name(bare, text):
                run.append(bare)
            elif run:
                run = []
                runs.append(run)
        # "(kind meeting harry charles planning)" holds two names: no article writes "harry charles"
        found += [p for r in runs if r for p in ([" ".join(r)] if " ".join(r) in lowered else r)]
    return replace(q, names=tuple(dict.fromkeys(q.names + tuple(found)))) if found else q


def _opening_name_word(q: Question) -> str:
    """The question's first word when its first name begins with it, else ""."""
    first = re.match(r"\W*(\w[\w'’.-]*)", q.text)
    word = unpossessed(first.group(1).lower()) if first else ""
    return word if word and q.names and q.names[0].startswith(word) else ""


def written_as_name(word: str, text: str) -> bool:
    """Capitalised inside sentences more than twice as often as written in lower case. A
    sentence's first word is capitalised whatever it is, and does not count."""
    capital = lower = 0
    for at in _occurrences(word, text):
        if text[at].isupper():
            before = text[max(0, at - 3) : at].rstrip(" \t")[-1:]
            capital += before not in ("", ".", "!", "?", "\"", "“", "‘", "'", "\n", ":")
        else:
            lower += 1
    return capital > 2 * lower


def _occurrences(word: str, text: str) -> Iterator[int]:
    """Where `word` stands as a whole word in `text`, in any case. str.find on the lower-cased
    text: a regex scan of the 40 to 80 passages a search reads cost 0.7 ms a question."""
    lowered = _lowered(text)
    if len(lowered) != len(text):  # lower() grew a rare letter: offsets differ, take the slow way
        yield from (m.start() for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE))
        return
    at = lowered.find(word)
    while at != -1:
        end = at + len(word)
        if (at == 0 or not _word_char(lowered[at - 1])) and (end == len(lowered) or not _word_char(lowered[end])):
            yield at
        at = lowered.find(word, at + 1)


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


@lru_cache(maxsize=8)
def _lowered(text: str) -> str:
    return text.lower()


_KIND_RULES: tuple[tuple[Kind, str], ...] = (
    (Kind.NUMBER, _LONG_THING),  # "How long will the bypass be?" asks a length, not a time
    (Kind.DURATION, r"how (?:long|many (?:years|months|weeks|days|hours))(?! ago)"),
    (Kind.DATE, r"when|what (?:year|date|day|month|time)|which (?:year|date|day|month)|how long ago|since when"),
    (Kind.NUMBER, r"how (?:many|much|old|often|far|big|large|tall|high|strong|fast|heavy|deep|wide|hot|cold|expensive)|what (?:percentage|number|age|price|amount|score)"),
    (Kind.PLACE, r"where|what (?:city|country|place|venue|location|town|state)|which (?:city|country|place|venue|town|state)"),
    (Kind.PERSON, r"who|whom|whose|which (?:company|person|team|player|firm|organi[sz]ation|newspaper|outlet|magazine|paper|publication|network|channel|studio|brand)"
                  r"|what (?:company|newspaper|outlet|magazine|publication|network|channel|studio|brand)"),
)


_LEADING_CLAUSE = re.compile(
    r"^(?:(?:back|even|just|shortly|soon|right|long)\s+)?(?:when|after|before|since|once|while|until|if)\b[^,?]*,\s*(?:\w+\s+)?(?=(?:what|which|who|whom|whose|where|when|why|how)\b)"
)


def _kind(q: str) -> Kind:
    """The kind asked by the question's leading wh-phrase: in "What did they say when they
    left?" the question is "what", not "when"."""
    # "When the line was approved, how long was the journey expected to take?" asks how long
    q = _LEADING_CLAUSE.sub("", q)
    found = []
    for kind, pattern in _KIND_RULES:
        match = re.search(rf"\b(?:{pattern})\b", q)
        if match:
            found.append((match.start(), kind))
    lead = re.search(r"\b(?:what|which|why|how|is|are|was|were|did|does|do|can|could|will|would|has|have)\b", q)
    if found:
        position, kind = min(found, key=lambda f: f[0])
        if lead is None or position <= lead.start() or q[lead.start():position].count(" ") <= 1:
            return kind
    head = _head_noun(q)
    if head:
        return HEAD_NOUNS[head]
    if lead is None and not found:
        # typed as keywords, "fenwright revenue q4 2024": the noun says the kind
        head = next((w for w in re.findall(r"[\w%-]+", q) if w in HEAD_NOUNS), None)
        if head:
            return HEAD_NOUNS[head]
    if q.endswith((" date", " release", " released", " premiere", " location")):
        return Kind.PLACE if q.endswith(" location") else Kind.DATE
    return Kind.OTHER


def _head_noun(q: str) -> str | None:
    """The noun a what/which question asks for, after the verb or article ("What was Tesla's
    revenue…", "what the line will cost") or else before the verb ("What share of the vote did she
    get?"): "On what grounds did the judge rule?" asks for grounds, not for the judge."""
    for asked in re.finditer(r"\b(?:what|which)\b(?=((?:[^\w%]+[\w'’%-]+){1,7}))", q):
        words = re.findall(r"[\w'’%-]+", asked.group(1))
        if words[0] not in _OPENERS:
            words = list(itertools.takewhile(lambda w: w not in _OPENERS, words))
        heads = [(i, w) for i, w in enumerate(words) if w in HEAD_NOUNS]
        if heads and words[0] in _AUXILIARIES and heads[0][0] <= 3 and HEAD_NOUNS[heads[0][1]] is Kind.PERSON and heads[0][1] != "name":
            # "What did the company want to raise it to?": who does it is not what is asked ("What
            # did the workers name it?" still asks a name)
            heads = heads[1:]
        if heads:
            return heads[0][1]
    return None


#: "What did the judge say?": after these the noun is the one doing it (a price "rises to" one, though)
_AUXILIARIES = frozenset("did does do has have had will would can could should".split())
#: Words after "what" that leave the noun asked for still to come.
_OPENERS = _AUXILIARIES | frozenset("is was are were 's the a an about".split())
#: "What is the premiere date of…", "What was Tesla's revenue…": the noun says the kind.
HEAD_NOUNS = {
    **dict.fromkeys("date day year month time anniversary birthday".split(), Kind.DATE),
    **dict.fromkeys("revenue revenues price cost number amount population score salary budget worth sales profit "
                    "income value age total rise raise increase fare turnout share attendance range distance height "
                    "length depth speed weight temperature margin majority proportion percentage fraction rate % figure estimate "
                    "toll tally count crowd vote grant pay-off payoff payout pay-out bonus loan subsidy donation settlement fee fine penalty".split(), Kind.NUMBER),
    **dict.fromkeys("sentence term".split(), Kind.DURATION),  # "What sentence did he get?"
    **dict.fromkeys("location venue place city country town address".split(), Kind.PLACE),
    **dict.fromkeys("name winner director author ceo founder president champion owner leader head judge minister "
                    "manager coach captain actor actress singer player writer presenter host spokesman spokeswoman "
                    "spokesperson editor chairman chair chief governor mayor senator producer designer architect "
                    "inventor creator successor predecessor recipient laureate candidate".split(), Kind.PERSON),
    # what a name answers: "What event…?", "Which outlet said…?", "Which TV show was she in?"
    **dict.fromkeys("company firm publisher house team club party newspaper outlet magazine channel network broadcaster show "
                    "series programme program film movie book album song event festival award prize brand game".split(), Kind.PERSON),
}


_FULL_DATE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:of\s+)?\d{{4}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"\b(?:{_MONTH}|{_SEASON}),?\s+(?:of\s+)?\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}", re.IGNORECASE)


def strength(kind: Kind, span: str) -> float:
    """How complete an answer of `kind` the expression is: "May 15, 2012" beats "2012" for
    "when", a full name beats a lone capitalised word for "who"."""
    if kind is Kind.DATE:
        if _FULL_DATE.search(span):
            return 1.0
        if _MONTH_YEAR.search(span):
            return 0.75
        return 0.5
    if kind is Kind.PERSON:
        return 1.0 if len(span.split()) > 1 else 0.7
    if kind is Kind.PLACE:
        return ATTRIBUTIVE if _ATTRIBUTIVE_PLACE.fullmatch(span) else 1.0
    if kind is Kind.NUMBER:
        return 1.0 if re.search(r"[$£€%]|\d.*(?:million|billion|percent|years?)|\d", span, re.I) else 0.6
    return 1.0


def typed_spans(kind: Kind, sentence: str) -> list[str]:
    """Expressions in `sentence` of the kind the question asks for."""
    return list(_typed_spans(kind, sentence))


@lru_cache(maxsize=16_384)
def typed_strength(kind: Kind, text: str) -> float:
    """The most complete answer of `kind` that `text` holds (see `strength`), 0 when none."""
    return max((strength(kind, x) for x in _typed_spans(kind, text)), default=0.0)


@lru_cache(maxsize=16_384)
def _typed_spans(kind: Kind, sentence: str) -> tuple[str, ...]:
    """Cached because reranking and answering scan the same candidate sentences with these
    patterns for query after query on one story: the date pattern alone was a third of a warm
    search at 10k chunks."""
    if kind is Kind.DATE:
        return tuple(m.group() for m in DATE_RE.finditer(sentence))
    if kind is Kind.DURATION:
        return tuple(m.group() for m in DURATION_RE.finditer(sentence))
    if kind is Kind.NUMBER:
        # "September 8", "2019" and "6:00 p.m." are days, years and times, not counts or amounts
        dated = [m.span() for m in DATE_RE.finditer(sentence) if sentence[m.start() - 1 : m.start()] not in ("$", "£", "€", "¥")]
        dated += [m.span() for m in _TIME.finditer(sentence)]
        dated += [m.span() for m in _YEARS_SPAN.finditer(sentence)]
        return tuple(
            m.group() for m in NUMBER_RE.finditer(sentence)
            if not any(a <= m.start() and m.end() <= b for a, b in dated)
        )
    if kind is Kind.PLACE:
        return tuple(m.group(1) for m in PLACE_RE.finditer(sentence)) + tuple(
            m.group() for m in _ATTRIBUTIVE_PLACE.finditer(sentence) if _DEMONYM.match(sentence, m.end())
        )
    if kind is Kind.PERSON:
        names = []
        for match in NAME_RE.finditer(sentence):
            words = match.group().split()
            while words and words[0].strip(".,'’").lower() in _NOT_NAMES:
                words.pop(0)
            if len(words) == 1 and _DEMONYM.match(sentence, match.end()) and _DEMONYM_WORD.fullmatch(words[0]):
                continue  # "the Austrian author": a nationality, not the name asked for
            if words and not all(w.strip(".,'’").lower() in _NOT_NAMES for w in words):
                # "Starfall 2" is a title of its own, not "Starfall" (but "September 8" is a day)
                sequel = _SEQUEL.match(sentence, match.end())
                number = sequel.group() if sequel and words[-1].strip(".,'’").lower() not in MONTHS else ""
                names.append(" ".join(words).strip(" .,;:") + number)
        return tuple(names)
    return ()


#: the number that makes a title another work: "Starfall 2", "Hollow Tide III" (not the score of
#: "Town 2 Stenfield 1", nor "2.5", "2%")
TITLE_NUMBER = r"\s+(?:\d{1,2}|ii|iii|iv|vi)(?![\w.,:%–-]|\s*[-–]\s*\d|\s+[a-z'’]+(?:\s+[a-z'’]+)?\s+\d)"
_SEQUEL = re.compile(TITLE_NUMBER, re.IGNORECASE)
#: "a US source", "the French company": where from, said as an adjective, a vaguer answer than
#: "in Paris"
_ATTRIBUTIVE_PLACE = re.compile(r"\b(?:U\.?S\.?A?|U\.?K\.?|EU|UAE|[A-Z][a-z]+(?:ian|ean|an|ese|ish|ch))\b")
ATTRIBUTIVE = 0.6
_DEMONYM_WORD = re.compile(r"[A-Z][a-z]+(?:ian|ean|an|ese|ish|i|ch|ss|ek|ai)")
#: followed by a lower-case noun, not a verb: "Austrian author", not "Brian said" or "Julian scored"
_DEMONYM = re.compile(
    r"\s+(?!(?:is|was|has|had|will|would|can|could|may|might|must|also|then|who|and|or|to|in|on|at|for|of|with|by|from|said"
    r"|told|won|took|became|came|went|made|got|gave|left|met|ran|wrote|led|saw|put|set|hit|beat|did|does|insists|argued)\b)"
    r"[a-z]+(?<![^s]s)(?<!ed)\b"
)


def canonical(kind: Kind, span: str) -> str:
    """A key under which different spellings of one answer meet, for voting across sources:
    "July 21, 2017", "21st July" and "Jul 21" all become "7-21"."""
    text = span.lower().strip(" .,;:'’\"")
    if kind is Kind.DATE:
        month = next((i % 12 + 1 for i, m in enumerate(MONTHS[:12] + [m[:3] for m in MONTHS[:12]]) if re.search(rf"\b{m}", text)), None)
        day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", re.sub(r"\b\d{4}\b", "", text))
        year = re.search(r"\b(1[89]\d\d|20\d\d)\b", text)
        if month and day:
            return f"{month}-{int(day.group(1))}"
        if month:
            return f"{month}-{year.group(1) if year else ''}"
        return year.group(1) if year else text
    return re.sub(r"['’]s\b", "", text)
