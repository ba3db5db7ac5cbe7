"""Issue 3: short answers whose every sentence cites a dated passage; abstention; follow-ups.

These assert the behaviour the issue asks for, not wording: the answerer is being tuned.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SEEDS, run_rag

from rag.chunking import sentence_spans
from rag.corpus import Article, load
from rag.question import analyse

HARRY = "When did Harry last see Charles?"
ANSWERABLE = [
    HARRY,
    "Where is the statue of Princess Diana that Harry and William unveiled?",
    "What event will Harry attend in London on September 8?",
    "Why has William rejected a reconciliation with Harry?",
]
UNANSWERABLE = ["What is the capital of Australia?", "Who won the 2019 Nobel Prize in Chemistry?"]
MARKER = re.compile(r"\[(\d{1,2})\]")  # [2021] or [July 2021] are resolved dates, not citations
MAX_WORDS = 90  # "about 80 words"


@pytest.fixture(scope="module")
def seed_articles() -> dict[str, Article]:
    return {a.id: a for a in load([SEEDS])}


def answer_sentences(text: str) -> list[str]:
    """The answer's sentences, a trailing "[1]" kept with the sentence it cites."""
    sentences: list[str] = []
    for start, end in sentence_spans(text):
        piece = text[start:end]
        if sentences and not MARKER.sub("", piece).strip(" .!?"):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return sentences


def check_citations(answer, articles: dict[str, Article]) -> None:
    """Each citation quotes its article exactly and carries the article's date and source."""
    assert answer.citations, answer.text
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        article = articles[c.passage.doc_id]
        assert article.text[c.start:c.end] == c.text, "the cited span is the quoted sentence of the article"
        assert c.text.strip()
        assert article.text[c.passage.start:c.passage.end] == c.passage.text
        assert c.passage.start <= c.start < c.end <= c.passage.end
        assert c.passage.published == article.published.isoformat()
        assert (c.passage.title, c.passage.source) == (article.title, article.source)


@pytest.mark.parametrize("question", ANSWERABLE)
def test_every_sentence_is_cited_and_the_answer_is_short(seed_index, seed_articles, question):
    answer = seed_index.ask(question)

    assert not answer.abstained, answer.text
    check_citations(answer, seed_articles)
    sentences = answer_sentences(answer.text)
    numbers = {c.n for c in answer.citations}
    for sentence in sentences:
        cited = {int(n) for n in MARKER.findall(sentence)}
        assert cited, f"sentence without a citation: {sentence!r}"
        assert cited <= numbers, f"{sentence!r} cites a passage that is not in the citations"
    assert len(sentences) <= 3, answer.text
    assert len(MARKER.sub("", answer.text).split()) <= MAX_WORDS, answer.text


@pytest.mark.parametrize("question", [HARRY, "When did Harry last see King Charles?"])
def test_the_harry_answer_is_dated_and_newest_first(seed_index, seed_articles, question):
    """The newest report's answer leads, however the question names Charles: a nearby sentence
    with a more precise date ("September 8", the coming visit) is another answer, not a fuller
    one."""
    answer = seed_index.ask(question)

    assert not answer.abstained
    assert answer.text.startswith("February 2024"), answer.text
    check_citations(answer, seed_articles)
    dates = [c.passage.published for c in answer.citations]
    assert any(d.startswith("2025-") for d in dates) and "2021-12-03" in dates, dates
    assert dates == sorted(dates, reverse=True), "the newest report is cited first"
    older = answer.text.split("Earlier report")[-1]
    assert "funeral" in older and "April 2021" in older, "the 2021 report's own answer, its date resolved"


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_abstains_when_the_articles_do_not_say(seed_index, question):
    answer = seed_index.ask(question)

    assert answer.abstained, answer.text
    assert answer.text.strip()
    assert {int(n) for n in MARKER.findall(answer.text)} <= {c.n for c in answer.citations}


def test_the_abstention_threshold_decides_only_whether_to_answer(seed_index, monkeypatch):
    """eval/calibrate.py answers every question with the threshold at 0 and judges each threshold
    on those answers, so the threshold must not change what an answer says: a list ("What are
    their names?") or a dated answer takes only sentences that are reliable on their own."""
    from rag import answer as A

    history = [{"question": "Is Meghan going to the UK with Harry?", "answer": "No, she's staying in California."}]
    as_shipped = seed_index.ask("What are their names?", history=history)
    monkeypatch.setattr(A, "ABSTAIN_BELOW", 0.0)
    answering_everything = seed_index.ask("What are their names?", history=history)

    assert not as_shipped.abstained
    assert answering_everything.text == as_shipped.text


def test_follow_up_is_resolved_against_the_previous_question(seed_index, seed_articles):
    first = seed_index.ask(HARRY)
    as_turns = seed_index.ask("And William?", history=[{"question": HARRY, "answer": first.text}])
    as_messages = seed_index.ask(
        "And William?", history=[{"role": "user", "content": HARRY}, {"role": "assistant", "content": first.text}]
    )

    for answer in (as_turns, as_messages):
        assert answer.question == "And William?"
        resolved = answer.standalone.lower()
        assert "william" in resolved and "harry" in resolved, answer.standalone
        assert not answer.abstained, answer.text
        check_citations(answer, seed_articles)
        assert all("William" in c.text or "William" in c.passage.text for c in answer.citations)
    assert as_turns.standalone == as_messages.standalone


def test_filters_restrict_what_an_answer_may_cite(seed_index, seed_articles):
    older = seed_index.ask(HARRY, published_before="2022-01-01")
    assert not older.abstained, older.text
    check_citations(older, seed_articles)
    assert {c.passage.published for c in older.citations} == {"2021-12-03"}

    one_source = seed_index.ask(HARRY, sources=["Perez Hilton"])
    assert {c.passage.source for c in one_source.citations} <= {"Perez Hilton"}
    assert all(p.source == "Perez Hilton" for p in one_source.passages)


def test_rag_ask_shows_each_citation_with_its_date(fresh_index_path, seed_articles):
    result = run_rag("ask", HARRY, "--index", str(fresh_index_path))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    markers = {int(n) for n in MARKER.findall(lines[0])}
    assert markers
    for n in markers:
        line = next((l for l in lines[1:] if l.strip().startswith(f"[{n}]")), None)
        assert line is not None, f"citation [{n}] is not listed: {result.stdout}"
        assert re.search(r"\b(?:2021|2025)-\d\d-\d\d\b", line), f"citation without its date: {line}"


def test_rag_ask_lists_the_closest_passages_when_it_abstains(fresh_index_path):
    """Declining to quote is not hiding what was found: a near miss may say it in other words."""
    result = run_rag("ask", UNANSWERABLE[0], "--index", str(fresh_index_path))
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("The articles don't say") and lines[1].startswith("Closest passages")
    listed = [line for line in lines[2:] if line.startswith("  - ")]
    assert 1 <= len(listed) <= 3 and all(re.search(r"\b20\d\d-\d\d-\d\d\b", line) for line in listed), result.stdout


def test_rag_ask_json_with_history(fresh_index_path, seed_articles):
    history = json.dumps([{"question": HARRY, "answer": ""}])
    result = run_rag("ask", "And William?", "--history", history, "--json", "--index", str(fresh_index_path))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    data = json.loads(result.stdout)

    assert {"question", "standalone", "answer", "abstained", "warnings", "citations"} <= set(data)
    assert data["question"] == "And William?" and "william" in data["standalone"].lower()
    assert "harry" in data["standalone"].lower()
    for c in data["citations"]:
        article = seed_articles[c["doc_id"]]
        assert article.text[c["start"]:c["end"]] == c["text"]
        assert c["published"] == article.published.isoformat()
        assert f"[{c['n']}]" in data["answer"]



NEWS = [  # short wire snippets in the style of the RGB benchmark, each a trap for one rule
    {"id": "acme-2023", "text": "Acme's Q1 2023 revenue was $5.1 billion."},
    {"id": "acme-2021", "text": "That compares with revenue of $2.4 billion in Q1 2021, the firm added."},
    {"id": "zephyr-filed", "text": "Mar 3, 2014 ... now that Zephyr Quest has been released, Zephyr Quest fans want a sequel."},
    {"id": "zephyr-shops", "text": "Zephyr Quest came out on May 15, 2012."},
    {"id": "nimbus", "text": "Nimbus Racer was announced on June 3, 2008 and released on May 20, 2011."},
    {"id": "quill-cut", "text": "The Quill Prize in Poetry for 2019 is awarded to the Austrian author ..."},
    {"id": "quill-full", "text": "The 2019 Quill Prize in Poetry went to the Austrian writer Petra Holm for her collection."},
    {"id": "gala-day", "text": "The Lantern Gala raised spirits on May 3, when 400 guests came."},
    {"id": "gala-money", "text": "Organisers said the Lantern Gala brought in $2.5 million for the children's hospital."},
    {"id": "plant", "text": "Zed Corp opened a battery plant in Ohio last spring. It is understood the plant cost $40 million."},
    {"id": "harlow-soon", "text": "Jul 15, 2019 ... The winner of the 2019 Harlow Medal will be announced at the Gridiron Awards Show held on December 12, 2019."},
    {"id": "harlow-fashion", "text": "Jun 3, 2019 ... 2019 Style Awards winners: Daria Harlow, Rick Owens take top honours."},
    {"id": "harlow-won", "text": "Dec 12, 2019 ... Quarterback Joe Burrow wins Camp, O'Brien, Harlow medals."},
]


@pytest.mark.parametrize(("question", "expected", "wrong"), [
    # the year or quarter asked decides: a sentence about Q1 2023 does not answer Q1 2021
    ("What was Acme's revenue in Q1 2021?", "$2.4 billion", "$5.1 billion"),
    # a snippet's dateline is when it was filed, not when the game came out
    ("When was Zephyr Quest released?", "May 15, 2012", "March 3, 2014"),
    # of two dates, the one next to "released" answers
    ("When was Nimbus Racer released?", "May 20, 2011", "June 3, 2008"),
    # "the Austrian author" is a nationality, not the name "who" asks for
    ("Who was awarded the 2019 Quill Prize in Poetry?", "Petra Holm", "author ..."),
    # "how much money" is answered by an amount, not by a head count or a day
    ("How much money did the Lantern Gala raise?", "$2.5 million", "400 guests"),
    # a winner yet to be announced is no answer, nor is a designer whose surname is the medal's
    ("Who is the Harlow Medal winner in 2019?", "Joe Burrow", "Harlow,"),
])
def test_the_answer_is_the_one_the_question_asks_for(tmp_path, question, expected, wrong):
    index = _ingested(tmp_path, NEWS)
    answer = index.ask(question)
    lead = answer.text.split(" [1]")[0]
    assert not answer.abstained and expected in lead, answer.text
    assert wrong not in lead, answer.text


def test_a_follow_up_is_answered_by_its_own_words_not_the_context_it_borrowed(seed_index):
    """After "What kind of meeting are Harry and Charles planning?", "What are the priorities for
    it?" asks for the priorities: the earlier question's words help find the passage, but the
    answer is the sentence about priorities, not another one about the meeting."""
    answer = seed_index.ask("What are the priorities for it?", history=[{
        "question": "What kind of meeting are Harry and Charles planning?",
        "answer": "A simple face-to-face conversation between a father and son.",
    }])
    assert "meeting" in answer.standalone, "the context is borrowed for retrieval"
    assert "privacy" in answer.text.lower() and "dignity" in answer.text.lower(), answer.text


def test_a_follow_up_swaps_the_phrase_it_stands_for():
    from rag.conversation import standalone

    assert standalone("and his brother?", ["Is Harry going to see his father in September?"]) == (
        "Is Harry going to see his brother in September?"
    )
    assert standalone("And the Queen?", ["When did Harry last see the King?"]) == "When did Harry last see the Queen?"
    # "Who's" is the earlier question's opening, neither a name nor a key word
    assert standalone("And which days is it open?", ["Who's the chef at Brine?"]) == "And which days is it open? (Brine; chef)"


def test_an_it_that_points_at_nothing_is_quoted_alone(tmp_path):
    """"It is understood the plant cost…" does not point back at the sentence before it, so the
    citation quotes that sentence only; "It was released on…" would."""
    index = _ingested(tmp_path, NEWS)
    answer = index.ask("How much did Zed Corp's plant cost?")
    assert answer.citations and answer.citations[0].text == "It is understood the plant cost $40 million.", answer.text


def test_a_partial_date_is_completed_by_a_source_that_agrees(tmp_path):
    """One source says "on April 29", another "on April 29, 2015": the answer gives the year."""
    index = _index_of(tmp_path, {
        "short": "Orbit Saga X was released in Japan on April 29.",
        "full": "Orbit Saga X was published in Japan by Nintendo on April 29, 2015.",
        "other": "Orbit Saga, the first game, came out in June 2010 in Japan.",
    })
    answer = index.ask("When was Orbit Saga X released in Japan?")
    assert answer.text.startswith("April 29, 2015 [1]."), answer.text


def test_seasons_and_parts_of_a_year_are_dates():
    from rag.question import Kind, strength, typed_spans

    spans = typed_spans(Kind.DATE, "Services will not begin until the spring of 2024, after a delay announced in early 2023.")
    assert spans == ["spring of 2024", "early 2023"]
    assert strength(Kind.DATE, "spring of 2024") > strength(Kind.DATE, "early 2023")


def test_a_weekday_in_a_schedule_or_before_a_date_is_not_resolved():
    from datetime import date

    from rag.dates import annotate

    for sentence in ("The museum is open Tuesday to Sunday, and late on Thursdays.", "It opened on Saturday, 4 May 2019."):
        assert annotate(sentence, date(2019, 5, 6)) == sentence


def test_a_month_a_report_said_something_would_happen_in_is_to_come():
    """"…which it said would go on sale on May 18", in a February 2023 report, is 18 May 2023; a
    plan the report says had been made ("had said the bridge would open in April", in June) is
    the April that has passed, and "In May Harry had said he 'would love…'" is the May before."""
    from datetime import date

    from rag.dates import annotate

    assert "[18 May 2023]" in annotate("It unveiled Tessel, which it said would go on sale on May 18.", date(2023, 2, 9))
    assert "[April 2024]" in annotate("The council had said that the bridge would open in April.", date(2024, 6, 12))
    assert "[May 2025]" in annotate("In May Harry had said he would love a reconciliation.", date(2025, 8, 22))


def test_originally_asks_the_first_report_and_it_leads(tmp_path):
    """"When was Starfall 2 originally meant to come out?" is answered by the first report's
    plan ("scheduled for release in October 2018"), which leads, not by the day it finally came
    out; "the original contractor" asks no first report."""
    assert analyse("When was Starfall 2 originally meant to come out?").earliest
    assert not analyse("Which firm finished the stadium after the original contractor collapsed?").earliest
    index = _ingested(tmp_path, [
        {"id": "plan", "published": "2017-02-08", "text": "Starfall 2 is scheduled for release in October 2018, the studio said."},
        {"id": "review", "published": "2020-06-23", "text": "After a delay of almost two years, Starfall 2 finally arrived on Tuesday."},
    ])
    answer = index.ask("When was Starfall 2 originally meant to come out?")
    assert answer.text.startswith("October 2018") and "Latest report" not in answer.text, answer.text


def test_a_resolved_date_follows_its_possessive(tmp_path):
    """"Tuesday's [1 October 2024] rush hour" reads as English; "Tuesday [1 October 2024]'s" does not."""
    from datetime import date

    from rag.dates import annotate

    said = annotate("A tram came off the rails during Tuesday's evening rush hour, the worst this year’s seen.", date(2024, 10, 2))
    assert said == "A tram came off the rails during Tuesday's [1 October 2024] evening rush hour, the worst this year’s [2024] seen.", said
    index = _ingested(tmp_path, [{"id": "tram", "published": "2024-10-02", "text":
        "Three people were taken to hospital after a tram came off the rails during Tuesday's evening rush hour."}])
    answer = index.ask("When did the tram come off the rails?")
    assert answer.text.startswith("October 1, 2024 [1].") and "Tuesday's [1 October 2024] evening" in answer.text, answer.text


@pytest.mark.parametrize(("sentence", "published", "resolved"), [
    # a month after the publication month is last year's in a report of the past ...
    ("The statue was unveiled in July.", "2021-03-02", "July 2020"),
    # ... and this year's when the sentence looks ahead, however it says so
    ("Harry is headed across the pond in two weeks for the awards in London on September 8.", "2025-08-22", "8 September 2025"),
    ("The summit is expected in October.", "2025-08-22", "October 2025"),
    # a weekday is that day of the week the report was filed, or of the next when it looks ahead
    ("Hester Quillon died on Tuesday at a care home.", "2023-01-20", "17 January 2023"),
    ("The team will parade the trophy on Monday afternoon.", "2023-05-21", "22 May 2023"),
    ("She does not formally take office until Monday.", "2024-05-18", "20 May 2024"),
    ("The operator said it did not expect trains to run again before Friday.", "2023-10-03", "6 October 2023"),
    # a weekday's own clause says past or future, not the sentence's other clause
    ("The first train was unveiled at the works on Tuesday, but services will not begin until the spring of 2024.",
     "2023-02-15", "14 February 2023"),
    ("Line 2 will remain closed between Eastgate and the Harbour interchange until at least Friday.", "2024-10-02",
     "4 October 2024"),
    # the day may come before the month
    ("The raid took place shortly after 10am on 14 February.", "2023-10-16", "14 February 2023"),
])
def test_a_month_without_a_year_takes_its_year_from_the_article(sentence, published, resolved):
    from datetime import date

    from rag.dates import resolve

    assert [label for *_, label in resolve(sentence, date.fromisoformat(published))] == [resolved]


