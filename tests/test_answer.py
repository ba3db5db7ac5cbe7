"""Issue 3: short answers whose every sentence cites a dated passage; abstention; follow-ups.

These assert the behaviour the issue asks for, not wording: the answerer is being tuned.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import SEEDS, run_rag

from rag.chunking import sentence_spans
from rag.corpus import Article, load

HARRY = "When did Harry last see Charles?"
ANSWERABLE = [
    HARRY,
    "Where will Meghan stay during Harry's trip to London?",
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


def test_the_harry_answer_is_dated_and_newest_first(seed_index, seed_articles):
    answer = seed_index.ask(HARRY)

    assert not answer.abstained
    assert "February 2024" in answer.text, answer.text
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
]


@pytest.mark.parametrize(("question", "expected", "wrong"), [
    # the year or quarter asked decides: a sentence about Q1 2023 does not answer Q1 2021
    ("What was Acme's revenue in Q1 2021?", "$2.4 billion", "$5.1 billion"),
    # a snippet's dateline is when it was filed, not when the game came out
    ("When was Zephyr Quest released?", "May 15, 2012", "March 3, 2014"),
    # of two dates, the one next to "released" answers
    ("When was Nimbus Racer released?", "May 20, 2011", "June 3, 2008"),
])
def test_the_answer_is_the_one_the_question_asks_for(tmp_path, question, expected, wrong):
    from rag import Index

    corpus = tmp_path / "news.jsonl"
    corpus.write_text("\n".join(json.dumps({"title": "", "source": "wire", "published": None, **a}) for a in NEWS) + "\n")
    index = Index.open(tmp_path / "index")
    index.ingest([corpus])
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
    assert "privacy" in answer.text and "dignity" in answer.text, answer.text


def test_a_follow_up_swaps_the_phrase_it_stands_for():
    from rag.conversation import standalone

    assert standalone("and his brother?", ["Is Harry going to see his father in September?"]) == (
        "Is Harry going to see his brother in September?"
    )
    assert standalone("And the Queen?", ["When did Harry last see the King?"]) == "When did Harry last see the Queen?"
