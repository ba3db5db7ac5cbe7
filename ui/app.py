"""The browser chat: a thin Gradio layer over `rag.Index`.

Chat tab: the conversation (answers stream in, `[n]` markers open the cited article with the
quoted span highlighted), a sources panel beside it, example questions, filters that go to
retrieval. Corpus tab: the indexed articles and an upload that ingests files with progress.
`/ask` is the named API endpoint for `gradio_client`.

All markup comes from `ui.render`, which escapes every string that did not come from this code.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import Answer
from rag.errors import ConfigError, RagError
from rag.index import Index, make_filters
from rag.question import analyse
from rag.corpus import SUPPORTED, size_limit_mb

from . import render
from .uploads import save_uploads

log = logging.getLogger(__name__)

EXAMPLES = (
    "When did Harry last see Charles?",
    "Where will Harry be on September 8?",
    "How long have Harry and Charles been apart?",
)
#: The extractive answer exists all at once; it is revealed a few words at a time so the reader
#: sees it arrive, as it would from a language model (which streams through the same path).
REVEAL_WORDS = 3
REVEAL_PAUSE_S = 0.03

CSS = (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")

#: Installed once by the sources panel: any element with data-cite="turn-n" (a marker in the chat
#: or a button on a source card) opens that citation through the panel's own event.
CITE_JS = """
window.__ragOpenCitation = (cite) => trigger('click', {cite: cite});
if (!window.__ragCiteListener) {
  window.__ragCiteListener = true;
  document.addEventListener('click', (event) => {
    const target = event.target.closest ? event.target.closest('[data-cite], a[href^="#cite-"]') : null;
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    const cite = target.getAttribute('data-cite') || target.getAttribute('href').slice(6);
    window.__ragOpenCitation(cite);
  }, true);
}
"""
EXAMPLE_JS = """
element.addEventListener('click', (event) => {
  const chip = event.target.closest('button[data-example]');
  if (chip) trigger('click', {example: chip.getAttribute('data-example')});
});
"""
SCROLL_TO_MARK_JS = """
watch('value', () => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({block: 'center'});
});
"""


class ChatApp:
    """The handlers, bound to one open index; `build()` wires them to components."""

    def __init__(self, index: Index):
        self.index = index

    @property
    def upload_folder(self) -> Path:
        return Path(self.index.settings.index_path) / "uploads"

    # ---- chat --------------------------------------------------------------------------------

    def respond(self, message: str, turns: list[dict], chat: list[dict], after: str | None, before: str | None,
                sources: list[str] | None):
        """Generator for the chat event: yields (chat, turns, question box, sources, article panel, status)."""
        skip = gr.skip()
        try:
            question = self.index.check_question(message or "")
            filters = dict(published_after=_day(after), published_before=_day(before), sources=sources or None)
            make_filters(*filters.values())  # a bad date is reported before the question joins the chat
        except RagError as err:
            yield skip, skip, skip, skip, skip, render.message_html("error", str(err))
            return
        turn = len(turns)
        chat = [*chat, {"role": "user", "content": render.chat_text(message.strip())},
                {"role": "assistant", "content": render.SEARCHING}]
        yield chat, skip, "", skip, gr.update(visible=False), ""
        history = [{"question": t["question"], "answer": t["answer"].text} for t in turns]
        try:
            for text, pending, answer in self.stream(question, history, filters):
                if answer is None:
                    chat[-1] = {"role": "assistant", "content": render.partial_message(text, pending)}
                    yield chat, skip, skip, skip, skip, skip
        except Exception as err:  # never a traceback in the page; the log has unexpected ones
            if isinstance(err, RagError):
                text = str(err)
            else:
                log.exception("answering %r failed", question)
                text = f"Something went wrong while answering ({type(err).__name__}). The server log has the details."
            chat[-1] = {"role": "assistant", "content": render.chat_error(text)}
            yield chat, skip, skip, skip, skip, render.message_html("error", text)
            return
        note = render.filters_note(*filters.values())
        chat[-1] = {"role": "assistant", "content": render.answer_message(answer, turn, note)}
        turns = [*turns, {"question": question, "answer": answer}]
        yield chat, turns, skip, render.sources_html(answer, turn), skip, ""

    def stream(self, question: str, history: list[dict], filters: dict) -> Iterator[tuple[str, str, Answer | None]]:
        """(text so far, provisional text, final answer or None): the model's tokens when a
        language model answers, else the extractive answer revealed a few words at a time."""
        streamed = False
        for event in self.index.ask_stream(question, history, **filters):
            if not event.done:
                streamed = True
                yield event.text, event.pending, None
                continue
            final = event.answer
            if not streamed:
                words = final.text.split(" ")
                for i in range(REVEAL_WORDS, len(words), REVEAL_WORDS):
                    yield " ".join(words[:i]), "", None
                    time.sleep(REVEAL_PAUSE_S)
            yield final.text, "", final

    def open_citation(self, turns: list[dict], evt: gr.EventData):
        """A click on a marker or source card: show that turn's sources and the article."""
        data = getattr(evt, "_data", None) or {}
        try:
            turn, n = (int(x) for x in str(data.get("cite", "")).split("-", 1))
            answer: Answer = turns[turn]["answer"]
            citation = next(c for c in answer.citations if c.n == n)
        except (ValueError, IndexError, StopIteration, KeyError, TypeError):
            return gr.skip(), gr.skip(), gr.skip(), render.message_html("error", "That citation is no longer in this chat.")
        try:
            record = next(a for a in self.index.articles() if a.doc_id == citation.passage.doc_id)
            text = self.index.article_text(record.doc_id)
        except (RagError, StopIteration) as err:
            message = str(err) or "The cited article is no longer in the index."
            return render.sources_html(answer, turn, n), gr.skip(), gr.skip(), render.message_html("error", message)
        start = citation.start
        if text[start:citation.end] != citation.text:  # the article was replaced since the answer
            start = text.find(citation.text)
            if start < 0:
                message = "This article has changed since the answer was given and no longer holds the quote. Ask again."
                return render.sources_html(answer, turn, n), gr.skip(), gr.skip(), render.message_html("error", message)
        article = render.article_html(record, text, start, start + len(citation.text), n)
        return render.sources_html(answer, turn, n), article, gr.update(visible=True), ""

    # ---- corpus ------------------------------------------------------------------------------

    def corpus_view(self):
        """Header, corpus table and summary, and the sources filter's choices, from the index now."""
        info = self.index.info()
        summary = render.corpus_summary_html(info)
        return (
            render.header_html(info),
            render.corpus_rows(self.index.articles()),
            summary,
            gr.update(choices=info["sources"]),
        )

    def upload(self, files: list[str] | None, progress=gr.Progress()):
        """Check, save and ingest uploaded files; then refresh everything that lists the corpus."""
        if not files:
            status = render.message_html("error", "Choose one or more files first (.txt, .md, .html or .jsonl).")
            return (gr.skip(),) * 4 + (gr.skip(), status)
        pairs = [(Path(f).name, Path(f)) for f in files]
        result = save_uploads(pairs, self.upload_folder, self.index.settings.max_file_mb)
        lines = [render.message_html("error", line) for line in result.rejected]
        if result.saved:
            progress(0, desc="Reading the files")

            def report_progress(done: int, total: int) -> None:
                progress((done, total) if total else 1, desc="Embedding passages", unit="passages")

            try:
                report = self.index.ingest(result.saved, progress=report_progress)
            except RagError as err:
                lines.insert(0, render.message_html("error", str(err)))
            else:
                folder = f"{self.upload_folder.resolve()}/"
                kind = "ok" if report.added or report.updated else "info"
                lines.insert(0, render.message_html(kind, report.summary()))
                lines += [render.message_html("info", d.replace(folder, "")) for d in report.details()]
        return (*self.corpus_view(), None, "".join(lines))

    # ---- API -----------------------------------------------------------------------------------

    def ask_api(self, question: str) -> dict:
        """Answer a question about the articles. Returns JSON: answer, abstained, warnings, and
        citations (n, doc_id, title, source, published, text, start, end, ...)."""
        try:
            answer = self.index.ask(question)
        except RagError as err:
            raise gr.Error(html.escape(str(err), quote=False), print_exception=False) from None
        data = answer.to_dict()
        data.pop("retrieved", None)
        return data