def test_when_will_is_answered_by_a_plan_and_when_did_by_what_happened(seed_index):
    """Dates after their report are plans: they answer "When will…?", never "When did…?"."""
    will = seed_index.ask("When will Harry see Charles?")
    assert will.text.startswith("September") and "2025" in will.text.split("[1]")[0], will.text
    did = seed_index.ask("When did Harry last see King Charles?")
    assert "September 8" not in did.text.split("[1]")[0], did.text


@pytest.mark.parametrize(("expression", "expected"), [
    ("8 September 2025", 1), ("September 2025", 1), ("2026", 1),
    ("August 2025", 0), ("2025", 0), ("May 3", 0),  # as precise as it says; no year, no side
    ("August 1, 2025", -1), ("February 2024", -1),
])
def test_a_date_lies_before_or_after_its_report(expression, expected):
    from datetime import date

    from rag.dates import side

    assert side(expression, date(2025, 8, 22)) == expected


def test_a_follow_up_keeps_the_earlier_names_apart_and_its_year():
    """Names borrowed from the earlier turn stay separate names, not one long one, and a year
    that scoped the earlier question scopes the follow-up."""
    from rag.conversation import standalone
    from rag.question import analyse

    rewritten = standalone("where did they meet?", [{
        "question": "Who took part in the secret peace summit?",
        "answer": "Meredith Maines met Tobyn Andreae, the King's communications secretary.",
    }])
    assert {"meredith maines", "tobyn andreae"} <= set(analyse(rewritten).names), rewritten
    assert "2021" in standalone("And after that?", ["As of late 2021, when had Harry and Charles last met?"])


def test_part_of_a_name_names_it_even_with_an_apostrophe():
    """News says "Valhalla" after the first "Assassin's Creed Valhalla", as it says "Macron"."""
    from rag.answer import _named

    assert _named("assassin's creed valhalla", "valhalla was released on november 10, 2020.") == 0.75
    assert _named("emmanuel macron", "macron won.") == 0.75
    assert _named("diablo 3", "diablo was a disaster.") == 0.0  # "Diablo" alone is another game
    from rag.answer import _plain

    assert _named("xenoblade chronicles 2", _plain("Digital. Xenoblade Chronicles™ 2 Expansion Pass")) == 1.0


def test_an_announced_date_answers_when_it_happened(tmp_path):
    """A report written before a launch gives its date to come; "When was it released?" is
    answered by it (only "When did they last…?" refuses a date after its report)."""
    index = _ingested(tmp_path, [{
        "id": "orbit", "title": "Orbit Phone 11 announced", "source": "wire", "published": "2019-08-01",
        "text": "Kepler unveiled the Orbit Phone 11 on Thursday. The Orbit Phone 11 will be released on September 20.",
    }])
    answer = index.ask("When was the Orbit Phone 11 released?")
    assert answer.text.startswith("September 20, 2019"), answer.text


def _ingested(tmp_path, articles: list[dict], **common):
    """A fresh index of `articles` (id and text; title, source and date default to none, or to
    `common`), ingested from a JSONL corpus the way a user adds one."""
    from rag import Index

    tmp_path.mkdir(parents=True, exist_ok=True)  # a test may build a second index in a folder of its own
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("\n".join(
        json.dumps({"title": "", "source": "wire", "published": None, **common, **a}) for a in articles
    ) + "\n")
    index = Index.open(tmp_path / "index")
    index.ingest([corpus])
    return index


def _index_of(tmp_path, texts: dict[str, str]):
    """A fresh index of undated articles, `texts` by id."""
    return _ingested(tmp_path, [{"id": i, "text": t} for i, t in texts.items()])


def test_a_name_shortened_to_its_last_word_is_the_one_asked_about(tmp_path):
    """After "Rune Saga Valhalla", news writes "Valhalla": that sentence says the whole name, and
    its release date beats a later store launch that spells the name out."""
    index = _index_of(tmp_path, {
        "steam": "Rune Saga Valhalla will arrive on Steam on December 6th.",
        "launch": "Valhalla was released for PlayStation 4, Windows, Xbox One and Stadia on November 10, 2020.",
        "vikings": "Rune Saga Valhalla is a game about Vikings.",
    })
    answer = index.ask("When was Rune Saga Valhalla released?")
    assert answer.text.startswith("November 10, 2020"), answer.text


def test_a_bare_value_is_read_with_the_label_before_it(tmp_path):
    """A product page says "Orbit Tales 2 release date. December 1, 2017 ...": the bare date is
    quoted with the label that says what it is (alone, it would look like a snippet's dateline)."""
    index = _index_of(tmp_path, {
        "shop": "Digital. Orbit Tales 2 Expansion Pass Bundle ... Orbit Tales 2 release date. December 1, 2017 ...",
        "dlc": "The expansion came out on September 14, 2018.",
    })
    answer = index.ask("When was Orbit Tales 2 released?")
    assert answer.text.startswith("December 1, 2017"), answer.text
    assert answer.citations[0].text.startswith("Orbit Tales 2 release date."), answer.citations[0].text


def test_the_next_item_of_a_list_is_read_with_the_sentence_before_it():
    """A snippet's "· Revenue: $6.04 billion vs. $5.37 ..." continues what the sentence before it
    introduced ("Tesla reports fourth straight quarter of profits")."""
    from rag.answer import _bare

    assert _bare("· Revenue: $6.04 billion vs. $5.37 ...") and _bare("December 1, 2017 ...")
    assert not _bare("Revenue rose to $6.04 billion in the quarter.")


def test_a_where_question_is_not_answered_without_a_place(tmp_path):
    """The articles say when they met, not where: no sentence holds a place, so we abstain
    rather than quote the date."""
    index = _index_of(tmp_path, {
        "met": "Senator Adele Quill and Governor Boris Lind have not met since February 2024, aides said.",
        "talks": "Quill and Lind are expected to hold talks next month.",
    })
    assert index.ask("Where did Adele Quill and Boris Lind meet in February 2024?").abstained
    assert not index.ask("When did Adele Quill and Boris Lind last meet?").abstained


OBITUARY = ("Hedda Marlowe, who ran the Harrowgate Museum for 22 years, has died. She was 81. "
            "Her family announced her death in a statement on Saturday but did not give a cause.")


def test_a_report_that_says_it_is_not_known_is_the_articles_not_saying(tmp_path):
    """"Her family did not give a cause" answers "What did she die of?" with: the articles don't
    say, and here is the report saying so. It still answers how old she was, or whether the
    family said what she died of."""
    index = _ingested(tmp_path, [{"id": "obit", "title": "Hedda Marlowe dies at 81", "source": "wire", "published": "2024-08-19",
                                 "text": OBITUARY}])
    answer = index.ask("What was the cause of Hedda Marlowe's death?")
    assert answer.abstained and answer.text.startswith("The articles don't say"), answer.text
    assert "[1]" in answer.text and "did not give a cause" in answer.citations[0].text
    assert not index.ask("How old was Hedda Marlowe?").abstained
    assert not index.ask("Did the family say what Hedda Marlowe died of?").abstained


def test_the_party_points_back_like_it(tmp_path):
    """"The party now holds five seats" says how many seats the party named just before holds."""
    index = _index_of(tmp_path, {
        "vote": "Kessford's 11-member city council was reshaped, and the Civic Alliance lost its majority. "
                "The party now holds five seats, down from seven.",
    })
    answer = index.ask("How many council seats does the Civic Alliance hold after the Kessford vote?")
    assert "five seats" in answer.text and "Civic Alliance" in answer.citations[0].text, answer.text


def test_a_word_capitalised_only_for_opening_the_sentence_is_no_name():
    from rag.answer import _opening_word

    article = "Both sides had chances. Despite the rain, the final went on; despite everything, Selbury won."
    assert _opening_word("Both", "Both sides had chances.", article)  # a function word
    assert _opening_word("Despite", "Despite the rain, the final went on.", article)  # written in lower case too
    assert not _opening_word("Selbury", "Selbury won.", article)
    assert not _opening_word("Both", "The final went to Both.", article)  # not where a sentence opens


def test_places_on_an_island_and_not_on_a_day():
    from rag.question import Kind, typed_spans

    assert typed_spans(Kind.PLACE, "Born in 1934 on Skerrin Island, she met him on Tuesday in London on September 8.") == [
        "Skerrin Island", "London",
    ]


def test_a_country_said_as_an_adjective_answers_where(tmp_path):
    index = _index_of(tmp_path, {
        "source": "A US source told the Daily Lantern there was now a determination on both sides.",
        "paper": "The Daily Lantern reported the talks on Thursday.",
    })
    answer = index.ask("Where was the Daily Lantern's source based?")
    assert not answer.abstained and "US source" in answer.text, answer.text


def test_an_age_is_read_by_its_form(tmp_path):
    """News gives ages as "Falk, 61," or "a 54-year-old woman", without the word "old": such a
    number answers "How old…?", and other numbers in the same story do not."""
    index = _index_of(tmp_path, {
        "ceo": "Chief Executive Dorian Falk will step down in September after 11 years in charge. "
               "Falk, 61, said he was leaving to spend more time with his family. Veltrana shares fell 6.2 percent.",
        "storm": "The body of a 54-year-old woman swept from the harbour wall was recovered, one of 19 injured.",
    })
    answer = index.ask("How old is Dorian Falk?")
    assert not answer.abstained and "Falk, 61" in answer.text and "11 years" not in answer.text, answer.text
    answer = index.ask("How old was the woman swept from the harbour wall?")
    assert "54-year-old" in answer.citations[0].text, answer.text
    # and an age is no amount: "Falk, 61, said…" does not say by how much anything fell
    answer = index.ask("By how much did Veltrana stock drop after Falk said he was leaving?")
    assert "61" not in answer.text, answer.text


def test_a_measure_is_read_by_its_units(tmp_path):
    """"How strong was the wind?" asks for a speed: "12 coastal towns" and "24 hours" are no answer,
    "148 km/h" is, though no word of the question stands beside it."""
    index = _index_of(tmp_path, {
        "storm": "Storm Ingrid hit 12 coastal towns on Saturday, the strongest storm in twenty years, officials said. "
                 "Gusts from Storm Ingrid of up to 148 km/h tore off roofs, and it dropped 96 millimetres of rain in 24 hours at Kilbride.",
        "power": "About 38,000 homes were without electricity after Storm Ingrid.",
    })
    answer = index.ask("How strong did the wind get when Storm Ingrid hit?")
    assert "148 km/h" in answer.text and "12 coastal" not in answer.text, answer.text
    answer = index.ask("How much rain fell at Kilbride during Storm Ingrid?")
    assert "96 millimetres" in answer.text, answer.text


@pytest.mark.parametrize(("question", "asks"), [
    ("How strong did the wind get when the storm hit?", "148 km/h"),
    ("How far is Aveline from Dunmarsh?", "118 kilometres"),
    ("What percentage of the vote did Okafor win?", "52.4 percent"),
    ("What share of the vote did the new mayor get?", "51.3%"),
    ("What range does the train have on a full charge?", "130 km"),
    ("By how much did shares fall?", "6.2%"),
    ("By how much did the budget grow?", "$12 million"),
    ("How much did they raise the offer by?", "45p"),
    ("How long will the Skelvey bypass be?", "6.8 km"),
    ("In percentage terms, how far did revenue drop in the first quarter?", "18.6 per cent"),
    # no measure: a degree, an economic level, a strength of demand
    ("How far over the legal limit was the toluene?", None),
    ("How high did inflation climb?", None),
    ("How strong was demand in the quarter?", None),
])
def test_the_units_a_question_asks_in(question, asks):
    from rag.question import analyse

    q = analyse(question)
    assert (q.measure is not None) == (asks is not None)
    if asks:
        number = re.match(r"\$?[\d.,]+", asks).group()
        assert q.measured(number, asks[len(number):])
        assert not q.measured("12", " years")


def test_a_scoreline_counts_nothing_and_a_crowd_is_how_many_watched(tmp_path):
    """"Beating Ferncliff 4-3" answers no "how many"; "a record crowd of 23,905" is how many
    people watched, though it says neither "people" nor "watched"."""
    index = _index_of(tmp_path, {
        "final": "Brackwater Rovers won the 2023 Coastal Shield final at Meridian Park, beating Ferncliff United 4-3 on penalties. "
                 "Goalkeeper Luis Ferrante saved two spot-kicks in the 2023 Coastal Shield final to send the Brackwater fans in a record crowd of 23,905 into delirium.",
    })
    answer = index.ask("How many people watched the 2023 Coastal Shield final?")
    assert "23,905" in answer.text and "4-3" not in answer.text, answer.text
    answer = index.ask("What was the score in the 2023 Coastal Shield final?")
    assert "4-3" in answer.text, answer.text


def test_the_score_asked_is_not_one_on_the_way(tmp_path):
    """"What was the final score?" is "beating Porthlow 27-20", not "came from 13-6 down at
    half-time"."""
    from rag.answer import _INTERIM

    assert _INTERIM.match(" down at half-time") and _INTERIM.match(", and led at the break")
    assert not _INTERIM.match(" in a tense final") and not _INTERIM.match(" to move into third place")
    index = _ingested(tmp_path, [{
        "id": "final", "title": "Easterby end long wait for county cup", "published": "2023-04-23",
        "text": "Easterby RFC won the Brennick County Cup for the first time since 2016 on Saturday, beating holders Porthlow "
                "RFC 27-20 in a tense final at Wendside Park.\n\nA crowd of 5,240, a record for the final, watched the home "
                "side come from 13-6 down at half-time on 22 April 2023, with two second-half tries from winger Josh Adeyemi.",
    }])
    answer = index.ask("What was the final score in the 2023 Brennick County Cup final?")
    assert "27-20" in answer.text.split("[1]")[0], answer.text
    from rag.question import analyse

    assert analyse("how many ppl went to the festival in 2023").form and not analyse("How many people died?").form
    crowd = analyse("how many ppl went to the festival in 2023").form[1]
    assert [m.group(2) for m in crowd.finditer("It drew 186,000 visitors over four nights.")] == ["186,000"]


def test_a_margin_is_what_it_was_won_by(tmp_path):
    from rag.question import Kind, analyse, recase

    q = analyse("By what margin did the new mayor win?")
    assert q.kind is Kind.NUMBER and recase(q, ["She won by 325 votes."]).names == ()  # "By" only opens it
    assert [g for m in q.form[1].finditer("unseating Martin Deverell by just 325 votes") for g in m.groups() if g] == ["325"]
    said = [g for m in q.form[1].finditer("came second with 12,951 votes, a margin of 1,257") for g in m.groups() if g]
    assert said == ["1,257"]
    index = _index_of(tmp_path, {
        "count": "Turnout was 34.6 per cent, up from 29.1 per cent at the last mayoral election in 2020. "
                 "Ruth Abernathy-Kwame, a former head teacher, will be the new mayor of Port Ellery. "
                 "The new mayor won the count, unseating Martin Deverell by just 325 votes.",
    })
    for question in ("By what margin did the new mayor win?", "By how many votes did Ruth Abernathy-Kwame win?"):
        answer = index.ask(question)
        assert "325 votes" in answer.text and "34.6" not in answer.text, (question, answer.text)


def test_a_change_is_answered_by_a_number_that_moved_that_way(tmp_path):
    """"By how much did the share price rise?" is answered by "closed up 6.8 percent", not by
    "had fallen 18 percent", nor by where something rose to or from."""
    index = _index_of(tmp_path, {
        "results": "Skelde Foods' operating profit rose to 412 million crowns from 338 million. "
                   "Skelde's share price had fallen about 18 percent last year. "
                   "On Thursday Skelde's shares closed up 6.8 percent at 184.20 crowns.",
    })
    answer = index.ask("By how much did Skelde's share price rise on Thursday?")
    assert "6.8 percent" in answer.text and "18 percent" not in answer.text, answer.text
    from rag.question import analyse

    assert [analyse(q).direction for q in (
        "By how much did the stock drop?", "how much more sleep did teens get?", "What pay rise did they accept?", "How much rain fell?",
        "How much money did the gala raise?", "By how much will the council's Band D charge go up?",
    )] == [-1, 1, 0, 0, 0, 1]
    from rag.answer import _moved

    # the word after the number says more than a verb before it: asleep faster is no fall
    assert [_moved(x, s) for x, s in [
        ("14", "They fell asleep 14 minutes faster."), ("6.2 percent", "Shares fell 6.2 percent on Thursday."),
        ("22 percent", "It reported a 22 percent rise in profit."), ("$530 million", "Net income was $530 million."),
    ]] == [1, -1, 1, 0]


def test_numbers_that_are_ages():
    from rag.question import AGE_RE

    def ages(text: str) -> list[str]:
        return [a for m in AGE_RE.finditer(text) for a in m.groups() if a]

    assert ages("with their kids, Prince Archie, 6, and Princess Lilibet, 4.") == ["6", "4"]
    assert ages("a 71-year-old man, aged 71; she was 81.") == ["71", "71", "81"]
    assert ages("The boat is about 3,100 years old.") == ["3,100"]
    assert ages("She has died at the age of 85. He died at 91 in his sleep.") == ["85", "91"]
    assert ages("He died at 3pm; the clock stopped at 10.30.") == []
    assert ages("In 2021, 12 people were hurt; revenue was 12 percent higher; he was 3 percent down.") == []


