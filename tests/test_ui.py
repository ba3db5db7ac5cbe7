"""The browser chat, end to end: a real `rag serve`, real headless Chromium, real gradio_client.

One server (on a copy of the seed index) serves every browser test; each test opens its own page.
Every request any page makes is recorded, so the last browser test can check that all went to
127.0.0.1. Screenshots of the main states go to tests/artifacts/ui/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from conftest import BIN, ROOT, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts" / "ui"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
HARRY = "When did Harry last see Charles?"
BROWSER = pytest.mark.browser
MAX_FILE_MB = 1  # the server under test gets a small limit, so the size check is cheap to test

XSS_TITLE = "Mayor <img src=x onerror=alert(1)> opens bridge <script>alert(1)</script>"
XSS_TEXT = (
    "The mayor of Springfield opened the Quimby suspension bridge <img src=x onerror=alert(1)> on "
    "12 May 2025 <script>alert(1)</script> with a red ribbon ![x](http://evil.example/x.png) and "
    "[a speech](javascript:alert(1)) about ${alert(1)} {{alert(1)}} $$x^2$$ traffic.\n\n"
    "Residents said the Quimby bridge would cut their commute to the Springfield nuclear plant."
)


class Server:
    """`rag serve` as a user starts it, on a free port; stopped at the end."""

    def __init__(self, index: Path, *extra: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = index.parent / f"serve-{self.port}.log"
        command = [str(BIN / "rag"), "serve", "--index", str(index), "--port", str(self.port), *extra]
        self._log_file = open(self.log, "wb")
        self.process = subprocess.Popen(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "RAG_MAX_FILE_MB": str(MAX_FILE_MB), **(env or {})},
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if "Chat running at" in self.output() and self._responds():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"rag serve exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"rag serve was not ready in 120 s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _responds(self) -> bool:
        try:
            return httpx.get(self.url, timeout=2).status_code in (200, 401)
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_index_path):
    index = tmp_path_factory.mktemp("ui") / "index"
    shutil.copytree(seed_index_path, index)
    srv = Server(index)
    yield srv
    srv.stop()
    assert "Traceback" not in srv.output(), srv.output()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium); ./run.sh test installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


REQUESTS: list[str] = []  # every URL any test page asked for
DIALOGS: list[str] = []  # every alert/confirm/prompt any test page opened


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.on("request", lambda request: REQUESTS.append(request.url))

    def on_dialog(dialog):
        DIALOGS.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(server.url, wait_until="load")
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled", full_page=full_page)


def bot_messages(page):
    return page.locator('#chat [data-testid="bot"]')


def ask(page, question: str):
    """Type a question, press Enter, wait until its answer is complete; return that message."""
    before = bot_messages(page).count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        """n => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            return bots.length === n && !bots[n - 1].querySelector('.caret, .pending');
        }""",
        arg=before + 1, timeout=90_000,
    )
    return bot_messages(page).nth(before)


def watch_chat(page) -> None:
    """Record every text the newest answer shows while it is written."""
    page.evaluate(
        """() => {
            window.__seen = [];
            new MutationObserver(() => {
                const bots = document.querySelectorAll('#chat [data-testid="bot"]');
                if (bots.length) window.__seen.push(bots[bots.length - 1].innerText);
            }).observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true});
        }"""
    )


def cards(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#sources .card')].map(c => ({
            n: c.querySelector('.badge').innerText, date: c.querySelector('.date').innerText,
            title: c.querySelector('.title').innerText, meta: c.querySelector('.meta').innerText,
            quote: c.querySelector('blockquote').innerText}))"""
    )


def norm(text: str) -> str:
    return " ".join(text.split())


# ---- the chat -------------------------------------------------------------------------------------