def fitting_examples(titles: Iterable[str]) -> tuple[str, ...]:
    """The example questions, when the articles are about the people they ask about (the seed
    articles): over other news, a chip asking about Harry would only mislead."""
    said = " ".join(titles).lower()
    return EXAMPLES if all(name in said for q in EXAMPLES for name in analyse(q).names) else ()


def _example(evt: gr.EventData) -> Any:
    """The example question whose chip was clicked (a click beside the chips changes nothing)."""
    data = getattr(evt, "_data", None) or {}
    return data["example"] if data.get("example") in EXAMPLES else gr.skip()


def _day(value: str | None) -> str | None:
    """A date field's text as the library takes it (YYYY-MM-DD), or None when empty."""
    return (value or "").strip()[:10] or None


def build(index: Index) -> gr.Blocks:
    app = ChatApp(index)
    header, rows, summary, _ = app.corpus_view()
    sources_choices = index.info()["sources"]
    kinds = ", ".join(sorted(SUPPORTED))
    limit = index.settings.max_file_mb
    examples_shown = fitting_examples(a.title or "" for a in index.articles())

    with gr.Blocks(title="News Q&A") as demo:
        head = gr.HTML(header, elem_id="header")
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=6, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="chat", label="Conversation", height=470, latex_delimiters=[],
                            allow_tags=False, feedback_options=None, buttons=[], group_consecutive_messages=False,
                            placeholder=(
                                "**Ask a question about the news articles.**\n\nAnswers quote the articles "
                                "and number their sources; click a number to read the article. Follow-up "
                                "questions (“And William?”) use the conversation so far."
                            ),
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                elem_id="question", show_label=False, scale=8, lines=1, max_lines=4,
                                placeholder="Ask about the articles" + (f", e.g. {examples_shown[0]}" if examples_shown else ""),
                            )
                            send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                        status = gr.HTML("", elem_id="status")
                        examples = gr.HTML(render.examples_html(examples_shown), elem_id="examples", js_on_load=EXAMPLE_JS)
                        with gr.Accordion("Filters: publication dates and sources", open=False, elem_id="filters"):
                            with gr.Row():
                                after = gr.DateTime(label="Published on or after", include_time=False, type="string", elem_id="after")
                                before = gr.DateTime(label="Published on or before", include_time=False, type="string", elem_id="before")
                            sources = gr.Dropdown(
                                choices=sources_choices, value=[], multiselect=True, label="Sources",
                                info="Only these sources (none chosen = all).", elem_id="sources-filter",
                            )
                        clear = gr.Button("Clear conversation", size="sm", variant="secondary", elem_id="clear")
                    with gr.Column(scale=5, min_width=360):
                        gr.HTML('<div class="panel-title">Sources</div>')
                        sources_panel = gr.HTML(render.SOURCES_EMPTY, elem_id="sources", js_on_load=CITE_JS)
                        with gr.Column(visible=False, elem_id="article-panel") as article_col:
                            with gr.Row(equal_height=False):
                                gr.HTML('<div class="panel-title">Article</div>')
                                close = gr.Button("Close", size="sm", variant="secondary", scale=0, min_width=70, elem_id="close-article")
                            article = gr.HTML("", elem_id="article", js_on_load=SCROLL_TO_MARK_JS)
            with gr.Tab("Corpus", id="corpus"):
                corpus_summary = gr.HTML(summary, elem_id="corpus-summary")
                table = gr.Dataframe(
                    value=rows, headers=render.CORPUS_HEADERS, datatype="str", interactive=False, wrap=True,
                    show_search="search", max_height=420, column_widths=["44%", "11%", "27%", "7%", "11%"],
                    elem_id="corpus-table",
                )
                gr.Markdown(
                    f"**Add articles.** {kinds} files, up to {limit:g} MB each "
                    f"({size_limit_mb('.jsonl', limit):g} MB for .jsonl, one article per line). A file with "
                    "the name of an indexed article replaces it. A text file may start with a "
                    "`date YYYY-MM-DD` line.",
                )
                # No file_types here: Gradio would refuse a whole batch for one bad file; upload()
                # checks each file on the server and says which were refused and why.
                files = gr.File(label=f"Files to add ({kinds})", file_count="multiple", elem_id="upload", height=140)
                add = gr.Button("Add to the index", variant="primary", elem_id="add")
                upload_status = gr.HTML("", elem_id="upload-status")

        chat_inputs = [question, turns, chatbot, after, before, sources]
        chat_outputs = [chatbot, turns, question, sources_panel, article_col, status]
        private = dict(api_visibility="private", concurrency_id="answer", show_progress="minimal")
        question.submit(app.respond, chat_inputs, chat_outputs, **private)
        send.click(app.respond, chat_inputs, chat_outputs, **private)
        examples.click(_example, None, question, api_visibility="private", queue=False).then(
            app.respond, chat_inputs, chat_outputs, **private
        )
        def reset():
            return [], [], "", render.SOURCES_EMPTY, gr.update(visible=False), ""

        reset_outputs = [chatbot, turns, question, sources_panel, article_col, status]
        clear.click(reset, None, reset_outputs, api_visibility="private", queue=False)
        chatbot.clear(reset, None, reset_outputs, api_visibility="private", queue=False)
        sources_panel.click(
            app.open_citation, [turns], [sources_panel, article, article_col, status],
            api_visibility="private", show_progress="minimal",
        )
        close.click(lambda: gr.update(visible=False), None, article_col, api_visibility="private", queue=False)
        corpus_outputs = [head, table, corpus_summary, sources]
        add.click(app.upload, [files], [*corpus_outputs, files, upload_status], api_name="upload", api_visibility="undocumented")
        demo.load(app.corpus_view, None, corpus_outputs, api_visibility="private", show_progress="hidden")
        gr.api(app.ask_api, api_name="ask", concurrency_id="answer")
    return demo