@pytest.mark.parametrize("question", [HARRY.lower(), "when did harry last see king charles"])
def test_a_question_typed_in_lower_case_is_answered_like_the_capitalised_one(seed_index, question):
    """Names are recognised by how the articles write them when the question has no capitals."""
    answer = seed_index.ask(question)
    assert answer.text.startswith("February 2024"), answer.text


def test_names_of_a_question():
    from rag.question import analyse, recase

    assert analyse("And William?").names == ("william",)
    assert analyse("How old are Harry's kids?").names == ("harry",)
    assert analyse("Where did they meet in February 2024?").names == ()
    assert analyse("What was Tesla's revenue in Q2 2020?").names == ("tesla",)  # a quarter is no name
    assert analyse("As of December 2021, when did Harry leave?").names == ("harry",)
    texts = ["Prince Harry met King Charles. Harry came back. Charles and Harry talked."]
    assert recase(analyse("how old are harry's kids now?"), texts).names == ("harry",)
    assert recase(analyse("Back in 2021, who said Charles and Harry met?"), texts).names == ("charles", "harry")
    # a follow-up after a lower-case question: its borrowed context is read the same way, and two
    # names side by side stay two
    assert recase(analyse("What are the priorities for it? (kind meeting harry charles planning)"), texts).names == ("harry", "charles")
    # whole words only ("Harrying" is not "Harry"), and a text whose lower case is longer
    # ("İstanbul") is read the same way
    assert recase(analyse("when did harry leave?"), ["The harrying went on. Harrying stopped."]).names == ()
    assert recase(analyse("when did harry leave istanbul?"), ["In İstanbul, Prince Harry met Charles."]).names == ("harry", "istanbul")


def test_a_photo_caption_does_not_answer_what_was_said(tmp_path):
    """A caption names the people and the event the question names, and says nothing about it."""
    index = _index_of(tmp_path, {
        "story": "Mayor Adele Quill and Chief Boris Lind during their press conference at City Hall in March 2021\n\n"
                 "But what followed was a slew of allegations. In their March 2021 press conference Quill and Lind "
                 "claimed the budget had been cut in half and that the police had been left without radios.",
    })
    answer = index.ask("What did Adele Quill and Boris Lind allege in their press conference?")
    assert "budget" in answer.text, answer.text


def test_what_someone_does_for_a_living_is_said_beside_their_name(tmp_path):
    """"What did she do for a living?" is answered where news says it beside her name ("the
    Fellside primary school teacher who vanished"), not by the sentences that tell her story."""
    from rag.question import JOB, analyse

    assert analyse("What did Lena Marrish do for a living before she went missing?").job
    assert analyse("What was Ruth Abernathy-Kwame's job before she ran for mayor?").job
    assert not analyse("What did Lena Marrish do after she went missing?").job
    assert JOB.search("Tomos Fairweather, 27, a marine engineer, became the youngest member")
    assert not JOB.search("He was a member of the club.")
    assert analyse("What position did Dorian Vell hold at the trust?").job
    assert JOB.search("He joined the trust in 1998 and became its finance director in 2003.")
    index = _index_of(tmp_path, {
        "missing": "Lena Marrish went missing in November after a night out in Corrow, and police said her car was found "
                   "in a lay-by.\n\nLena Marrish, the Fellside primary school teacher who vanished after the night out, "
                   "has been found safe and well.\n\nPolice said Lena Marrish had been living in Port Callow under a "
                   "different name before she was found.",
    })
    answer = index.ask("What did Lena Marrish do for a living before she went missing?")
    assert "teacher" in answer.text, answer.text


def test_a_why_question_is_answered_by_the_sentence_that_gives_a_reason(tmp_path):
    """The lead tells what happened in the question's own words; the reason comes later, marked
    as one ("because", "caused by", "failed to")."""
    from rag.question import CAUSE, analyse

    assert analyse("Why is Edvin Rask stepping down?").why
    assert analyse("On what grounds did the court overturn it?").why
    assert not analyse("What did Edvin Rask say?").why
    assert CAUSE.search("The delay was due to a fault.") and CAUSE.search("as he did not know how long he had")
    assert CAUSE.search("This is an observational study, so it cannot prove that walking protects the brain.")
    assert not CAUSE.search("So far the council has spent £2 million, so much more than planned.")
    # a plan gives a date, not a reason
    assert not CAUSE.search("The consultation is due to end in April.") and not CAUSE.search("It was to be held in May.")
    assert not CAUSE.search("Because of this, there is hope they will meet.")  # points back, gives no reason
    assert analyse("What is the main reason patients are waiting so long?").why
    assert CAUSE.search("She said the main cause was a shortage of places in care homes.")
    assert CAUSE.search("She said automation on the assembly lines meant the factory needed fewer people.")
    assert not CAUSE.search("The factory was meant to open in 2017.") and not CAUSE.search("The film is meant for children.")
    index = _index_of(tmp_path, {
        "rask": "Harlow Biscuits said on Monday that its chairman Edvin Rask is stepping down from the board in March "
                "after nine years in the role, as the company reported a rise in yearly sales.\n\n"
                "Rask said he had decided to go because he wanted to give his time to the charity he founded.\n\n"
                "The company named finance chief Ola Brenn as his successor.",
        "line": "The Kell Valley line will not open in May as planned, the operator said on Friday. The line's opening was "
                "put back because faults were found in its signalling software during trials.",
    })
    answer = index.ask("Why is Edvin Rask stepping down?")
    assert "charity" in answer.text, answer.text
    answer = index.ask("Why won't the Kell Valley line open in May?")
    assert "signalling software" in answer.text, answer.text
    index = _index_of(tmp_path / "waits", {
        "waits": "Fewer than two-thirds of patients at Porthlow General Hospital's emergency department were seen within "
                 "four hours in October, according to figures published by the trust on Tuesday.\n\n"
                 "Dr Fiona Caddick, the trust's chief executive, said the main cause was a shortage of places in care homes, which left patients waiting for beds.",
    })
    answer = index.ask("According to the trust's chief executive, what is the main reason patients at Porthlow General are waiting so long?")
    assert "care homes" in answer.text, answer.text


def test_a_labelled_caption_and_a_photo_credit_answer_little(tmp_path):
    """"Photo caption: …" is a caption however it ends, and "(SCSW/Nadia Orsk)" names who took
    the picture: it answers who took it, and no other "who"."""
    index = _index_of(tmp_path, {
        "train": "The Tidewater train can travel up to 130 km on a single charge, Corvane Rail said.\n\n"
                 "Photo caption: The first Tidewater battery train at the Corvane Rail works in Kellbridge on Tuesday. (TVT/Nadia Orsk)",
        "final": "Brackwater Rovers won the Coastal Shield on Saturday.\n\nPhoto caption: Fans at Meridian Park. (SCSW/Per Aalto)",
    })
    answer = index.ask("What range does the Tidewater battery train have on a full charge?")
    assert "130 km" in answer.text, answer.text
    answer = index.ask("Who won the Coastal Shield?")
    assert "Aalto" not in answer.text and "Brackwater" in answer.text, answer.text
    answer = index.ask("Who took the photo of the fans at Meridian Park?")
    assert "Per Aalto" in answer.text, answer.text


def test_a_year_that_bounds_the_answer_is_not_the_year_asked_about(tmp_path):
    """"Before 2023, when had they last won?" asks about no event of 2023: "on Saturday" in the
    2023 report is too late, "in 1998" is the answer."""
    from rag.question import analyse

    q = analyse("Before 2023, when had Brackwater Rovers last won the Coastal Shield?")
    assert (q.years, q.bounds, q.numbers) == ((), (("2023", -1),), ())
    assert analyse("What happened after 2020 and in 2021?").bounds == (("2020", 1),)
    index = _ingested(tmp_path, [{
        "id": "final", "title": "Brackwater end 25-year wait", "source": "wire", "published": "2023-06-11",
        "text": "Brackwater Rovers won the Coastal Shield on Saturday, beating Ferncliff United on penalties. "
                "Brackwater's previous Shield title came in 1998, against Selbury in a replay.",
    }])
    answer = index.ask("Before 2023, when had Brackwater Rovers last won the Coastal Shield?")
    assert "1998" in answer.text and "on Saturday" not in answer.text, answer.text


@pytest.mark.parametrize(("question", "recency"), [
    ("how many ppl died in the storm in the end?", True),
    ("What pay rise did the drivers end up accepting?", True),
    ("Who eventually won?", True),
    ("Who won the cup final?", False),
    ("what's the final price Brannock agreed to pay?", True),
])
def test_what_asks_for_the_latest_state(question, recency):
    from rag.question import analyse

    assert analyse(question).recency is recency


@pytest.mark.parametrize(("question", "tense"), [
    ("When will they come back?", "future"),
    ("So when might they come back to the UK?", "future"),
    ("When did they last meet?", "past"),
    ("The launch got pushed back - when is it actually shipping?", "future"),
    # "When does she take over?" asks when a scheduled thing happens, as news tells it
    ("When does she take over?", "future"),
    # a plan asked of the past is still a plan: its date came after the report that gave it
    ("When was Starfall 2 originally meant to come out?", "future"),
    ("Which year's final was the stadium supposed to be ready for?", "future"),
    ("Where is the statue?", ""),
])
def test_the_tense_a_question_asks_in(question, tense):
    from rag.question import analyse

    assert analyse(question).tense == tense


@pytest.mark.parametrize(("question", "kind"), [
    ("When did Harry last see Charles?", "DATE"),
    ("How strong did the wind get when the storm hit?", "NUMBER"),
    ("How fast was the train going?", "NUMBER"),
    ("What pay rise did the drivers accept?", "NUMBER"),
    ("Which mayoral candidate had been the traders' lawyer?", "PERSON"),
    ("Where is the statue?", "PLACE"),
    ("what was voter turnout in the kessford election", "NUMBER"),
    ("what proportion of the flats will be affordable housing", "NUMBER"),
    ("What range does the battery train have on a full charge?", "NUMBER"),
    ("What sentence did he get?", "DURATION"),
    ("What did William say in his speech?", "OTHER"),
    ("What did they say when they left?", "OTHER"),
    # the noun right after "what" is the one asked for, not a later one
    ("On what grounds did the judge find the closure unlawful?", "OTHER"),
    ("What offence was the finance director found guilty of?", "OTHER"),
    ("What share of the vote did the new mayor get?", "NUMBER"),
    ("What's the latest estimate of what the railway will cost?", "NUMBER"),
    ("What was Tesla's revenue in Q2 2020?", "NUMBER"),
    ("what % of the vote did the green candidate get", "NUMBER"),
    ("What's the latest figure for how much was stolen?", "NUMBER"),
    # a name answers what event, which outlet, which company
    ("What event is Harry flying to London for?", "PERSON"),
    ("Which outlet said Charles and Harry were talking again?", "PERSON"),
    ("What will a Band D household pay in council tax?", "OTHER"),
    # after "did", "does", "will"… the person named is the one doing it, not the one asked for
    ("What did the company first want to raise it to?", "NUMBER"),
    ("What does the new owner plan to make at the mill?", "OTHER"),
    ("What did the judge say about the closure?", "OTHER"),
    ("What did the workers name the tunnel boring machine?", "PERSON"),
    ("What company did she found in 2019?", "PERSON"),
    ("What did the price rise to?", "NUMBER"),
    # a leading clause sets the scene; the question is the one after it
    ("When the line was approved in 2018, how long was the journey expected to take?", "DURATION"),
    ("After the merger, who ran the company?", "PERSON"),
])
def test_the_kind_of_answer_a_question_asks_for(question, kind):
    from rag.question import analyse

    assert analyse(question).kind.name == kind


def test_cents_and_pence_are_money():
    from rag.question import MONEY_RE, Kind, typed_spans

    spans = typed_spans(Kind.NUMBER, "The fare rises by 10 cents per journey; the pass by 40 pence.")
    assert spans == ["10 cents", "40 pence"] and all(MONEY_RE.search(x) for x in spans)


def test_a_time_of_day_is_not_a_count():
    from rag.question import Kind, typed_spans

    assert typed_spans(Kind.NUMBER, "Earnings call at 6:00 p.m.; doors open at 10 a.m. for 5,000 people.") == ["5,000"]
    assert typed_spans(Kind.NUMBER, "Shares closed at 12.50, up 3.75%.") == ["12.50", "3.75%"]


def test_a_duration_is_not_a_rate():
    from rag.question import Kind, typed_spans

    assert typed_spans(Kind.DURATION, "The strike ended after three days; the deal costs $14 million a year.") == ["three days"]
    assert typed_spans(Kind.DURATION, "Trams carried 40,000 passengers a day for a week.") == ["for a week"]


def test_another_quarter_than_the_one_asked_is_no_answer(tmp_path):
    """"Q1" and "first quarter" are one quarter; a sentence about the second quarter does not
    answer a question about the first, however well it matches otherwise."""
    index = _index_of(tmp_path, {
        "q2": "Revenue at Orbis Mining for the second quarter of 2024 rose 18 percent to $4.5 billion.",
        "q1-2023": "Orbis Mining's Q1 2023 revenue was $3.1 billion.",
    })
    assert index.ask("What was Orbis Mining's revenue in Q2 2024?").text.startswith("Revenue at Orbis")
    assert "$3.1 billion" in index.ask("What was Orbis Mining's revenue in the first quarter of 2023?").text
    assert index.ask("What was Orbis Mining's revenue in the first quarter of 2024?").abstained
    # a quarter is also named by its months: "the July to September quarter", "the three months to the end of June"
    from rag.question import quarters

    assert quarters("in the July to September quarter of 2023") == {"q3"} == quarters("the third quarter")
    assert quarters("the three months to the end of June") == {"q2"} and quarters("the final three months of 2024") == {"q4"}
    assert "$4.5 billion" in index.ask("How much revenue did Orbis Mining make in the three months to the end of June 2024?").text


def test_the_opposite_extreme_is_no_answer(tmp_path):
    """"The tallest of the five blocks has 11 storeys" says nothing of the shortest."""
    index = _index_of(tmp_path, {
        "plans": "Under the revised plans for Gantry Wharf, the tallest of the five blocks has been cut from 14 storeys to 11.",
    })
    assert index.ask("How many storeys will the shortest of the Gantry Wharf blocks be?").abstained
    assert "11" in index.ask("How many storeys will the tallest of the Gantry Wharf blocks be?").text


def test_a_sentence_without_a_year_tells_of_its_reports_year(tmp_path):
    """A 2022 report's "A crowd of 41,200 watched the final" is about 2022, not the 2021 final."""
    index = _ingested(tmp_path, [{
        "id": "final-2022", "title": "Rovers win the Ardent Cup", "source": "wire", "published": "2022-05-15",
        "text": "Northgate Rovers won the Ardent Cup on Saturday, beating Ashby Town 2-1 in the final. "
                "A crowd of 41,200 watched the final at Linden Park.",
    }])
    assert "41,200" in index.ask("How many spectators watched the 2022 Ardent Cup final?").text
    assert index.ask("How many spectators watched the 2021 Ardent Cup final?").abstained


def test_two_numbers_from_reports_of_different_dates_are_not_a_disagreement(tmp_path):
    """Sentences give different numbers because they count different things; only a question
    about the latest state ("according to the latest figures") leads with the newest report."""
    index = _ingested(tmp_path, [
        {"id": "opening", "published": "2019-05-06", "text": "The Harrowgate Museum's new wing displays 1,400 works of maritime art."},
        {"id": "year-on", "published": "2020-05-10", "text": "The Harrowgate Museum's new wing welcomed 90,000 visitors of maritime art in its first year."},
    ], title="Harrowgate Museum")
    answer = index.ask("How many works of maritime art does the Harrowgate Museum's new wing display?")
    assert "1,400" in answer.text and len(answer.citations) == 1, answer.text


@pytest.mark.parametrize(("question", "previous", "expected"), [
    ("And the year before?", "Who won the Ardent Cup in 2023?", "Who won the Ardent Cup in 2022?"),
    ("what about two years earlier?", "Who won the 2021 Tour de France?", "Who won the 2019 Tour de France?"),
    ("And for the same quarter a year later?", "What was Veltrana's revenue in Q2 2023?", "What was Veltrana's revenue in Q2 2024?"),
    ("How many fans watched the final the following year?", "Who won the Ardent Cup in 2021?",
     "How many fans watched the final the following year? (Ardent Cup; won 2022)"),
    # and the quarter
    ("What about the second quarter?", "What revenue did Skelde Foods report for Q1 2023?",
     "What revenue did Skelde Foods report for the second quarter 2023?"),
])
def test_a_follow_up_moves_the_year_it_names(question, previous, expected):
    from rag.conversation import standalone

    assert standalone(question, [previous]) == expected


def test_the_latest_figure_is_the_new_value_not_the_one_it_replaced(tmp_path):
    """A later report gives the old value beside the new one: "revised their earlier figure of
    12", "has risen to 19". Asked for the latest figure, the answer leads with the new value."""
    index = _ingested(tmp_path, [
        {"id": "first", "published": "2022-02-05", "text": "Storm Helka hit the coast on Saturday. County officials said 12 people "
                                                          "had been injured, three of them seriously."},
        {"id": "update", "published": "2022-02-08", "text": "Officials revised their earlier figure of 12 injured after hospitals "
                                                           "reported further admissions. The number of people injured in Storm Helka "
                                                           "has risen to 19, county officials said on Tuesday, as crews cleared roads "
                                                           "along the coast."},
    ], title="Storm Helka")
    answer = index.ask("How many people were injured by Storm Helka, according to the latest figures?")
    latest = answer.text.split("Earlier report")[0]
    assert "19" in latest and "12" not in latest, answer.text