def test_serve_prints_its_url_and_listens_on_localhost_only(server):
    import psutil

    assert f"Chat running at http://127.0.0.1:{server.port}/" in server.output()
    listening = {c.laddr.ip for c in psutil.Process(server.process.pid).net_connections("tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == server.port}
    assert listening == {"127.0.0.1"}


@BROWSER
def test_harry_answer_streams_cites_dated_sources_and_opens_the_highlighted_article(page):
    shot(page, "01-start")
    watch_chat(page)
    answer = ask(page, HARRY)
    final = answer.inner_text()
    markers = answer.locator("a.cite")
    assert markers.count() >= 1 and re.fullmatch(r"\[\d+\]", markers.first.inner_text())

    seen = [norm(t) for t in page.evaluate("window.__seen")]
    partial = [t for t in seen if "▍" in t and len(t.replace("▍", "").strip()) < len(norm(final))]
    assert partial, f"the answer never appeared piece by piece: {seen[:5]}"
    shot(page, "02-answer")

    sources = cards(page)
    first = sources[0]
    markers.first.click()
    mark = page.locator("#article mark")
    mark.wait_for(timeout=30_000)
    assert norm(mark.inner_text()) == norm(first["quote"])
    assert norm(first["title"]) in norm(page.locator("#article .title").inner_text())
    article = norm(page.locator("#article .article-text").inner_text())
    assert len(article) > 3 * len(norm(first["quote"])), "the whole article, not just the quote"
    assert page.locator("#sources .card.selected").count() == 1
    shot(page, "03-article")

    # each source card's button opens its own article
    page.locator("#sources button.open").last.click()
    page.wait_for_function(
        "q => document.querySelector('#article mark') && document.querySelector('#article mark').innerText.replace(/\\s+/g, ' ').trim() === q",
        arg=norm(sources[-1]["quote"]), timeout=30_000,
    )

    # what the answer must say: the 2025 reports' date first, the 2021 report's dated after it
    assert "February 2024" in final
    years = [c["date"][-4:] for c in sources]
    assert "2025" in years and "2021" in years, sources
    assert years.index("2025") < years.index("2021"), "newest source first for a 'last' question"
    assert page.locator("#sources .dated-note").is_visible()


@BROWSER
def test_follow_up_uses_the_previous_turn(page):
    before = bot_messages(page).count()
    page.locator("#examples button.chip", has_text=HARRY).click()  # the example asks it at once
    page.wait_for_function(
        "n => { const b = document.querySelectorAll('#chat [data-testid=\"bot\"]');"
        " return b.length === n && !b[n - 1].querySelector('.caret, .pending'); }",
        arg=before + 1, timeout=90_000,
    )
    assert page.locator('#chat [data-testid="user"]').first.inner_text().strip() == HARRY
    follow = ask(page, "And William?")
    text = follow.inner_text()
    assert "Understood as" in text and "Harry" in text.split("Understood as", 1)[1]
    assert follow.locator(".abstain").count() == 0
    assert "William" in norm(text)
    assert follow.locator("a.cite").count() >= 1
    shot(page, "04-follow-up")

    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    alone = ask(page, "And William?")  # the same words with no conversation mean something else
    assert "Understood as" not in alone.inner_text()


@BROWSER
def test_articles_dont_say_and_bad_input_get_clear_messages(page, server):
    answer = ask(page, "What is the price of bitcoin?")
    assert answer.locator(".abstain").inner_text().startswith("The articles don't say")
    assert page.locator("#sources .abstain-card").is_visible()
    shot(page, "05-articles-dont-say")

    bots = bot_messages(page).count()
    page.fill("#question textarea", "   ")
    page.press("#question textarea", "Enter")
    error = page.locator("#status .status.error")
    error.wait_for(timeout=20_000)
    assert "The question is empty" in error.inner_text()
    shot(page, "06-error-empty")

    long_question = "Why " + "really " * 400 + "?"
    page.fill("#question textarea", long_question)
    page.press("#question textarea", "Enter")
    page.wait_for_function("() => (document.querySelector('#status') || {}).innerText?.includes('limit is')", timeout=20_000)
    assert "Ask a shorter question" in page.locator("#status").inner_text()
    assert page.input_value("#question textarea") == long_question, "the typed text is kept"
    assert bot_messages(page).count() == bots, "a refused question does not enter the conversation"
    assert "Traceback" not in page.content()


@BROWSER
def test_filters_restrict_retrieval(page):
    page.click("#filters button, #filters .label-wrap")
    page.locator("#sources-filter input").click()
    page.locator("#sources-filter input").fill("Page Six")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    answer = ask(page, HARRY)
    sources = cards(page)
    assert sources and all("Page Six" in c["meta"] for c in sources), sources
    assert "Filters: source: Page Six" in answer.inner_text()
    shot(page, "07-filtered", full_page=True)

    page.locator("#sources-filter .token-remove, #sources-filter button.token-remove").first.click()
    page.fill("#after input", "2025-01-01")
    page.press("#after input", "Enter")
    answer = ask(page, HARRY)
    sources = cards(page)
    assert sources and all(c["date"].endswith("2025") for c in sources), sources
    assert "Filters: published from 1 Jan 2025" in answer.inner_text()

    bots = bot_messages(page).count()
    page.fill("#after input", "2025-13-45")
    page.press("#after input", "Enter")
    page.fill("#question textarea", HARRY)
    page.press("#question textarea", "Enter")
    page.locator("#status .status.error").wait_for(timeout=20_000)
    assert "Bad date filter" in page.locator("#status").inner_text()
    assert bot_messages(page).count() == bots


# ---- the corpus tab -------------------------------------------------------------------------------


def upload(page, *paths: Path) -> str:
    page.get_by_role("tab", name="Corpus").click()
    page.set_input_files("#upload input[type=file]", [str(p) for p in paths])
    page.click("#add")
    status = page.locator("#upload-status .status")
    status.first.wait_for(timeout=120_000)
    return page.locator("#upload-status").inner_text()


@BROWSER
def test_upload_an_article_then_get_an_answer_cited_from_it(page, tmp_path):
    article = tmp_path / "edinburgh-panda.txt"
    article.write_text(
        "date 2025-03-10\nEdinburgh Zoo welcomes a panda cub\n\nEdinburgh Zoo said its giant panda "
        "Yang Guang became a father on 3 March 2025. The keepers named the cub Bao Li after a vote by "
        "visitors. The cub weighed 180 grams at birth and will go on show in the summer.\n",
        encoding="utf-8",
    )
    report = upload(page, article)
    assert "1 added" in report
    table = page.locator("#corpus-table")
    table.get_by_text("Edinburgh Zoo welcomes a panda cub").wait_for(timeout=20_000)
    assert "4 articles" in page.locator("#corpus-summary").inner_text()
    shot(page, "08-corpus-upload")

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "What did the keepers name the panda cub?")
    assert "Bao Li" in answer.inner_text()
    assert any(c["title"] == "Edinburgh Zoo welcomes a panda cub" and "10 Mar 2025" in c["date"] for c in cards(page))


@BROWSER
def test_untrusted_text_is_shown_as_text_and_runs_nothing(page, tmp_path):
    row = {"id": "<img src=x onerror=alert(1)>", "title": XSS_TITLE, "source": "<script>alert(1)</script> Gazette",
           "published": "2025-05-13", "url": "javascript:alert(1)", "text": XSS_TEXT}
    hostile = tmp_path / "<img src=x onerror=alert(1)>.jsonl"
    hostile.write_text(json.dumps(row) + "\n", encoding="utf-8")
    report = upload(page, hostile)
    assert "1 added" in report

    page.get_by_role("tab", name="Corpus").click()
    page.locator("#corpus-table").get_by_text(XSS_TITLE).wait_for(timeout=20_000)

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "When did the mayor of Springfield open the Quimby bridge?")
    assert answer.locator("a.cite").count() >= 1
    answer.locator("a.cite").first.click()
    page.locator("#article mark").wait_for(timeout=30_000)
    shown = page.locator("#sources").inner_text() + page.locator("#article").inner_text()
    assert "<script>alert(1)</script>" in shown and "<img src=x onerror=alert(1)>" in shown
    assert "![x](http://evil.example/x.png)" in page.locator("#article").inner_text()
    shot(page, "09-untrusted-text")

    live = page.evaluate(
        """() => ({
            onerror: document.querySelectorAll('[onerror]').length,
            imgX: document.querySelectorAll('img[src="x"], img[src*="evil"]').length,
            js: document.querySelectorAll('a[href^="javascript"], a[href*="evil"]').length,
            scripts: [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length,
        })"""
    )
    assert live == {"onerror": 0, "imgX": 0, "js": 0, "scripts": 0}
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert DIALOGS == []