def serve(index: Index, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None) -> None:
    """Start the chat, print its URL, and block until interrupted."""
    demo = build(index)
    max_mb = size_limit_mb(".jsonl", index.settings.max_file_mb)
    try:
        demo.queue(default_concurrency_limit=1).launch(
            server_name=host, server_port=port, share=False, ssr_mode=False, auth=auth,
            auth_message="This chat is shared: sign in with the user name and password you were given." if auth else None,
            prevent_thread_lock=True, quiet=True, show_error=False, css=CSS, footer_links=["api"],
            run_history=False, max_file_size=f"{max_mb:g}mb", enable_monitoring=False,
        )
    except OSError as err:
        reason = "the port is in use" if "empty port" in str(err) else str(err).splitlines()[0]
        raise ConfigError(
            f"Cannot serve the chat on {host}:{port}: {reason}. Stop the program using it, or pass "
            f"another port (e.g. --port {port + 1})."
        ) from None
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    print(f"Chat running at http://{shown}:{port}/ (Ctrl+C to stop)", flush=True)
    if host != "127.0.0.1" and host != "localhost":
        print(f"Listening on {host}: other machines can reach it" + ("" if auth else "; consider --auth USER:PASS"), flush=True)
    threading.Thread(target=_warm_up, args=(index,), daemon=True, name="warm-up").start()
    demo.block_thread()


def _warm_up(index: Index) -> None:
    """Load the model and the BM25 copy now, so the first question does not wait for them."""
    try:
        index.search("warm up")
    except Exception as err:  # the first question will report the same problem properly
        log.warning("warm-up failed: %s", err)