def test_the_size_of_a_change_is_not_the_latest_value(tmp_path):
    """"35p a share higher than the 240p proposal" gives neither the price in the end: that is
    the 275p the offer was raised to."""
    from rag.answer import _superseded

    assert _superseded("35p", "The offer is 35p a share higher than the 240p proposal.")
    assert _superseded("240p", "The offer is 35p a share higher than the 240p proposal.")
    assert not _superseded("275p", "Strandline raised its offer to 275p a share.")
    # a value with a remark on how it compares is the value: "worth £23.5 million — more than the £18 million reported"
    assert not _superseded("£23.5 million", "It was worth £23.5 million — considerably more than the £18 million first reported.")
    assert not _superseded("$97 million", "Reshoots pushed the budget to $97 million, up from the $85 million originally reported.")
    assert not _superseded("50", "By Saturday she had played 50 shows to more than 1.1 million fans.")
    index = _index_of(tmp_path, {
        "deal": "The board of Halloway & Finch has agreed to a takeover by Strandline Foods after the snacks group raised its "
                "offer to 275p a share, valuing the biscuit maker at £110m.\n\n"
                "The improved cash offer, announced on Monday, is 35p a share higher than the 240p proposal that the board rejected last month.",
    })
    answer = index.ask("What price per share did the Halloway & Finch board eventually accept from Strandline?")
    lead = answer.text.split("[1]")[0]
    assert "275p" in lead and "35p" not in lead, answer.text


def test_a_prison_term_is_read_by_its_form(tmp_path):
    """"How long did he get in prison?" is answered by "was jailed … for six years and eight
    months", which shares no word with it, not by the ban that follows in the question's words."""
    from rag.question import analyse

    assert analyse("How long did Ivo Brandt get in prison?").form is not None
    assert analyse("How long did the strike last?").form is None
    index = _index_of(tmp_path, {
        "brandt": "A former finance director who defrauded the Kell Harbour Authority was jailed on Friday for six years "
                  "and eight months, as prosecutors revealed the losses were larger than first thought.\n\n"
                  "Ivo Brandt, 58, will serve up to half of the term in prison before being released on licence. He was "
                  "also disqualified from acting as a company director for 10 years.",
    })
    answer = index.ask("How long did Ivo Brandt get in prison?")
    assert "six years and eight months" in answer.text, answer.text


def test_a_share_is_a_level_not_a_change(tmp_path):
    """"What proportion…?" asks for a share: "rents rose 11 per cent" is the size of a change,
    "147 of the flats — 35 per cent — will be affordable" is the share."""
    index = _index_of(tmp_path, {
        "wharf": "Councillors approved 420 homes at Ferry Wharf on Wednesday. Rents in the town rose 11 per cent in 2023, "
                 "pushing the average for a flat in the Ferry Wharf area to £1,240 a month.\n\n"
                 "Under the revised plans, 147 of the flats — 35 per cent — will be let at below-market rents.",
    })
    answer = index.ask("What proportion of the Ferry Wharf flats will be affordable housing?")
    assert "35 per cent" in answer.text and "11 per cent" not in answer.text, answer.text
    # "by what percentage" asks the size of a change
    answer = index.ask("By what percentage did rents in Ferry Wharf go up in 2023?")
    assert "11 per cent" in answer.text, answer.text


def test_a_number_labelled_as_another_measure_is_no_answer(tmp_path):
    """"Turnout in the race reached 44.8 percent, up from 37.2 percent" measures turnout, not
    what share of the vote the new mayor got."""
    index = _index_of(tmp_path, {
        "vote": "Mara Tellen won the race for mayor of Dunfield on Thursday. Turnout in the Dunfield mayoral race reached "
                "44.8 percent, up from 37.2 percent four years ago, after early voting was expanded.\n\n"
                "Tellen, who ran as an independent in the mayoral race, received 18,412 votes, or 51.3 percent of the vote, against 15,960 for her rival.",
    })
    answer = index.ask("What share of the vote did Dunfield's new mayor get?")
    assert "51.3 percent" in answer.text and "44.8" not in answer.text, answer.text


def test_the_day_a_report_was_heard_is_not_when_it_happened(tmp_path):
    """"Two men robbed a jeweller, a jury heard on Monday" dates the hearing; the robbery's date
    is the one the prosecutor gave."""
    index = _ingested(tmp_path, [{
        "id": "trial", "title": "Jewellery raid trial", "source": "wire", "published": "2023-10-16",
        "text": "Two men robbed a Kelham jeweller at knifepoint and escaped on a moped with rings worth £186,000, a jury "
                "at Castmere Crown Court heard on Monday.\n\nThe prosecutor said the jeweller, Haldane & Sons in Kelham, was "
                "robbed shortly after 10am on 14 February.",
    }])
    answer = index.ask("When was the Kelham jeweller robbed?")
    assert "14 February" in answer.text or "February 14" in answer.text, answer.text
    answer = index.ask("When did the jury hear about the Kelham robbery?")
    assert "16 October" in answer.text or "October 16" in answer.text, answer.text


def test_last_year_in_a_report_is_the_year_before_it(tmp_path):
    """Asked about the 2022 final, a 2023 report's "Last year, Town beat Stenfield 1-0" is about
    2022, and its "on Saturday" is not."""
    index = _ingested(tmp_path, [{
        "id": "final", "title": "Town retain the Castmere Cup", "source": "wire", "published": "2023-05-15",
        "text": "Harrowby Town retained the Castmere Cup on Saturday, beating Oldmere Rovers 3-1 in front of 7,412 "
                "supporters.\n\nLast year, Town beat Stenfield Athletic 1-0 after extra time in the Castmere Cup final.",
    }])
    answer = index.ask("Who did Harrowby Town beat in the 2022 Castmere Cup final?")
    assert "Stenfield" in answer.text and "Oldmere" not in answer.text, answer.text


def test_which_outlet_is_answered_by_whom_the_news_was_told_to(tmp_path):
    """"Which outlet said…?" is answered by "sources who spoke with Page Six" or "a source told
    The Mirror", not by a name that stands near the asked words."""
    from rag.question import analyse

    q = analyse("Which outlet said the father and son were talking again?")
    assert [g for m in q.form[1].finditer("according to The Mirror on Thursday") for g in m.groups() if g] == ["The Mirror"]
    index = _index_of(tmp_path, {
        "talks": "Meghan Markle said again on Monday that the couple were happy in California.\n\n"
                 "According to sources who spoke with Page Six, the royal father and son are now speaking again, but "
                 "are taking things slowly.",
    })
    answer = index.ask("Which outlet said the royal father and son were talking again?")
    assert "Page Six" in answer.text and "Markle" not in answer.text, answer.text


def test_how_many_asks_a_change_only_when_it_says_more_or_fewer():
    """"How many more jobs…?" asks a rise; "How many steps a day … to cut the risk?" asks a count,
    whatever verb follows."""
    from rag.question import analyse

    assert analyse("How many more jobs will be created?").direction == 1
    assert analyse("How many fewer trains will run?").direction == -1
    assert analyse("How many steps a day do people need to walk to cut their dementia risk?").direction == 0
    assert analyse("By how much did shares fall?").direction == -1


def test_when_will_it_finally_happen_is_the_date_to_come_not_the_plan_it_replaced(tmp_path):
    """"Services had been due to start in May" is the plan the delay replaced; "would not begin
    until the spring of 2024" is when it will happen, and no earlier date may lead the answer."""
    index = _ingested(tmp_path, [{
        "id": "train", "title": "Battery train unveiled", "source": "wire", "published": "2023-02-15",
        "text": "KELLBRIDGE — The first battery-electric passenger train built for the Tamsin Coast line was unveiled at the "
                "Corvane Rail works on Tuesday, but the regional transport authority said passenger services would not begin "
                "until the spring of 2024, almost a year later than planned.\n\nServices had been due to start in May this year.",
    }])
    answer = index.ask("When will passengers finally be able to ride the new Tamsin Coast battery trains?")
    assert "spring of 2024" in answer.text, answer.text
    assert not answer.text.startswith(("May", "February")), answer.text


def test_a_scoreline_answers_what_the_score_was_wherever_the_asked_words_are(tmp_path):
    """"What was the score in the 2022 final?" is answered by "Last year, Town beat Stenfield
    Athletic 1-0 after extra time", which does not say "score"."""
    index = _ingested(tmp_path, [{
        "id": "final", "title": "Town retain the Castmere Cup", "source": "wire", "published": "2023-05-15",
        "text": "Harrowby Town retained the Castmere Cup on Saturday. Okonjo, who joined for a fee of £8,000 last "
                "summer, has now scored 27 goals in the Castmere Cup this season.\n\nLast year, Town beat Stenfield "
                "Athletic 1-0 after extra time, with Pask heading the winner in the 109th minute.",
    }])
    answer = index.ask("What was the score in the 2022 Castmere Cup final?")
    assert "1-0" in answer.text, answer.text


def test_news_words_for_the_same_thing_count_as_said(tmp_path):
    """A question says "died" or "boss" where the report says "killed" or "managing director"."""
    from rag.lexical import said_in_other_words, tokenize

    assert said_in_other_words(tokenize("How many died?"), set(tokenize("deaths"))) == set(tokenize("died"))
    assert said_in_other_words(tokenize("When was it set up?"), set(tokenize("founded"))) == set(tokenize("set up"))
    assert said_in_other_words(tokenize("What is the offer worth?"), set(tokenize("valuing the firm at"))) == {"worth"}
    assert not said_in_other_words(tokenize("Why was he fired?"), set(tokenize("sacked")))  # a fire, or a sacking: left out
    index = _index_of(tmp_path, {
        "storm": "Storm Helka left 112 people injured across the county on Saturday.\n\n"
                 "Officials said on Monday that 14 people had been killed by falling trees during Storm Helka.",
        "buses": "Derek Amis, 68, chair of the Castmere Bus Users Group, said Vale Connect's cuts would leave villages "
                 "with no bus at all.\n\nManaging director Karen Holloway, 51, said Vale Connect had not taken the decisions lightly.",
    })
    answer = index.ask("How many people died in Storm Helka?")
    assert "14 people" in answer.text, answer.text
    answer = index.ask("How old is the boss of Vale Connect?")
    assert "51" in answer.text, answer.text
    index = _index_of(tmp_path / "fraud", {
        "fraud": "Ian Burrows, chief executive of the harbour trust, said the fraud had forced it to delay repairs to the "
                 "North Quay.\n\nThe fraud came to light in 2020 when a newly appointed auditor noticed that the trust's "
                 "dredging budget had been overspent.",
    })
    answer = index.ask("How was the harbour trust fraud discovered?")
    assert "auditor" in answer.text, answer.text
    assert said_in_other_words(tokenize("What is her main problem with him?"), set(tokenize("an issue of trust"))) == {"problem"}
    assert said_in_other_words(tokenize("What was her date of birth?"), set(tokenize("She was born on August 3"))) == {"birth"}
    assert said_in_other_words(tokenize("How big was the shortfall?"), set(tokenize("a deficit of £118 million"))) == {"shortfal"}
    assert said_in_other_words(tokenize("Who replaced her?"), set(tokenize("found her successor"))) == set(tokenize("replaced"))
    assert said_in_other_words(tokenize("Who started the company?"), set(tokenize("It was founded in 1979"))) == set(tokenize("started"))
    assert said_in_other_words(tokenize("Who took over from her?"), set(tokenize("She will be replaced by"))) == set(tokenize("took over"))
    assert said_in_other_words(tokenize("Which company manufactured the trains?"), set(tokenize("trains built by Haldane"))) == {"manufactur"}
    assert said_in_other_words(tokenize("Who came up with the show?"), set(tokenize("The show was created by Ashby Clement"))) == set(tokenize("came up"))
    assert said_in_other_words(tokenize("Why was the opening pushed back?"), set(tokenize("The opening was delayed by floods"))) == set(tokenize("pushed back"))
    assert said_in_other_words(tokenize("How many people did they let go?"), set(tokenize("It will lay off 45 of its 160 staff"))) == set(tokenize("let go"))
    assert said_in_other_words(tokenize("How many people did they let go?"), set(tokenize("45 staff were laid off"))) == set(tokenize("let go"))
    index = _index_of(tmp_path / "talks", {
        "talks": "Talks between Mayor Ruth Calder and the Harbour Board resumed last month after a year of silence, "
                 "aides to Calder and the board said.\n\nThere was said to be an issue of money between Calder and the "
                 "board over the unpaid dredging bill.",
    })
    answer = index.ask("What is Calder's main problem with the Harbour Board?")
    assert "money" in answer.text, answer.text


def test_how_many_people_is_not_answered_by_money_or_a_count_of_something_else(tmp_path):
    """"How many people died?" is answered by "the death toll has risen to three", not by
    "412 homes were flooded" nor by "damage at £21 million"."""
    from rag.question import analyse

    q = analyse("How many people were injured in the floods?")
    assert not q.counts(" homes and 58 businesses were flooded") and q.counts(" people were hurt") and q.counts(", officials said")
    assert analyse("How many people did firefighters rescue?").counts(" rescues by boat")
    index = _index_of(tmp_path, {
        "storm": "The report says 412 homes and 58 businesses were flooded in Easterby after Storm Idris.\n\n"
                 "An initial assessment had estimated the damage from Storm Idris at £21 million.\n\n"
                 "The death toll from Storm Idris has risen to three, the council said.",
    })
    answer = index.ask("How many people died because of Storm Idris?")
    assert "three" in answer.text and "412" not in answer.text and "£21" not in answer.text, answer.text
    # a count in millions is a count all the same, and viewers are people who watched
    index = _index_of(tmp_path / "tv", {
        "tv": "Harbour Lights has been renewed for a third series, the channel said, after a second series that drew "
              "its biggest audience yet and cost £4.1 million an episode.\n\nThe second series of Harbour Lights averaged "
              "7.4 million viewers an episode, according to figures released by the channel.",
    })
    answer = index.ask("On average, how many people watched each episode of Harbour Lights' second series?")
    assert "7.4 million" in answer.text and "£4.1" not in answer.text, answer.text


def test_the_latest_figure_is_not_an_estimate_or_offer_a_later_one_replaced(tmp_path):
    """Asked for the latest state, "had originally offered 4.5 per cent" and "it was expected to
    open in spring 2023 at a cost of £46 million" (in a 2024 report) are values that were
    replaced."""
    index = _ingested(tmp_path, [
        {"id": "pay", "title": "Bus strike ends", "published": "2024-05-18",
         "text": "Tidewater Buses had originally offered its bus drivers a pay rise of 4.5 per cent.\n\n"
                 "The agreement gives the Tidewater drivers a 7.2 per cent rise, backdated to April."},
        {"id": "station", "title": "Easterby Parkway station delayed again", "published": "2024-03-14",
         "text": "When plans for Easterby Parkway station were approved in 2020, it was expected to open in spring 2023 at "
                 "a cost of £46 million.\n\nThe opening of Easterby Parkway station has been delayed again, to June 2025, "
                 "and its cost has risen to £63.8 million, the council said."},
    ])
    answer = index.ask("What pay rise did the Tidewater bus drivers end up getting?")
    assert "7.2 per cent" in answer.text and "4.5" not in answer.text, answer.text
    answer = index.ask("What's the latest cost estimate for Easterby Parkway station?")
    assert "£63.8 million" in answer.text and "£46 million" not in answer.text, answer.text


def test_pence_are_money_and_units_may_be_written_on():
    """"212p" is an amount, as "£2.12" is; "3p.m." is a time; "97mm" is a measure as "97 mm" is."""
    from rag.question import MONEY_RE, Kind, analyse, typed_spans

    spans = typed_spans(Kind.NUMBER, "Nordvik raised its offer to 212p a share, up from 185p, at 3p.m. on Friday.")
    assert spans == ["212p", "185p"] and all(MONEY_RE.search(x) for x in spans)
    assert typed_spans(Kind.NUMBER, "97mm of rain fell and gusts reached 94mph on the 6.8km road.") == ["97mm", "94mph", "6.8km"]
    assert analyse("How much rain fell at Skelvey?").measured("97mm", " of rain")


def test_a_number_written_as_words_is_one_number():
    """"Eighty-five families" counts eighty-five, not eighty and five."""
    from rag.question import Kind, typed_spans

    assert typed_spans(Kind.NUMBER, '"Eighty-five families have been told their jobs are going."') == ["Eighty-five"]
    assert typed_spans(Kind.NUMBER, "Twenty-two people were hurt in the crash.") == ["Twenty-two"]


def test_the_year_asked_dates_the_event_unless_it_dates_the_report(tmp_path):
    """"…when they won the final in 2022" is told by the 2023 report of last year's final, not
    by whatever a 2022 report says; "as of 2022" asks what the reports of 2022 said."""
    index = _ingested(tmp_path, [
        {"id": "fair", "published": "2022-03-02",
         "text": "Porthlow council leader Margaret Oduya said the town would hold a summer fair in the harbour in 2022."},
        {"id": "final", "published": "2023-04-23",
         "text": "In last year's county cup final, played at Harbour Field, Porthlow won 24-17 under captain Tom Pascoe."},
    ], title="Porthlow news")
    from rag.question import analyse

    assert analyse("As of March 2022, who led the council?").report_dated
    assert analyse("What did the 2021 Page Six report say?").report_dated
    assert not analyse("Who captained Porthlow when they won the county cup final in 2022?").report_dated
    answer = index.ask("Who captained Porthlow when they won the county cup final in 2022?")
    assert "Tom Pascoe" in answer.text and "Oduya" not in answer.text, answer.text