@BROWSER
def test_every_request_went_to_localhost(page):
    assert REQUESTS, "no requests were recorded"
    hosts = {urlparse(url).hostname for url in REQUESTS if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts


# ---- the API and the server side of uploads -------------------------------------------------------


def test_ask_endpoint_returns_the_answer_as_json(server):
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    result = client.predict(HARRY, api_name="/ask")
    assert {"answer", "abstained", "warnings", "citations"} <= set(result)
    assert result["abstained"] is False and isinstance(result["warnings"], list) and result["citations"]
    for c in result["citations"]:
        assert {"n", "doc_id", "title", "published", "text", "start", "end"} <= set(c)
        assert f"[{c['n']}]" in result["answer"]
        assert c["end"] - c["start"] == len(c["text"])
    with pytest.raises(Exception, match="question is empty"):
        client.predict("", api_name="/ask")
    assert "February 2024" in result["answer"]


def test_uploads_are_checked_on_the_server(server, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ" + b"\0" * 100)
    big = tmp_path / "big.txt"
    big.write_text("A sentence about nothing in particular. " * (MAX_FILE_MB * 2**20 // 30), encoding="utf-8")
    result = client.predict([handle_file(str(exe)), handle_file(str(big))], api_name="/upload")
    status = result[-1]
    assert "tool.exe" in status and "not accepted" in status
    assert "big.txt" in status and f"over the {MAX_FILE_MB} MB limit" in status
    uploads = Path(re.search(r"--index (\S+)", " ".join(server.process.args)).group(1)) / "uploads"
    assert not (uploads / "tool.exe").exists() and not (uploads / "big.txt").exists()


def test_auth_protects_a_shared_server(tmp_path, seed_index_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index_path, index)
    srv = Server(index, "--auth", "alice:s3cret")
    try:
        assert httpx.get(srv.url + "config", timeout=10).status_code == 401
        with httpx.Client(base_url=srv.url, timeout=10) as http:
            assert http.post("login", data={"username": "alice", "password": "wrong"}).status_code == 400
            assert http.post("login", data={"username": "alice", "password": "s3cret"}).status_code == 200
            assert http.get("config").status_code == 200
    finally:
        srv.stop()


# ---- upload names (no server needed) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, saved_as",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        (".bashrc.txt", "bashrc.txt"),
        ("<img src=x onerror=alert(1)>.html", "_img src_x onerror_alert_1__.html"),
        ("..", None),
        ("report.PDF", None),
    ],
)
def test_uploaded_files_are_saved_only_inside_the_upload_folder(tmp_path, name, saved_as):
    from ui.uploads import save_uploads

    temp = tmp_path / "incoming"
    temp.write_text("date 2025-01-01\nA headline\n\nSome text.", encoding="utf-8")
    folder = tmp_path / "index" / "uploads"
    result = save_uploads([(name, temp)], folder, max_file_mb=1)
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p != temp)
    if saved_as is None:
        assert result.saved == () and len(result.rejected) == 1 and "not accepted" in result.rejected[0]
        assert written == []
    else:
        assert result.saved == (folder.resolve() / saved_as,) and result.rejected == ()
        assert written == [folder / saved_as]


def test_oversized_upload_is_refused_before_copying(tmp_path):
    from ui.uploads import save_uploads

    big = tmp_path / "big.jsonl"
    big.write_bytes(b"x" * (2 * 2**20 + 1))
    result = save_uploads([("big.jsonl", big)], tmp_path / "uploads", max_file_mb=0.2)  # .jsonl: 10 x 0.2 MB
    assert result.saved == () and "over the 2 MB limit" in result.rejected[0]
    assert not any((tmp_path / "uploads").iterdir())


# ---- rendering and the article text behind the viewer (no server needed) ---------------------------

PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "![x](http://evil.example/x.png)",
    "[click](javascript:alert(1))", "www.evil.example", "<a href='javascript:alert(1)'>x</a>",
    "${alert(1)} {{alert(1)}} $$x^2$$", "# heading\n- list\n> quote\n```code```",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_chat_text_displays_the_characters_and_nothing_else(payload):
    import html

    from ui.render import chat_text, esc

    shown = chat_text(payload)
    assert html.unescape(shown) == payload
    bare = re.sub(r"&#\d+;", "", shown)  # what is left besides character references
    assert not set(bare) & set("<>[]()!:`*_$#{}-&"), shown  # no Markdown, HTML or autolink syntax
    assert html.unescape(esc(payload)) == payload and "<" not in esc(payload)


def test_only_real_citation_markers_become_links(seed_index):
    from ui.render import answer_message

    answer = seed_index.ask("Where will Harry be on September 8?")
    assert answer.citations
    shown = answer_message(answer, 3)
    links = re.findall(r'<a class="cite" href="#cite-3-(\d+)"', shown)
    assert sorted(map(int, links)) == sorted(c.n for c in answer.citations)
    assert "<" not in re.sub(r'<a class="cite"[^>]*>\[\d+\]</a>', "", shown)


def test_example_questions_are_offered_only_over_articles_they_fit(seed_index):
    """The chips ask about Harry and Charles: over the seed articles they help, over other
    news they would only mislead, so they and the placeholder's example are left out."""
    from ui.app import EXAMPLES, fitting_examples
    from ui.render import examples_html

    assert fitting_examples(a.title for a in seed_index.articles()) == EXAMPLES
    assert fitting_examples(["Storm Ingrid batters the coast", "Veltrana chief to step down"]) == ()
    assert examples_html(()) == "" and all(q in examples_html(EXAMPLES) for q in EXAMPLES)


def test_a_report_that_says_it_is_not_known_is_shown_cited(tmp_path):
    """The articles don't say, and one report says it is not known: the chat links its [1] and
    shows that report's card under a note saying so."""
    from rag import Index
    from ui.render import answer_message, sources_html

    corpus = tmp_path / "obit.txt"
    corpus.write_text("Hedda Marlowe, who ran the Harrowgate Museum, has died. Her family announced her death but did not give a cause.\n")
    index = Index.open(tmp_path / "index")
    index.ingest([corpus])
    answer = index.ask("What was the cause of Hedda Marlowe's death?")
    assert answer.abstained and answer.citations
    assert set(re.findall(r'<a class="cite" href="#cite-2-(\d+)"', answer_message(answer, 2))) == {"1"}
    cards = sources_html(answer, 2)
    assert "not known" in cards and 'id="source-2-1"' in cards and "did not give a cause" in cards


def test_article_text_puts_every_chunk_and_citation_at_its_offsets(seed_index):
    from rag.corpus import load

    articles = {a.id: a for a in load([ROOT / "seeds"])}
    for record in seed_index.articles():
        text = seed_index.article_text(record.doc_id)
        assert len(text) == len(articles[record.doc_id].text) == record.chars
        for chunk, meta in seed_index.store.article_chunks(record.doc_id, record.version):
            assert text[int(meta["start"]):int(meta["end"])] == chunk
    answer = seed_index.ask(HARRY)
    for c in answer.citations:
        assert seed_index.article_text(c.passage.doc_id)[c.start:c.end] == c.text