def test_a_newer_report_about_something_else_does_not_lead_a_latest_state_answer(tmp_path):
    """"How much is the levy now?": the newest report that names the county but tells of a
    railway station's cost is no newer word on the levy; the 2023 report of its rise is."""
    index = _ingested(tmp_path, [
        {"id": "budget", "published": "2021-02-25",
         "text": "Brennick's new visitor levy, the first of its kind in the county, will charge £1.50 per person per night "
                 "at hotels, guest houses and holiday lets from 1 April 2022."},
        {"id": "summer", "published": "2023-07-17",
         "text": "Hoteliers said bookings had held up this summer despite the county's visitor levy rising from £1.50 to £2 a night in April."},
        {"id": "station", "published": "2024-03-14",
         "text": "Brennick County Council said on Thursday night that the Easterby Parkway railway station will cost £63.8 million."},
    ], title="Brennick news")
    answer = index.ask("How much is Brennick's visitor levy per night now?")
    assert "£2 a night" in answer.text and "63.8" not in answer.text, answer.text


def test_how_long_a_road_is_is_a_length():
    """"How long will the bypass be?" asks a length, in miles or km (not the "m" of "£48m");
    how long a strike lasts, or a line was closed, is a time."""
    from rag.question import Kind, analyse

    q = analyse("How long will the Skelvey bypass be?")
    assert q.kind is Kind.NUMBER and q.measured("4.2", "-mile road") and not q.measured("£48m", " bypass")
    assert analyse("How long is the new tunnel?").kind is Kind.NUMBER
    for question in ("How long will the strike last?", "How long was the line closed?", "How long will the bypass take to build?"):
        assert analyse(question).kind is Kind.DURATION, question


def test_a_vote_is_answered_by_its_tally(tmp_path):
    """"What was the vote?" is answered by "passed by 27 votes to 19" or "voted seven to four",
    not by the other numbers of the story."""
    from rag.question import analyse

    form = analyse("What was the vote on the council budget?").form[1]
    assert [m.group() for m in form.finditer("It passed by 27 votes to 19. Councillors voted seven to four.")] == [
        "27 votes to 19", "voted seven to four"]
    index = _index_of(tmp_path, {
        "budget": "Council tax bills in Kelby will rise by 2.99 per cent after councillors approved a £38.7m budget on "
                  "Wednesday night.\n\nThe budget was passed by 27 votes to 19, with two abstentions.",
        "homes": "Kelby City Council voted 9 to 4 on Tuesday evening to approve plans for 1,200 homes at Harbour Quay.\n\n"
                 "\"This city has a housing crisis, and this is 1,200 homes on land that has sat empty and fenced off at "
                 "Harbour Quay,\" said Councillor Ann Berg, who chairs the council's planning committee.",
    })
    answer = index.ask("What was the vote count when the planning committee approved the Harbour Quay homes?")
    assert "9 to 4" in answer.text, answer.text
    answer = index.ask("What was the vote on the Kelby budget?")
    assert "27 votes to 19" in answer.text, answer.text
    # a margin is given by a tally too, in words as well as figures
    form = analyse("By what margin did the planning committee back the scheme?").form[1]
    assert {g for m in form.finditer("It was approved by nine votes to two.") for g in m.groups() if g} == {"nine"}
    assert {g for m in form.finditer("Councillors voted 9 to 2.") for g in m.groups() if g} == {"9", "2"}
    index = _index_of(tmp_path / "flood", {
        "flood": "Eastmere's planning committee approved the Lisk Valley flood scheme on Tuesday evening by nine votes "
                 "to two.\n\nThe project director, Martin Skelby, told the planning committee that the Lisk flood walls "
                 "had been designed to cope with a flood of the kind expected once in every 100 years.",
    })
    answer = index.ask("By what margin did the planning committee back the Lisk flood scheme?")
    assert "nine votes to two" in answer.text, answer.text


def test_an_answer_right_after_the_questions_own_words_counts_more(seed_index):
    """"Where is King Charles expected to be…?" is answered where a report says "Charles is
    expected to be in Scotland", not by a place named in a sentence about Harry's visit. The
    words echoed are what is said of the subject ("expected to", "to be"), not the subject's
    own name or category ("women's singles")."""
    from rag.answer import _pairs

    assert ("expect", "to") in _pairs("Charles is expected to be in")
    assert not _pairs("the women's singles")  # no function word: the subject, not what is said of it
    answer = seed_index.ask("Where is King Charles expected to be around the time of Harry's visit?")
    assert "Balmoral" in answer.text, answer.text


@pytest.mark.parametrize("question", [
    "Who was contacted for comment on the story?",
    "When did Harry last see Charles?",
    "What event was expected to bring Harry and Meghan back to England in 2022?",
])
def test_the_passages_are_shown_as_the_answer_cites_them(seed_index, question):
    """The passage quoted as [1] is the first one shown, then [2], then the rest as the evidence
    ranks them: a "Latest report" leads with a passage that matched the words less well."""
    answer = seed_index.ask(question)
    cited = list(dict.fromkeys(c.passage.chunk_id for c in answer.citations))
    assert cited and [p.chunk_id for p in answer.passages[: len(cited)]] == cited, (answer.text, cited)


def test_a_number_labelled_as_another_measure_answers_no_question_about_this_one(tmp_path):
    """"Revenue for the second quarter of 2023 reached $3.8 billion, up from $3.49 billion" gives
    no profit; "Net income rose to $412 million" does, in other words, and as near to them as if
    it had said "profit"."""
    from rag.answer import _other_measures
    from rag.question import analyse

    q = analyse("What was Veltrana's profit in the second quarter of 2023?")
    text = "Revenue for the second quarter of 2023 reached $3.8 billion, up from $3.49 billion a year earlier."
    assert [text[a:b] for a, b in _other_measures(q, text)] == [" $3.8 billion, up from $3.49 billion a year earlier"]
    assert not _other_measures(q, "Net income rose to $412 million, or $1.63 per share, from $351 million.")
    index = _ingested(tmp_path, [{
        "id": "results", "title": "Veltrana Systems raises forecast after second-quarter revenue rise", "published": "2023-07-26",
        "text": "Veltrana Systems reported a 9 percent rise in second-quarter revenue on Wednesday and raised its full-year "
                "forecast.\n\nRevenue for the second quarter of 2023 reached $3.8 billion, up from $3.49 billion a year "
                "earlier.\n\nNet income rose to $412 million, or $1.63 per share, from $351 million.",
    }])
    answer = index.ask("What was Veltrana's profit in the second quarter of 2023?")
    assert "$412 million" in answer.text, answer.text


def test_the_name_of_a_person_described_is_a_persons_name_near_them(tmp_path):
    """"What is the name of the man arrested?" is answered by a first and last name said of him,
    not by the village he is from, the road or the police force; reports often leave the name
    out, and then the answer says the articles don't say."""
    from rag.question import analyse

    assert analyse("What was the name of the 78-year-old man airlifted from his car?").personal_name
    assert not analyse("What was the name of the firm whose invoices he signed?").personal_name
    index = _index_of(tmp_path, {
        "arrest": "A man has been arrested over the dumping of 40 tonnes of waste at Ashby Fen nature reserve.\n\n"
                  "The man, from the nearby village of Corrow, was detained on Thursday evening at a storage yard on the "
                  "Brindle Road industrial estate, a spokeswoman for the Lindmouth District Police said.\n\n"
                  "\"This is a site that took two decades to bring back to life,\" said Miriam Halloway, 58, the reserve's ecologist. "
                  "Warden Tom Pryce said the reserve would reopen next week.",
        "births": "The new Kelby birth centre opened on Monday. Its first baby, Tom Ashcroft, weighing 8lb, was born at 3am "
                  "on Tuesday in one of the centre's ten birthing rooms.",
    })
    assert index.ask("What is the name of the man arrested over the Ashby Fen dumping?").abstained
    # a name in a sentence that does not describe him at all is someone else's
    from rag.answer import _candidates
    from rag.retrieval import Passage

    text = "Director of Emergency Management Rasmus Teague said four people remained in hospital."
    passage = Passage("storm", "storm#0", "Storm Helka", "wire", "", "", text, 0, len(text), 1.0, ((0, len(text)),))
    assert _candidates(analyse("What was the name of the man killed by a falling tree during Storm Helka?"), [passage])[0].extras == []
    assert "Rasmus Teague" in _candidates(analyse("Who said four people remained in hospital?"), [passage])[0].extras[0]
    answer = index.ask("What was the name of the first baby born at the new Kelby birth centre?")
    assert "Tom Ashcroft" in answer.text, answer.text


def test_what_year_is_answered_by_the_year_near_the_asked_words(tmp_path):
    """"What year was it built?" asks for a year: "built in 1862" answers it whole, though other
    sentences give fuller dates of other things (a vote on Tuesday, a closure in December 2014,
    a reopening reported years later), and the answer leads with that year."""
    from rag.question import analyse

    assert analyse("In what year was the hall built?").year_asked
    assert not analyse("When was the hall built?").year_asked
    index = _ingested(tmp_path, [
        {"id": "plan", "published": "2016-04-14", "text":
            "Harrowmere's Corn Exchange is to be restored to its Victorian glory after councillors approved a £3.8 million "
            "rescue plan for the shuttered theatre on Tuesday.\n\nThe Corn Exchange, built in 1862 as a trading hall for the "
            "district's grain merchants and converted into a theatre in the 1920s, has been closed since December 2014, "
            "when part of the ceiling fell in."},
        {"id": "reopened", "published": "2021-09-25", "text":
            "Almost seven years after the lights went out, Harrowmere's Corn Exchange welcomed an audience once more last "
            "night as the restored Victorian theatre staged its first performance since 2014."},
    ])
    answer = index.ask("What year was Harrowmere's Corn Exchange built?")

    assert answer.text.startswith("1862 ["), answer.text
    assert "Latest report" not in answer.text


def test_a_plan_to_come_is_dated_forward():
    """"…is to retire at the end of September", in a June report, is this September."""
    from datetime import date

    from rag.dates import annotate

    said = annotate("Margaret Ollerenshaw is to retire as chief executive at the end of September.", date(2020, 6, 15))
    assert "[September 2020]" in said


def test_money_is_asked_by_what_is_put_in_or_given_or_by_its_name():
    from rag.question import analyse

    for asked in ("How much is the Department for Transport putting into the line?", "How much did the trust contribute?",
                  "How much will the council invest in the scheme?", "How much was she awarded?",
                  "What pay-off did she get when she left?", "What size of grant did the company get?",
                  "How much reward money did the family put up?"):
        assert analyse(asked).money, asked
    assert not analyse("How much did the river rise?").money
    assert analyse("How much reward money did the family put up?").direction == 0  # put up, not went up


def test_a_report_that_a_name_or_date_is_yet_to_be_given_is_the_articles_not_saying(tmp_path):
    """"His successor has yet to be named", "No start date has been set": the articles don't
    say, and the answer quotes the report that says so."""
    from rag import answer as A

    index = _index_of(tmp_path, {
        "chair": "Sir Neville Garside is due to step down as chairman of Tennick Foods at the annual meeting. "
                 "His successor has yet to be named.",
        "site": "Work on the Kestleby flood defence scheme has not yet been funded, and no start date has been set.",
    })
    for asked, quoted in (("Who will replace Sir Neville Garside as chairman of Tennick Foods?", "yet to be named"),
                          ("When will construction of the Kestleby flood defence scheme begin?", "no start date has been set")):
        answer = index.ask(asked)
        assert answer.abstained and answer.text.startswith(A.UNTOLD), answer.text
        assert quoted in answer.text
    # the sentence quoted with it for its pronoun tells of another sum: the price is still not known
    index = _index_of(tmp_path / "site", {
        "site": "Alder & Finch has bought the former biscuit factory on Dunmere Road. Alder & Finch did not disclose how "
                "much it had paid for the Dunmere Road site.\n\nThe company will invest £9.5 million in refurbishing the building.",
    })
    answer = index.ask("How much did Alder & Finch pay for the Dunmere Road site?")
    assert answer.abstained and answer.text.startswith(A.UNTOLD), answer.text


def test_last_summer_is_the_year_a_sentence_is_about(tmp_path):
    """"Last summer 64% of pupils achieved…", in a June 2024 report, is about 2023: it answers
    "…in 2023?" though it also names 2022, and it is about no other year."""
    from datetime import date

    from rag.dates import seasons_past

    assert seasons_past("Last summer the pier reopened.", date(2024, 6, 19)) == {"2023"}
    assert seasons_past("Last summer the pier reopened.", date(2024, 10, 2)) == {"2024"}
    index = _ingested(tmp_path, [{"id": "school", "published": "2024-06-19", "text":
        "Easterby High School has been rated good by Ofsted, two years after inspectors said it required improvement.\n\n"
        "Last summer 64% of pupils achieved a grade 4 or above in both English and maths at GCSE, up from 52% in 2022. "
        "Attendance this school year is 93.4%."}])
    answer = index.ask("What share of Easterby High pupils got at least a grade 4 in English and maths at GCSE in 2023?")
    assert not answer.abstained and "64%" in answer.text, answer.text


def test_a_score_is_a_scoreline_not_a_number_near_the_word():
    """"What was the score in the final?" is answered by a scoreline ("beat Oldmere Rovers 3-1")
    wherever it stands; "has now scored 27 goals" is a number near the word, and counts as far."""
    from rag.answer import FAR, _candidates
    from rag.question import analyse
    from rag.retrieval import Passage

    text = "Okonjo has now scored 27 goals this season. Town beat Oldmere Rovers 3-1 in the cup final on Saturday."
    passage = Passage("final", "final#0", "", "wire", "", "", text, 0, len(text), 1.0, ((0, 43), (44, len(text))))
    goals, final = _candidates(analyse("What was the score in the cup final?"), [passage])
    assert goals.extras == ["27"] and goals.typed <= FAR
    assert final.typed == 1.0


def test_a_word_of_the_name_asked_inside_another_full_name_is_someone_else():
    """"Brandon Maxwell" is not the "Maxwell Award" and "Hunter Biden" is not "Joe Biden": the
    sentence names neither, and its "Maxwell" is not the question's word. A lone "Maxwell" may
    be the award, "Golden Pixel Awards" are the "Golden Pixels", a title says nothing of who is
    meant, and "Brigitte Macron" may answer a question about "Emmanuel Macron's wife"."""
    maxwell = "Who is the Maxwell Award winner in 2019?"
    other = _candidate(maxwell, "2019 Fashion Awards winners: Brandon Maxwell, Rick Owens take top honours.")
    alone = _candidate(maxwell, "2019 Fashion Awards winners: Maxwell, Rick Owens take top honours.")
    assert other.names == 0 and alone.names == 0.75
    assert other.terms < alone.terms
    assert _candidate("What did Joe Biden say?", "Hunter Biden said he would appeal.").names == 0
    assert _candidate("What did Joe Biden say?", "President Biden said he would appeal.").names == 0.75
    assert _candidate("Which game won at the Golden Pixels?", "Tidebreaker won Game of the Year at the Golden Pixel Awards.").names == 0.75
    assert _candidate("Who is Emmanuel Macron's wife?", "Brigitte Macron, 71, said she was proud of him.").names == 0.75


def test_a_sentence_about_another_name_ending_in_the_asked_word_is_about_someone_else():
    """"2019 Fashion Awards winners: Brandon Maxwell…" names neither the Maxwell Award nor its
    winner: like a sentence about another year, it is about something else. A word every such
    name ends with ("Rothwick Town" for "Ostley Town") or one that only begins another name
    ("County Executive Hal Brennan" in Marram County) says nothing of whose it is."""
    assert _candidate("Who is the Maxwell Award winner in 2019?", "2019 Fashion Awards winners: Brandon Maxwell, Rick Owens take top honours.").clash == 1
    assert _candidate("Who is the Maxwell Award winner in 2019?", "2019 winners: Maxwell, Rick Owens take top honours.").clash == 0
    assert _candidate("What fee did Ostley Town pay?", "The fee surpasses the £1.1 million Rothwick Town paid for a defender.").clash == 0
    assert _candidate("Who declared a disaster in Marram County?", "County Executive Hal Brennan declared a local disaster.").clash == 0


def test_a_role_whose_holder_is_yet_to_be_announced_names_no_answer():
    """"The winner of the 2019 Maxwell Award will be announced at the awards show" does not say
    who won, whatever else it names; "Joe Burrow will be named the winner" does."""
    q = "Who is the Maxwell Award winner in 2019?"
    assert _candidate(q, "The winner of the 2019 Maxwell Award will be announced at the Gridiron Awards Show in December.").extras == []
    assert _candidate(q, "The new Maxwell Award winner is expected to be named by the Gridiron Club in December.").extras == []
    assert _candidate(q, "Joe Burrow will be named the winner of the 2019 Maxwell Award in December.").extras == ["Joe Burrow"]
    assert _candidate("Who presents the Maxwell Award?", "The winner of the Maxwell Award will be announced by Dan Ogle.").extras == ["Dan Ogle"]


def test_a_role_in_a_work_with_a_longer_title_is_held_in_another_work():
    """"Marc-Alexis Côté, creative director of Assassin's Creed Syndicate" directs another game
    than the Assassin's Creed movie asked about; "Directed by Justin Kurzel" gives the movie's
    director in the form a credit list uses. A company may be named in full ("Fenwick Marine
    Engineering" is the "Fenwick Marine" asked about)."""
    q = "Who is the director of the Assassin's Creed movie?"
    assert _candidate(q, "Marc-Alexis Côté, creative director of Assassin's Creed Syndicate, said the Assassin's Creed movie was bold.").extras == []
    assert _candidate(q, "Marc-Alexis Côté, director of the Assassin's Creed movie, said it was bold.").extras == ["Marc-Alexis Côté"]
    credit = _candidate(q, "Assassin's Creed: Directed by Justin Kurzel.")
    assert credit.extras[0] == "Justin Kurzel" and credit.typed == 1.0
    ceo = "Who is the chief executive of Fenwick Marine?"
    assert _candidate(ceo, "Ines Dalgliesh, chief executive of Fenwick Marine Engineering, said the offer was fair.").extras[0] == "Ines Dalgliesh"


def test_who_will_do_something_is_answered_only_by_a_report_that_says_it_will_be_done(tmp_path):
    """"Who is going to present the award to Ana Ruiz?" is not answered by the sentence that says
    she will attend the awards, whoever else it names; "Who will succeed her?" is answered by "Her
    successor will be Tom Vale" and "Who will replace her?" by "Tom Vale will take over"."""
    index = _ingested(tmp_path, [
        {"id": "gala", "text": "Ana Ruiz is expected in Lisbon on 8 September for the tenth anniversary of Pedro Sousa's death, "
                               "when she will also attend the Harbour Awards, a charity event she has long supported."},
        {"id": "post", "text": "Ana Ruiz will retire as chief executive of Harbour Trust in October. Her successor will be Tom Vale, "
                               "the trust's finance director, who will take over on 1 November."},
    ], published="2025-08-22")
    present = index.ask("Who is going to present the award to Ana Ruiz at the Harbour Awards?")
    assert present.abstained, present.text
    for question in ("Who will succeed Ana Ruiz at Harbour Trust?", "Who will replace Ana Ruiz at Harbour Trust?"):
        answer = index.ask(question)
        assert not answer.abstained and "Tom Vale" in answer.text, (question, answer.text)


def test_a_name_made_of_the_questions_own_words_is_no_answer():
    """"Who will present the award at the WellChild ceremony?" is not answered by "the WellChild
    Awards", nor "Who is the Maxwell Award winner?" by a list called "Maxwell Award Winners":
    the question's own words in another form say nothing new."""
    assert "WellChild Awards" not in _candidate("Who is going to present the award to Harry at the WellChild ceremony?", "Harry is expected in London, where he will attend the WellChild Awards.").extras
    assert _candidate("Who is the Maxwell Award winner in 2019?", "The list of Maxwell Award Winners was updated in 2019.").extras == []
    assert _candidate("Who is the Maxwell Award winner in 2019?", "The Maxwell Award went to Joe Burrow in 2019.").extras == ["Joe Burrow"]


def test_a_name_right_after_in_says_where_not_who():
    """"Who will go to the gala with Harry?" is not answered by "London" in "Harry is expected in
    London with Meghan"; "Meghan" may answer it."""
    sentence = _candidate("Who will go to the gala with Harry?", "Harry is expected in London with Meghan for the gala.")
    assert sentence.extras == ["Meghan"], sentence.extras


def test_what_was_expected_as_of_a_time_lies_after_it(tmp_path):
    """"As of August 2023, when was the bypass due to open?" is not answered by the cabinet
    meeting on 17 August that the same report announces: what was expected then lies after then.
    "Early", "mid" and "late" are thirds of a year; a year alone only rules out earlier years."""
    from datetime import date

    assert analyse("As of August 2023, when was it due to open?").as_of == date(2023, 8, 31)
    assert analyse("As of early 2019, when was it expected to reopen?").as_of == date(2019, 4, 30)
    assert analyse("As of autumn 2020, when was it expected to open?").as_of == date(2020, 11, 30)
    assert analyse("As of 2017, when was the work expected to finish?").as_of == date(2016, 12, 31)
    assert analyse("When will the bypass open?").as_of is None
    index = _ingested(tmp_path, [{"id": "bypass", "published": "2023-08-08", "text":
        "The Skelvey bypass will cost £20m more than planned.\n\nThe cabinet will be asked to approve the revised "
        "budget for the Skelvey bypass at its meeting on 17 August. A report says the road is now not expected to open "
        "to traffic until spring 2025, rather than autumn 2023 as promised."}])
    answer = index.ask("As of August 2023, when was the Skelvey bypass due to open?")
    assert "spring 2025" in answer.text and not answer.text.startswith("August"), answer.text


def test_a_term_in_years_and_months_is_one_answer(tmp_path):
    """"Six years and eight months" is one prison term, not "six years" and "eight months": the
    whole term answers "How long…?", and beats a shorter term given whole beside another name."""
    from rag.question import Kind, typed_spans

    assert typed_spans(Kind.DURATION, "The judges cut the term to five years and three months.") == ["five years and three months"]
    assert typed_spans(Kind.DURATION, "He was jailed for 4 years, 6 months.") == ["4 years, 6 months"]
    assert typed_spans(Kind.DURATION, "It ran for six years and then three days later closed.") == ["six years", "three days"]
    index = _index_of(tmp_path, {"fraud": (
        "A former finance director of Brackwater City Council was jailed on Monday for six years and eight months for "
        "stealing public money through fake invoices.\n\nFarrant, 61, who admitted money laundering before the trial "
        "began, was sentenced to two years and six months.")})
    answer = index.ask("How long a prison term did the former Brackwater finance director get?")
    assert "six years and eight months" in answer.text, answer.text


def test_a_term_cut_on_appeal_supersedes_the_one_first_passed(tmp_path):
    """"What is his sentence now?" (or "How long is it after his appeal?"): the appeal report says
    he "was sentenced to six years in March" and that the judges "substituted a term of four years
    and six months". The new term leads, though the sentence giving it does not name him; the
    first report's term follows as the earlier one."""
    index = _ingested(tmp_path, [
        {"id": "trial", "published": "2022-03-18", "text": "VELBOROUGH — A former council manager who stole more than "
         "£1.2m through fake invoices has been jailed for six years.\n\nMartin Threlfall, 54, was found guilty last month."},
        {"id": "appeal", "published": "2022-10-27", "text": "A former council manager jailed for stealing £1.2m has had his "
         "sentence reduced at the Court of Appeal.\n\nMartin Threlfall, 55, was sentenced to six years at Velborough "
         "Crown Court in March after being convicted of fraud.\n\nOn Tuesday, three judges ruled that the original "
         "sentence had been manifestly excessive and substituted a term of four years and six months."},
    ])
    for question in ("What is Martin Threlfall's prison sentence now?", "How long is Threlfall's prison sentence after his appeal?"):
        answer = index.ask(question)
        latest = answer.text.split("Earlier")[0]
        assert "four years and six months" in latest and "six years at" not in latest, (question, answer.text)


def test_jobs_kept_do_not_answer_how_many_are_lost(tmp_path):
    """"How many workers lose their jobs?" is not answered by "the 555 jobs at the plant would be
    kept", though that sentence names the jobs and the plant more squarely than the one that
    answers (which, in so short a story, is not sure enough to be given)."""
    index = _index_of(tmp_path, {"takeover": (
        "Halvern Marine Foods has agreed to a takeover by Nordvik Seafood Group and will close its Easterby smokehouse.\n\n"
        "It gave a commitment that the 555 jobs at the Porthlow plant would be kept for at least three years.\n\n"
        "Bev Tallis of the Coastal Workers' Union called it a hammer blow: \"Eighty-five families have been told their "
        "jobs are going.\"")})
    answer = index.ask("How many workers lose their jobs when the Easterby smokehouse shuts?")
    assert "555" not in answer.text and (answer.abstained or "Eighty-five" in answer.text), answer.text


def test_a_measure_said_as_a_difference_is_not_the_measure_asked():
    """"How much rain fell?" is not answered by "18cm above the previous record": a measure
    followed by "above", "higher", "warmer"… is a difference."""
    river = "The river peaked at 4.31 metres after the rain, 18cm above the record."
    assert "18cm" not in _candidate("How much rain fell in the storm?", river).extras
    assert _candidate("How much rain fell in the storm?", "The agency said 97mm of rain had fallen, more than in February.").extras == ["97mm"]


def test_what_the_vote_was_is_a_tally_or_a_share_of_it():
    """"What was the vote on the budget?" is answered by "passed by 27 votes to 19" (or "voted
    41-12", which is no football score here), not by the "£38.7m budget" or the "2.99 per cent"
    rise it approved; a share of the vote may answer."""
    vote = "What was the vote on the Orrin Vale council budget?"
    assert analyse(vote).tallied and not analyse("What was the budget?").tallied
    assert _candidate(vote, "Council tax will rise by 2.99 per cent after councillors approved a £38.7m budget.").extras == []
    assert _candidate(vote, "The budget was passed by 27 votes to 19.").typed == 1.0
    assert _candidate(vote, "The budget won 61 per cent of the vote.").extras == ["61"]
    tally = _candidate("What was the tally when the national council voted on backing Korvin?",
                 "The national council voted 41-12 to back Korvin.")
    assert tally.typed == 1.0 and "41" in tally.extras, (tally.extras, tally.typed)


def test_the_latest_total_is_not_a_change_nor_an_earlier_years_nor_the_old_record():
    """"What's the most recent yearly passenger total?" is not answered by "The total was up 24
    per cent on 2022, when 6.3 million people used the airport, and beat the previous record of
    7.1 million": a change in percent, the year before's figure and the record it beat."""
    asked = "What's the most recent yearly passenger total reported for Kestlebury Airport?"
    up = _candidate(asked, "The total was up 24 per cent on 2022, when 6.3 million people used the airport, and beat "
                           "the previous record of 7.1 million set in 2019.", published="2024-02-06")
    assert up.extras == [], up.extras
    busiest = _candidate(asked, "Kestlebury Airport had its busiest year ever in 2023, handling 7.8 million passengers.",
                         published="2024-02-06")
    assert busiest.extras == ["7.8 million"], busiest.extras


def test_a_role_another_name_qualifies_is_held_for_someone_else():
    """"Who captained Porthlow…?" is not answered by "Easterby captain Callum Reyes" (nor by
    Easterby, whose captain he is) when the articles write Easterby as a name of its own; "Assistant
    manager Ray Obi" and "Rovers manager Greta Hallam" (of Brackwater Rovers) still answer."""
    asked = "Who captained Porthlow when they won the county cup final in 2022?"
    other = _candidate(asked, "The cup went to Easterby for the first time since 2016, and fans in Easterby celebrated. "
                              "Easterby captain Callum Reyes lifted the trophy a year after his side lost the 2022 final.")
    assert other.extras == [], other.extras
    assert "Tom Pascoe" in _candidate(asked, "In the 2022 final Porthlow won under captain Tom Pascoe.").extras
    caretaker = _candidate("Who stepped in as caretaker manager at Harrowby Athletic?",
                           "Assistant manager Ray Obi will take charge as caretaker for the game at Harrowby Athletic.")
    assert "Ray Obi" in caretaker.extras, caretaker.extras
    rovers = _candidate("Who was the Brackwater manager when they won the cup?",
                        "Brackwater Rovers won the cup on Saturday. Rovers manager Greta Hallam said the win was for the fans.")
    assert "Greta Hallam" in rovers.extras, rovers.extras


def test_which_judge_is_answered_by_a_name_given_as_a_judges(tmp_path):
    """"Which judge…?" asks for a person in a role, and news names such a person beside it
    ("Judge Catherine Olusanya", "the judge, Patricia Okafor"). The man sentenced, his street
    and the court are no answer, and where no judge is named the articles don't say."""
    from rag.question import analyse

    assert analyse("Which judge sentenced him?").role == "judge"
    assert analyse("Who sentenced him?").role is None
    index = _index_of(tmp_path, {
        "fraud": "Graham Pettifer, 63, of Mill Lane, Saltholme, took £86,412 from Saltholme Parish Council over six years, "
                 "Harrowmere Crown Court heard. He was sentenced to three years and four months.\n\n"
                 "Sentencing the former parish treasurer, Judge Catherine Olusanya told Pettifer he had betrayed the trust of a small community.",
        "appeal": "The Duke of Sussex's trip will mark his first visit since he failed to appeal the downgrading of his "
                  "security protection in the UK.",
    })
    answer = index.ask("Which judge sentenced the former Saltholme parish treasurer?")
    assert "Olusanya" in answer.text and "Mill Lane" not in answer.text, answer.text
    assert index.ask("Which judge ruled on the Duke of Sussex's appeal over his UK security?").abstained
    # the sentence that best matches the question may name no judge; the best one that does answers
    index = _index_of(tmp_path / "second", {
        "appeal": "Gareth Linley, the former harbour trust finance director, was jailed for seven years at Easterby Crown "
                  "Court in March last year for stealing £1.34 million.",
        "trial": "A former finance director who stole from the harbour trust has been sentenced at Easterby Crown Court.\n\n"
                 "Sentencing him, Judge Patricia Okafor said it had been a prolonged and cynical breach of trust."})
    assert "Patricia Okafor" in index.ask("Which judge jailed Gareth Linley at Easterby Crown Court?").text


def test_a_name_given_in_a_role_counts_whatever_comes_before_it():
    """"Last November, Judge Vane…" names Judge Vane though a capitalised phrase and a comma come
    first (the form once read "Last November" as the judge, and used up the role word doing
    it); "District Judge Owen Treadgold" is given as the judge that "Judge Owen Treadgold" is."""
    form = analyse("Which judge made the order?").form[1]
    assert "Judge Vane" in [g for m in form.finditer("Last November, Judge Vane made an order.") for g in m.groups() if g]
    bail = _candidate("Who was the district judge who released Anselm on bail with conditions?",
                      "District Judge Owen Treadgold granted Mr Anselm bail on condition that he surrender his passport.")
    assert bail.extras[0] == "District Judge Owen Treadgold" and bail.typed == 1.0, (bail.extras, bail.typed)


def test_who_holds_a_role_now_is_named_beside_it_and_not_as_its_former_holder(tmp_path):
    """"Who is Eastmere's mayor?" is answered by "the mayor, Bernard Oakes" in the newest report,
    not by "the former mayor Lydia Harcastle" beside it; "Who was project director…?" by "the
    scheme's project director, Joanne Pryce-Dunmore". A name given otherwise may still answer."""
    from rag.question import analyse

    assert analyse("Who is Eastmere's mayor?").role == "mayor"
    assert analyse("Who was project director of the flood scheme?").role == "director"
    assert not analyse("Who is Eastmere's mayor?").only_in_form and analyse("Which judge jailed him?").only_in_form
    form = analyse("Who is Eastmere's mayor?").form[1]
    assert [g for m in form.finditer("The former mayor Lydia Harcastle said so, and so did the mayor, Bernard Oakes.")
            for g in m.groups() if g] == ["Bernard Oakes"]
    form = analyse("Who is the current chief executive of Fenwick Marine?").form[1]
    assert [g for m in form.finditer("Ines Dalgliesh, who has been Fenwick's chief executive since May, said so, and "
                                     "Anders Holtvik, Norvane's chief executive, agreed.") for g in m.groups() if g] == [
        "Ines Dalgliesh", "Anders Holtvik"]
    index = _ingested(tmp_path, [
        {"id": "2016", "title": "Mayor elected", "published": "2016-05-06", "text": "Lydia Harcastle has been elected mayor "
         "of Eastmere.\n\nThe outgoing mayor, Frederick Mallon, said he was proud of his record and wished Eastmere's new mayor well."},
        {"id": "2024", "title": "Councillor dies", "published": "2024-01-19", "text": "Agnes Threlfall has died at the age of "
         "85.\n\nThe former mayor Lydia Harcastle said Eastmere had lost its conscience, and the mayor, Bernard Oakes, said the same."},
    ])
    answer = index.ask("Who is Eastmere's mayor according to the most recent reports?")
    assert answer.text.find("Bernard Oakes") >= 0 and "Mallon" not in answer.text.split("Earlier")[0], answer.text


def test_which_party_is_answered_by_a_partys_name(tmp_path):
    """"Which party did she stand for?" is answered by "the Civic Alliance", not by the ward or
    the town named beside her."""
    from rag.question import analyse

    q = analyse("Lydia Harcastle stood for mayor on behalf of which party?")
    assert q.only_in_form
    assert [g for m in q.form[1].finditer("Mrs Harcastle, standing for the Civic Alliance, ended People's Party rule in "
                                          "Eastmere.") for g in m.groups() if g] == ["Civic Alliance", "People's Party"]
    index = _index_of(tmp_path, {
        "election": "Lydia Harcastle has been elected mayor of Eastmere, the first woman to win the post, after a campaign "
                    "in Fellside and Saltbridge.\n\nMrs Harcastle, standing for the Civic Alliance, won 18,412 votes.",
    })
    answer = index.ask("Lydia Harcastle stood for mayor on behalf of which party?")
    assert "Civic Alliance" in answer.text, answer.text


def test_a_sum_of_a_kind_of_its_own_is_said_with_its_word(tmp_path):
    """"How much was he fined?" asks for a fine: the £86,412 he stole is no answer, and a report
    that gives only his jail term does not say."""
    index = _index_of(tmp_path, {"fraud":
        "Graham Pettifer, 63, took £86,412 from Saltholme Parish Council over six years, Harrowmere Crown Court heard. "
        "He was jailed for three years and four months for the parish council fraud."})
    assert index.ask("How much was Graham Pettifer fined for the parish council fraud?").abstained
    index = _index_of(tmp_path / "fined", {"fraud":
        "Graham Pettifer, 63, who took £86,412 from Saltholme Parish Council, was fined £5,000 for the parish council fraud."})
    assert "£5,000" in index.ask("How much was Graham Pettifer fined for the parish council fraud?").text


def test_a_year_a_follow_up_borrowed_is_context_not_the_year_asked(tmp_path):
    """After "Which councillor chaired the committee that approved the scheme in 2012?", "How old
    was she when she died?" is not about 2012: her obituary of 2024 answers it."""
    index = _ingested(tmp_path, [
        {"id": "scheme", "title": "Flood scheme approved", "published": "2012-09-20", "text": "The planning committee "
         "approved the Lisk flood scheme in 2012.\n\nThe chair of the planning committee, Councillor Agnes Threlfall, said "
         "the decision was the most important the committee had taken."},
        {"id": "obituary", "title": "Agnes Threlfall, 1938-2024", "published": "2024-01-19", "text": "Agnes Threlfall, who "
         "served on Eastmere Borough Council for 41 years, has died at the age of 85.\n\nShe died peacefully on Tuesday at "
         "the Lisk Vale Hospice."},
    ])
    history = [{"question": "Which councillor chaired the planning committee that approved the Lisk flood scheme in 2012?",
                "answer": "Councillor Agnes Threlfall."}]
    answer = index.ask("How old was she when she died?", history=history)
    assert "85" in answer.text, answer.text


def test_a_review_score_is_a_mark_out_of_so_many(tmp_path):
    """"What review score did it get?" is answered by "nine out of ten" or "9/10", not by the
    other numbers of the review (the "2" of "Starfall 2", copies sold)."""
    from rag.question import analyse

    form = analyse("What review score did Launch Weekly give the original Starfall?").form[1]
    assert [g for m in form.finditer("It gives Starfall 2 eight out of ten. Verdict: 9/10. Four stars.") for g in m.groups() if g] == [
        "eight", "9", "Four"]
    assert analyse("What did Launch Weekly score Starfall 2 in its review?").form is not None
    assert analyse("What was the score?").form is None  # a match's score, not a mark
    # "Starfall 2" and "Starfall: Remastered" are other games than "Starfall", unless the question names one too
    from rag.answer import _named

    assert _named("starfall", "it gives starfall 2 eight out of ten") == 0 == _named("starfall", "starfall: remastered is out")
    assert _named("starfall", "starfall has sold 6.7 million, starfall 2 8.4 million") == 1
    assert _named("line", "line 2 will stay closed", "when will line 2 reopen?") == 1
    assert _named("town", "town 2 stenfield 1") == 1  # a score, not a sequel
    # the 2 of "Starfall 2" is not the 2 of "£2.88 billion"
    from rag.answer import _candidates
    from rag.retrieval import Passage

    def hard(question: str, text: str) -> float:
        passage = Passage("d", "d#0", "", "wire", "", "", text, 0, len(text), 1.0, ((0, len(text)),))
        return _candidates(analyse(question), [passage])[0].hard

    assert hard("What is the budget for Starfall 2?", "Corvane reported revenue of £2.88 billion for the quarter.") == 0
    assert hard("What is the budget for Starfall 2?", "The budget for Starfall 2 has risen to £42 million.") == 1
    # and "Starfall 2" is the name that answers "Which game won?", not "Starfall"
    from rag.question import Kind, typed_spans

    assert analyse("Which game won Game of the Year in 2020?").kind is Kind.PERSON
    assert analyse("Which publishing house is putting out Edmund's book?").kind is Kind.PERSON  # a name answers
    assert typed_spans(Kind.PERSON, "Starfall 2 was named Game of the Year on September 8.")[0] == "Starfall 2"
    assert typed_spans(Kind.PERSON, "He arrives on September 8.") == []
    index = _index_of(tmp_path, {
        "starfall": "Launch Weekly gives Starfall nine out of ten.\n\nStarfall sold 410,000 copies in its first week, "
                    "the studio said, and Launch Weekly named it the best game of the year.",
        "sequel": "Launch Weekly gives Starfall 2 eight out of ten.\n\nStarfall 2 sold 1.1 million copies in five days.",
    })
    answer = index.ask("What review score did Launch Weekly give the original Starfall?")
    assert answer.text.startswith("Launch Weekly gives Starfall nine out of ten"), answer.text


def test_a_question_that_asks_nothing_of_its_subject_but_when_is_answered_near_its_name(tmp_path):
    """"When did Spare come out?" asks nothing of Spare in words a report would use ("come
    out" is no news word): the date beside the name answers it, not a date far from it."""
    index = _index_of(tmp_path, {
        "memoir": "In 2022 they went on to accuse the palace of bias before Harry's memoir Spare in early 2023 made a "
                  "number of new claims.\n\nThe couple moved to California in 2020.",
    })
    answer = index.ask("When did Spare come out?")
    assert not answer.abstained and "early 2023" in answer.text, answer.text


def test_a_year_a_follow_up_moves_to_is_the_year_asked(tmp_path):
    """"And the year before? Who won?" after "Who won the cup in 2023?" asks about 2022: a sentence about
    2023 is about another year than the one asked, though the year came from the turn before."""
    from rag.answer import _clash
    from rag.conversation import standalone
    from rag.question import analyse
    from rag.retrieval import Passage

    history = [{"question": "Who won the Brennick County Cup final in 2023?", "answer": "Easterby RFC won it in 2023."}]
    q = analyse(standalone("and the year before? who won and what was the score", history))
    passage = Passage("d", "c", "", "", "2023-04-24", "", "", 0, 0, 0.0)
    assert _clash(q, set(), "Easterby RFC won the cup final in 2023.", passage)
    assert not _clash(q, set(), "Porthlow RFC won the 2022 final.", passage)


def _candidate(question: str, text: str, published: str = "", history=()) -> "object":
    """The answerer's reading of the sentence of `text` that it ranks as a candidate last (the whole
    `text` is one passage of an article published on `published`)."""
    from rag.answer import _candidates
    from rag.conversation import standalone
    from rag.retrieval import Passage

    passage = Passage("d", "d#0", "", "wire", published, "", text, 0, len(text), 1.0, tuple(sentence_spans(text)))
    return _candidates(analyse(standalone(question, history)), [passage])[-1]


def test_a_sentence_that_opens_with_instead_and_a_pronoun_is_read_with_its_antecedent():
    """"Instead, she'll hang back in California" says where Meghan will be only with the sentence
    before it, which names her."""
    s = _candidate("Where will Ana Ruiz be?", "Ana Ruiz is not expected to travel to Paris. Instead, she'll stay in Lisbon with the children.")
    assert s.text.startswith("Ana Ruiz is not expected") and "Lisbon" in s.text, s.text
    assert s.names == 1


def test_a_year_said_as_last_year_is_the_year_asked():
    """"Last year's prize went to Nadia Vell" in a 2019 report is about 2018, as surely as a
    report from 2018 would be."""
    q = "Who won the Varga Prize in 2018?"
    assert _candidate(q, "Last year's prize went to Nadia Vell for Winter Accounts.", "2019-11-14").hard == 0.7
    assert _candidate(q, "This year's prize went to Odile Fenwright.", "2019-11-14").hard == 0


def test_a_sentence_of_the_year_asked_answers_before_one_about_another_year(tmp_path):
    """"Which team lifted the cup in 2023?": the 2019 report of a win by the same teams matches the
    words better, but it is about 2019; the 2023 report, which answers as surely, is the answer."""
    index = _ingested(tmp_path, [
        {"id": "2019", "published": "2019-05-19", "text": "Fenholt United lifted the Orlen Cup for the first time on Saturday, "
         "beating holders Brackwater Rovers 4-3 on penalties after a 1-1 draw at Hollin Park.\n\nA crowd of 40,950 watched."},
        {"id": "2023", "published": "2023-06-10", "text": "Aldmouth's Corrin Stadium cost £262 million to build, a final audit "
         "found.\n\nThe stadium hosted its second Orlen Cup final last month, when Fenholt United beat Brackwater Rovers 2-0 "
         "in front of 53,400 spectators."},
    ])
    answer = index.ask("Which team lifted the Orlen Cup in 2023, and who did they beat?")
    assert not answer.abstained and "2-0" in answer.text, answer.text


def test_money_is_asked_by_its_noun_after_what_is():
    from rag.question import Kind

    for question in ("What's the maximum fine for ignoring the hosepipe ban?", "What was the original price tag for the scheme?",
                     "What was Tesla's revenue in Q2 2020?"):
        q = analyse(question)
        assert q.kind is Kind.NUMBER and q.money, question
    assert not analyse("What was the crowd at Hollin Park for the 2019 final?").money
    assert analyse("What was the crowd at Hollin Park for the 2019 final?").kind is Kind.NUMBER


def test_a_full_year_figure_answers_no_quarter():
    """"The company kept its full-year revenue forecast of $17.9 billion" does not say its revenue
    in the first quarter."""
    from rag.question import quarters

    assert quarters("It kept its full-year revenue forecast of $17.9 billion.") == {"year"}
    assert quarters("Annual revenue rose 4 percent.") == {"year"}
    assert quarters("The annual report was published on Monday.") == set()
    s = _candidate("What was Veltrana's revenue in the first quarter of 2024?",
                   "Veltrana kept its full-year revenue forecast of $17.9 billion.", "2024-07-30")
    assert s.clash == 1


def test_how_much_a_cost_grew_to_asks_the_level_it_reached(tmp_path):
    assert analyse("How much had the town's population grown to?").direction == 0
    assert analyse("How much had the town's population grown?").direction == 1
    index = _ingested(tmp_path, [{"id": "skelt", "published": "2021-09-21", "text": "Pollution in the River Skelt has fallen "
                                  "sharply since a clean-up programme began four years ago.\n\nHowever, the programme has become "
                                  "more expensive. Its total cost has risen from £18 million to £23.5 million, partly because "
                                  "of the price of steel."}])
    answer = index.ask("By 2021, how much had the total cost of the River Skelt clean-up grown to?")
    assert not answer.abstained and "£23.5 million" in answer.text, answer.text


def test_the_original_figure_is_not_one_a_change_led_to(tmp_path):
    """"What was the original price tag?" is answered neither by what the cost "has risen to" nor
    by the size of a rise ("has grown by £145 million")."""
    assert analyse("What was the original price tag for the line?").original
    assert not analyse("What is the price tag for the line?").original
    index = _index_of(tmp_path, {
        "2016": "The cost of electrifying the Saltharrow line has risen by almost 50 per cent to £455 million, it was "
                "revealed on Monday.\n\nA revised plan showed that completion has been pushed back to May 2019, while the "
                "bill has grown by £145 million.",
        "2012": "The railway between Saltharrow and Kestlebury is to be electrified in a £310 million scheme that promises "
                "faster trains.",
    })
    answer = index.ask("What was the original price tag for electrifying the Saltharrow line when it was first announced?")
    assert not answer.abstained and "£310 million" in answer.text and "£455" not in answer.text, answer.text


def test_a_number_in_the_units_asked_is_whole_however_written(tmp_path):
    """"three metres" answers "How far did the water rise?" as fully as "3 metres" would; "18 inches
    in the living room" is no nearer an answer for being written in digits."""
    from rag.answer import _complete

    assert _complete(analyse("How far did the water rise?"), "three") == 1.0
    index = _index_of(tmp_path, {
        "storm": "The rain poured off the hills into the River Skelt, which rose by more than three metres in 12 hours and "
                 "burst its banks in Orrinford early on Monday.\n\n\"We had 18 inches in the living room,\" one resident said.",
    })
    answer = index.ask("How far did the water rise in Orrinford?")
    assert "three metres" in answer.text, answer.text


def test_a_leading_clause_with_back_when_does_not_set_what_is_asked():
    from rag.question import Kind

    assert analyse("Back when electrification was first announced, roughly how many people rode the line?").kind is Kind.NUMBER
    assert analyse("Even after the delay, when will it open?").kind is Kind.DATE


def test_a_plan_as_a_noun_does_not_make_the_question_about_the_future():
    assert analyse("After the 2019 revision of the electrification plan, what was the new completion date?").tense == "past"
    assert analyse("When does the council plan to open the bridge?").tense == "future"
    assert analyse("When is the bridge planned to open?").tense == "future"


def test_attendance_counts_the_people_who_came():
    """"Attendance reached about 44,000" says how many people came, though it labels its number; a
    turnout still measures something other than how many members voted no."""
    from rag.answer import _other_measures

    assert _other_measures(analyse("How many people came to the festival?"), "Attendance reached about 44,000, organisers said.") == []
    assert _other_measures(analyse("How many members voted no?"), "Turnout was 61 percent, the union said.") != []


def test_a_follow_up_that_names_nothing_but_what_it_asks_borrows_the_earlier_turn():
    """"How many people turned up?" has four words besides "how", none of them a topic."""
    from rag.conversation import standalone

    history = [{"question": "Where was the Meridian Dev Summit held in 2019?", "answer": "In Vesland."}]
    assert standalone("How many people turned up?", history).startswith("How many people turned up? (Meridian Dev Summit")
    assert standalone("How many people live in the city of Vesland today?", history) == "How many people live in the city of Vesland today?"


def test_a_year_that_names_the_event_a_follow_up_points_at_is_asked():
    """"Where was it held?" after "When were the 2021 Golden Pixel Awards held?" asks about the
    2021 awards; after "…the plan approved in 2012" a question about her death does not ask about 2012."""
    from rag.answer import _asked_years
    from rag.conversation import standalone

    awards = analyse(standalone("Where was it held?", [{"question": "When were the 2021 Golden Pixel Awards held?", "answer": "On 11 December."}]))
    assert "2021 Golden Pixel Awards" in awards.text and _asked_years(awards.text, awards.years) == {"2021"}
    plan = analyse(standalone("How old was she when she died?", [{"question": "Who led the plan approved in 2012?", "answer": "Ada Finch."}]))
    assert plan.years == ("2012",) and _asked_years(plan.text, plan.years) == frozenset()


def test_an_age_beside_another_name_is_not_the_age_asked(tmp_path):
    """"How old was Hollis Crane when he retired?" is not answered by "Oduya, 47,", the age of the
    woman who succeeds him; "How old is Harry's son?" may be answered by "Archie, 6,"."""
    from rag.answer import _ages_of_others

    assert _ages_of_others("How old was Hollis Crane when he retired?", "Oduya, 47, will take up the post.") == {"47"}
    assert _ages_of_others("How old was Hollis Crane when he retired?", "Crane, 68, said he was proud.") == set()
    assert _ages_of_others("How old is Harry's son?", "Archie, 6, lives in California.") == set()
    index = _index_of(tmp_path, {
        "varga": "The Varga Foundation has appointed Maren Oduya as its new director, succeeding Hollis Crane, who retires at "
                 "the end of May after fourteen years.\n\nOduya, 47, will take up the post on 1 June, the foundation said.",
    })
    answer = index.ask("How old was Hollis Crane when he retired from the Varga Foundation?")
    assert "47" not in answer.text, answer.text


def test_a_report_about_another_year_does_not_lead_as_the_latest():
    """"Who won the 2020 final?": a 2022 report of the 2021 final is newer and names a winner, but
    it is about another year, so it is no contender for the latest answer."""
    from rag.answer import Sentence, _by_date
    from rag.retrieval import Passage

    def said(published: str, text: str, clash: float) -> Sentence:
        passage = Passage(published, published, "", "wire", published, "", text, 0, len(text), 1.0)
        return Sentence(passage, 0, 0, len(text), text, terms=1.0, names=1.0, hard=1.0, typed=1.0, context=1.0, cosine=0.8,
                        clash=clash, extras=[text.split(" won by ")[-1].split(",")[0]])

    q = analyse("Who won the 2020 Orlen Cup final?")
    best = said("2021-01-10", "The 2020 final was won by Saltmere Athletic, who beat Fenholt 2-0.", 0.0)
    other = said("2022-05-22", "Last year's final was won by Brackwater Rovers, who beat Greystone Town 1-0.", 1.0)
    assert _by_date(q, [best, other], best) == []


def test_a_thing_only_described_is_not_named(tmp_path):
    """"Which magazine bought the photos?" is not answered by "sold the pictures to a glossy weekly
    magazine": the report describes the magazine and names none, so the articles don't say which.
    A name beside the description ("a weekly magazine, Gloss,") answers it."""
    from rag import answer as A

    wedding = ("The ceremony took place on Saturday in front of 120 guests at Lindenholm, a restored manor.\n\nGuests were "
               "asked to hand over their phones, and Thorne and Maranova are said to have sold the wedding photos to a glossy "
               "weekly magazine for a six-figure sum, which will be donated to the Kellbridge Children's Hospice.")
    answer = _index_of(tmp_path / "described", {"wedding": wedding}).ask("Which magazine bought the photos of Thorne and Maranova's wedding?")
    assert answer.abstained and answer.text.startswith(A.UNNAMED), answer.text
    named = wedding.replace("a glossy weekly magazine for", "a weekly magazine, Gloss, for")
    answer = _index_of(tmp_path / "named", {"wedding": named}).ask("Which magazine bought the photos of Thorne and Maranova's wedding?")
    assert not answer.abstained and "Gloss" in answer.text, answer.text
    # "the name of their first child": "their first child" describes it; a place said before the verb is no name of it
    expecting = ("Prince Teodor, the Earl of Lisle, married Lady Anouk Varre in 2017.\n\nThe Earl and Countess of Lisle, who "
                 "live at Fenmoor House near Norbury, are expecting their first child in August.")
    answer = _index_of(tmp_path / "child", {"expecting": expecting}).ask("What is the name of the Earl and Countess of Lisle's first child?")
    assert answer.abstained and answer.text.startswith(A.UNNAMED), answer.text


def test_a_thing_said_without_its_kind_does_not_say_what_kind(tmp_path):
    """"What type of cancer does the King have?" is not answered by "continuing his [cancer]
    treatment": the report names the illness only as his, so the articles don't say what kind.
    One that gives the kind ("treatment for prostate cancer") answers it."""
    from rag import answer as A

    bare = ("King Osric of Varland returned to public duties on Monday.\n\nPalace officials said the King, 74, was "
            "continuing his [cancer] treatment at Fellmoor and would attend the harvest service in October.")
    answer = _index_of(tmp_path / "bare", {"palace": bare}).ask("What type of cancer does King Osric have?")
    assert answer.abstained and answer.text.startswith(A.UNTYPED), answer.text
    kind = bare.replace("continuing his [cancer] treatment", "continuing treatment for prostate cancer")
    answer = _index_of(tmp_path / "kind", {"palace": kind}).ask("What type of cancer does King Osric have?")
    assert not answer.abstained and "prostate cancer" in answer.text, answer.text


def test_a_sentence_that_never_mentions_the_thing_does_not_name_it(tmp_path):
    """"What is Delia Marchetti's new business called?" is not answered by her interview, however
    closely it matches her name: sentences that never mention a business name none. A report
    that does mention it answers, in its own word for it ("their daughter" for a child). "What
    did he say in his speech?" asks about a speech in the same way."""
    interview = ("Actress Delia Marchetti and her husband moved to Santa Lucia in 2020.\n\nIn March, Delia Marchetti "
                 "gave a long interview to a talk show host about her new life and her plans for the year.")
    answer = _index_of(tmp_path / "none", {"profile": interview}).ask("What is Delia Marchetti's new business called?")
    assert answer.abstained, answer.text
    business = interview + "\n\nThe couple's lifestyle business, Orchard Lane, opened its first shop in May."
    answer = _index_of(tmp_path / "named", {"profile": business}).ask("What is Delia Marchetti's new business called?")
    assert not answer.abstained and "Orchard Lane" in answer.text, answer.text
    # news says which child: "their daughter" mentions one
    daughter = interview + "\n\nThe couple's daughter, Elsa, turns 3 next month."
    answer = _index_of(tmp_path / "daughter", {"profile": daughter}).ask("What is the name of Delia Marchetti's child?")
    assert not answer.abstained and "Elsa" in answer.text, answer.text
    # what was said in a speech, likewise: no sentence about a speech says what was in it
    statue = ("Prince Aldric returned to Harrowdene in July to unveil a statue of his mother with his brother, Prince "
              "Osric.\n\nThe bronze statue stands in the palace's sunken garden, where their mother liked to walk.")
    asked = "What did Osric say in his speech at the statue unveiling?"
    answer = _index_of(tmp_path / "statue", {"statue": statue}).ask(asked)
    assert answer.abstained, answer.text
    speech = statue + '\n\nIn his speech, Osric said their mother "would have loved the quiet of this garden".'
    answer = _index_of(tmp_path / "speech", {"statue": speech}).ask(asked)
    assert not answer.abstained and "quiet of this garden" in answer.text, answer.text


def test_a_season_of_two_years_is_no_count(tmp_path):
    """"1994-95" and "the 2022/23 season" are two years, not a year and a count of 95 or 23: "How
    many votes did Mallon receive?" is not answered by "served as ceremonial mayor in 1994-95"."""
    from rag.question import Kind, strength, typed_spans

    assert typed_spans(Kind.NUMBER, "She served as the borough's ceremonial mayor in 1994-95.") == []
    assert strength(Kind.DATE, "summer of 2019") == strength(Kind.DATE, "July 2019")  # a season of a year stays a date
    assert typed_spans(Kind.NUMBER, "They finished on 61 points in the 2022/23 season.") == ["61"]
    council = ("Edith Harcastle has been elected mayor of Eastmere, succeeding Frederick Mallon.\n\nShe was deputy "
               "leader of the council from 1987 to 1991 and served as the borough's ceremonial mayor in 1994-95, long "
               "before the post of directly elected mayor was created.")
    answer = _index_of(tmp_path, {"council": council}).ask("How many votes did Frederick Mallon receive when he was re-elected mayor in 2012?")
    assert answer.abstained, answer.text


def test_a_bare_title_is_quoted_with_the_name_its_article_gave_it(tmp_path):
    """News names a title in full once ("the Duke of Harrowdene") and then bare ("The Duke, 30,"):
    the quote says who it means, as its article did. A title the article gave two holders, or one
    already said in full ("the Duke and Duchess of Sussex"), is left alone."""
    from rag.answer import _titled

    before = "Prince Aldric, the Duke of Harrowdene, and King Osric III walked behind the coffin. "
    assert _titled("The Duke, 30, read the second lesson.", before) == "The Duke [Prince Aldric, Duke of Harrowdene], 30, read the second lesson."
    assert _titled("It was the King's wish.", before) == "It was the King's [King Osric III] wish."
    assert _titled("The Duke and Duchess of Sussex were not there.", before) == "The Duke and Duchess of Sussex were not there."
    assert _titled("The Duke read a lesson.", before + "The Duke of Kell sat behind him. ") == "The Duke read a lesson."
    index = _index_of(tmp_path, {
        "funeral": "Prince Aldric, the Duke of Harrowdene, arrived at the abbey with his wife shortly before eleven.\n\n"
                   "The service was led by the Bishop of Vell. The Duke, 30, read the second lesson, and his younger "
                   "brother laid a wreath on behalf of the family.",
    })
    answer = index.ask("Which of the princes read a lesson at the funeral?")
    assert "Duke of Harrowdene" in answer.text, answer.text
    # and the sentence is about whom its title names: "he" is the Duke of Harrowdene
    index = _index_of(tmp_path / "advance", {
        "memoir": "The Duke of Harrowdene's memoir, Salt and Stone, will be published in May, his publisher said.\n\n"
                  "The book's editor said it was written over four years. The Duke is reported to have received an "
                  "advance of about £2 million for the book.",
        "rival": "Lord Penrith, an old friend of the Duke of Harrowdene, was paid an advance of £40,000 for his own memoir.",
    })
    answer = index.ask("How big an advance did he get for it?", history=[("Who wrote Salt and Stone?", "The Duke of Harrowdene.")])
    assert "£2 million" in answer.text, answer.text


def test_a_sentence_that_names_no_year_is_of_the_year_its_paragraph_named(tmp_path):
    """A results report of February 2025 gives "the three months to the end of December" once and
    then "Revenue rose 6.8 per cent to £402.7 million": that revenue is of 2024, not of the report's
    year. Asked as keywords ("fenwright revenue q4 2024"), the noun says a number is asked."""
    from rag.question import Kind, analyse

    assert analyse("fenwright revenue q4 2024").kind is Kind.NUMBER
    assert analyse("harry meghan oprah interview").kind is Kind.OTHER
    index = _ingested(tmp_path, [{
        "id": "results", "published": "2025-02-26", "title": "Fenwright posts record quarter",
        "text": "Fenwright Engineering reported record quarterly profits yesterday.\n\nPre-tax profit for the three "
                "months to the end of December rose 15.2 per cent to £41.5 million, the highest for any quarter in "
                "the company's 78-year history. Revenue rose 6.8 per cent to £402.7 million.",
    }])
    answer = index.ask("fenwright revenue q4 2024")
    assert "£402.7 million" in answer.text, answer.text


def test_a_follow_up_pointer_at_the_name_an_answer_gave_leaves_the_earlier_questions_names():
    """"And who did she marry?" after "Which actress played Helena Marr?" "Imogen Castell." asks
    about Imogen Castell, not about Helena Marr; "Where is her company based?" after "Who founded
    Kestrel Labs?" still asks about Kestrel Labs, and "that year" points at the earlier year."""
    from rag.conversation import standalone

    played = [{"question": "Which actress played Helena Marr in The Salt Courts?", "answer": "Imogen Castell."}]
    assert standalone("And who did she marry in 2016?", played) == "And who did she marry in 2016? (Imogen Castell; actress played)"
    bid = [{"question": "Which company made a takeover bid for Pellow Engineering?", "answer": "Corran Industries, a US maker."}]
    assert "Pellow" not in standalone("Where's that company based?", bid)
    founded = [{"question": "Who founded Kestrel Labs?", "answer": "Mireille Tandoh, its chief executive."}]
    assert "Kestrel Labs" in standalone("Where is her company based?", founded)
    won = [{"question": "Which film won the Golden Heron in 2018?", "answer": "Iron Meadows."}]
    assert "Golden Heron" in standalone("How many people came to the festival that year?", won)


def test_a_count_of_more_is_a_change_not_how_many(tmp_path):
    """"How many people work at the factory?" asks a level: "it had taken on 110 more workers" says
    how many it added, "takes the workforce to 470" how many work there."""
    index = _index_of(tmp_path, {
        "hiring": "Fenwright said it had taken on 110 more people to work at its Kestle Vale factory.\n\n"
                  "The hiring takes the workforce at Kestle Vale to 470, the most since 2020.",
    })
    answer = index.ask("How many people work at Fenwright's Kestle Vale factory?")
    assert "470" in answer.text and "110" not in answer.text, answer.text
    answer = index.ask("How many more workers did Fenwright take on at Kestle Vale?")
    assert "110" in answer.text, answer.text


def test_a_winner_or_champion_says_who_won(tmp_path):
    """"Who won the 2021 Tour of Istria?" is answered by who "stood atop the podium as the 2021
    Tour of Istria champion", not by the rider who won one stage of it."""
    from rag.lexical import said_in_other_words, tokenize

    assert said_in_other_words(tokenize("Who won the race?"), set(tokenize("the overall winner"))) == {"win"}
    index = _ingested(tmp_path, [
        {"id": "stage", "published": "2021-07-10", "text":
            "Lena Varga wins stage 13 of the Tour of Istria, her fourth victory in this year's race."},
        {"id": "final", "published": "2021-07-19", "text":
            "After 21 frantic stages that produced 13 stage winners in total, Maro Kell stood atop the Pula podium "
            "as the 2021 Tour of Istria champion."},
    ])
    answer = index.ask("Who won the 2021 Tour of Istria?")
    assert "Maro Kell" in answer.text and "Varga" not in answer.text, answer.text


def test_before_the_years_event_bounds_the_date_asked(tmp_path):
    """"Before their 2024 title win, when had Rovers last been champions?" asks a date before
    2024, as "before 2024" does: not the day of the 2024 win."""
    from rag.question import analyse

    assert analyse("Before their 2024 title win, when had Rovers last been league champions?").bounds == (("2024", -1),)
    assert analyse("After the 2018 cost review, when was it expected to open?").bounds == (("2018", 1),)
    assert analyse("Before the salmon spotted in 2021, when had one last been seen?").bounds == (("2021", -1),)
    day_after = analyse("Where did they meet the day after the lunch in 2024?")
    assert day_after.bounds == () and day_after.years == ("2024",)
    index = _ingested(tmp_path, [{"id": "title", "published": "2024-05-20", "text":
        "Veldham Rovers won the Carvonian Premier League title on Sunday with a game to spare, beating Port Linmouth "
        "2-0 at Quayside Park.\n\nIt is the club's second league title in three seasons, after they won the "
        "championship in 2022 with 81 points."}])
    answer = index.ask("Before their 2024 title win, when had Veldham Rovers last been league champions?")
    assert not answer.abstained and "2022" in answer.text and "May 19" not in answer.text, answer.text


def test_a_soundtrack_or_expansion_has_a_release_date_of_its_own(tmp_path):
    """"When was Starfall: Definitive Edition released?" is not answered by the day its second
    soundtrack album came out, but by "…Starfall: Definitive Edition, the video game released on…"."""
    index = _index_of(tmp_path, {
        "album": "A second soundtrack album featuring the remastered tracks used in Starfall: Definitive Edition was "
                 "released on 2 August 2023.",
        "discs": "This 5 disc original soundtrack features the music used in Starfall: Definitive Edition, the video "
                 "game released by Nimbus on May 29, 2020 for the Switch.",
    })
    answer = index.ask("When was Starfall Definitive Edition released?")
    assert answer.text.startswith("May 29, 2020"), answer.text
    assert index.ask("When was the Starfall: Definitive Edition soundtrack album released?").text.startswith("August 2, 2023")


def test_a_number_joined_to_a_noun_counts_that_noun(tmp_path):
    """The "two" of "two-term incumbent" counts terms: it answers no "how many votes", and
    when nothing else does the articles don't say."""
    from rag.question import analyse

    votes = analyse("How many votes did Linnea Okafor receive in the mayoral election?")
    assert not votes.counts("-term incumbent") and votes.counts(" votes") and votes.counts("-vote margin")
    crew = analyse("How many people were on the lifeboat?")
    assert crew.counts("-strong crew") and not crew.counts("-home estate")
    index = _index_of(tmp_path, {"mayor": (
        "Linnea Okafor, the lawyer who led the fight to save Fennick Market, was elected mayor of Port Calder on "
        "Tuesday, unseating two-term incumbent Gerald Throssel.\n\nOkafor, standing for the Civic Alliance, won 52.4 "
        "percent of the vote, according to final results released early on Wednesday.")})
    assert index.ask("How many votes did Linnea Okafor receive in the mayoral election?").abstained


def test_a_pronoun_after_a_short_opening_phrase_is_read_with_its_antecedent():
    """"In the conversation, they claimed…" says what Harry and Meghan claimed only with the
    sentence before it, which names them."""
    s = _candidate("What did Ana and Luis Ruiz tell the radio host happened when they left the firm?",
                   "In May, Ana and Luis Ruiz gave a long interview to a radio host. In the interview, they said they "
                   "were cut off financially when they decided to leave the firm.")
    assert s.text.startswith("In May, Ana and Luis Ruiz") and "cut off financially" in s.text, s.text
    assert s.names == 1


def test_an_unnamed_person_leaves_untold_only_who_it_was(tmp_path):
    """"…claimed an unnamed member of the family had questioned…" answers "What did they claim?";
    "sold it to an unnamed buyer" leaves "Who bought it?" untold."""
    from rag.lexical import said_in_other_words, tokenize

    assert said_in_other_words(tokenize("Who made the remark?"), set(tokenize("It was Charles who made the comment"))) == {"remark"}
    index = _index_of(tmp_path, {
        "interview": "In March, Ana and Luis Ruiz gave a tell-all interview to Tessa Marlowe. In the conversation, they "
                     "claimed they had been cut off financially, and claimed an unnamed member of the family had "
                     "questioned their plans.",
        "painting": "The harbour painting was sold at auction last week to an unnamed buyer for far less than its estimate.",
    })
    claimed = index.ask("What did Ana and Luis Ruiz claim in their interview with Tessa Marlowe?")
    assert not claimed.abstained and "cut off financially" in claimed.text, claimed.text
    bought = index.ask("Who bought the harbour painting at auction?")
    assert bought.abstained and "unnamed buyer" in bought.text, bought.text


def test_is_it_known_is_answered_by_what_is_known(tmp_path):
    """"Is it known who made the first move?" is answered by "It was not known whether it had been
    Ana or Luis who extended the olive branch", not by a sentence that names both and says nothing
    of what is known."""
    index = _index_of(tmp_path, {
        "summit": "Aides to Ana Ruiz and Luis Ruiz met at a hotel in Lisbon last month. It was not known whether it "
                  "had been Ana or Luis who extended the olive branch, but insiders said the meeting was a sign of "
                  "determination on both sides.",
        "feud": "\"Ana was hugely hurt when Luis just walked out on the family business and moved abroad,\" a source "
                "close to the Ruiz family said.",
    })
    answer = index.ask("Is it known who made the first move, Ana or Luis?")
    assert "not known" in answer.text, answer.text



def test_where_an_event_was_in_the_year_asked_is_said_beside_its_name(tmp_path):
    """"Where did the Meridian Dev Summit take place in 2018?": "Last year's edition in Greywick drew
    about 6,800" in a 2019 report says it, though it repeats no word of the question; the sentence
    about this year's summit, which names the summit, is about another year. (The almanac set's
    corpus, `eval/corpora/almanac`: five reports on the summit among twenty.)"""
    corpus = Path(__file__).resolve().parent.parent / "eval" / "corpora" / "almanac" / "articles.jsonl"
    index = _ingested(tmp_path, [json.loads(line) for line in corpus.read_text().splitlines()])
    took_place = index.ask("Where did the Meridian Dev Summit take place in 2018?")
    assert not took_place.abstained and "Greywick" in took_place.text, took_place.text
    hosted = index.ask("Which city hosted the Meridian Dev Summit in 2016?")
    assert not hosted.abstained and "Orrisby" in hosted.text, hosted.text
