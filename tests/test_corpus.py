"""Loading articles: folders of .txt/.md/.html, .jsonl files, date lines and metadata sidecars."""

from __future__ import annotations

import json
import tomllib
from datetime import date

from conftest import SEEDS

from rag.corpus import Article, Skipped, load


def articles_and_skips(*paths, **kwargs) -> tuple[dict[str, Article], list[Skipped]]:
    items = list(load(paths, **kwargs))
    articles = {a.id: a for a in items if isinstance(a, Article)}
    return articles, [s for s in items if isinstance(s, Skipped)]


HTML = """<!doctype html>
<html><head><title>Storm hits the coast</title>
<meta property="article:published_time" content="2024-03-05T08:00:00Z">
<style>p { color: red } .hidden-style-rule {}</style>
<script>var leaked = "SCRIPT-TEXT-MUST-NOT-APPEAR";</script></head>
<body><nav>Home</nav><h1>Storm hits the coast</h1>
<p>The storm arrived on <b>Tuesday</b> night.</p>
<script>document.write("ALSO-SCRIPT")</script>
<p>Winds reached 120&nbsp;km/h &amp; more.</p>
<noscript>NOSCRIPT-TEXT</noscript></body></html>
"""


def test_folder_of_text_markdown_and_html(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "plain.txt").write_text("A plain text article.\nIt has two lines.")
    (tmp_path / "notes.md").write_text("# Heading\n\nMarkdown body text.")
    (tmp_path / "sub" / "storm.html").write_text(HTML)
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF-1.4 not an article")

    articles, skipped = articles_and_skips(tmp_path)

    assert set(articles) == {"plain", "notes", "storm"}, "ids are file stems; other file types are not read"
    assert skipped == []
    assert articles["plain"].text == "A plain text article.\nIt has two lines."
    assert articles["plain"].title == "A plain text article."
    assert "Markdown body text." in articles["notes"].text

    storm = articles["storm"]
    assert storm.title == "Storm hits the coast"
    assert storm.published == date(2024, 3, 5)
    assert "The storm arrived on Tuesday night." in storm.text
    assert "Winds reached 120 km/h & more." in storm.text
    for hidden in ("SCRIPT-TEXT", "ALSO-SCRIPT", "NOSCRIPT-TEXT", "color: red", "hidden-style-rule"):
        assert hidden not in storm.text
    assert "Home\n" in storm.text, "block elements stay separate lines, not glued words"


def test_date_line_is_the_publication_date_not_text(tmp_path):
    (tmp_path / "dated.txt").write_text("date 2021-12-03\nCharles and Harry last met in April.")
    (tmp_path / "inline.txt").write_text(" date 2019-07-01 The story starts on the same line.")

    articles, _ = articles_and_skips(tmp_path)

    assert articles["dated"].published == date(2021, 12, 3)
    assert articles["dated"].text == "Charles and Harry last met in April."
    assert articles["inline"].published == date(2019, 7, 1)
    assert articles["inline"].text == "The story starts on the same line."


def test_seed_articles_take_their_metadata_from_the_sidecar():
    sidecar = tomllib.loads((SEEDS / "metadata.toml").read_text())
    articles, skipped = articles_and_skips(SEEDS)

    assert skipped == []
    assert set(articles) == {name.removesuffix(".txt") for name in sidecar}
    for name, meta in sidecar.items():
        article = articles[name.removesuffix(".txt")]
        assert article.title == meta["title"]
        assert article.source == meta["source"]
        assert article.published == date.fromisoformat(meta["published"])
        assert not article.text.lstrip().startswith("date "), "the date line is metadata, not text"


def test_sidecar_overrides_and_a_broken_sidecar_is_reported(tmp_path):
    (tmp_path / "a.txt").write_text("date 2020-01-01\nBody of a.")
    (tmp_path / "metadata.toml").write_text(
        '["a.txt"]\ntitle = "Sidecar title"\nsource = "Wire"\npublished = "2020-02-02"\nurl = "https://example.org/a"\n'
    )
    articles, _ = articles_and_skips(tmp_path)
    a = articles["a"]
    assert (a.title, a.source, a.published, a.url) == ("Sidecar title", "Wire", date(2020, 2, 2), "https://example.org/a")

    (tmp_path / "metadata.toml").write_text('["a.txt"\ntitle = broken')
    articles, skipped = articles_and_skips(tmp_path)
    assert "a" in articles, "a broken sidecar loses no article"
    assert [s.origin for s in skipped] == [str(tmp_path / "metadata.toml")]
    assert "titles, sources and dates" in skipped[0].reason


def test_jsonl_one_article_per_line(tmp_path):
    rows = [
        {"id": "n1", "title": "Budget passed", "text": "Parliament passed the budget on Monday.", "published": "2023-05-01",
         "source": "Wire A", "url": "https://example.org/n1"},
        {"id": 42, "title": "Match report", "text": "The home side won 3-1.", "published": "2023-05-02T18:30:00Z",
         "source": "Wire B", "url": ""},
    ]
    lines = [json.dumps(r) for r in rows] + [
        "",
        "{not json",
        json.dumps({"id": "n3", "title": "No text"}),
        json.dumps({"id": "n4", "text": "Bad date.", "published": "last Tuesday"}),
        json.dumps(["a", "list"]),
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n")

    articles, skipped = articles_and_skips(path)

    assert set(articles) == {"n1", "42"}
    n1 = articles["n1"]
    assert (n1.title, n1.text, n1.published, n1.source, n1.url) == (
        "Budget passed", "Parliament passed the budget on Monday.", date(2023, 5, 1), "Wire A", "https://example.org/n1")
    assert articles["42"].published == date(2023, 5, 2)
    reasons = {s.origin: s.reason for s in skipped}
    assert set(reasons) == {f"{path}:4", f"{path}:5", f"{path}:6", f"{path}:7"}, "each bad line is named"
    assert "not valid JSON" in reasons[f"{path}:4"]
    assert "text" in reasons[f"{path}:5"]
    assert "last Tuesday" in reasons[f"{path}:6"]
    assert "not a JSON object" in reasons[f"{path}:7"]


def test_ids_and_versions_are_stable_and_track_changes(tmp_path):
    (tmp_path / "a.txt").write_text("Some text.")
    first, _ = articles_and_skips(tmp_path)
    again, _ = articles_and_skips(tmp_path)
    assert first["a"] == again["a"] and first["a"].version == again["a"].version

    (tmp_path / "a.txt").write_text("Some other text.")
    changed, _ = articles_and_skips(tmp_path)
    assert changed["a"].version != first["a"].version
    assert changed["a"].text_hash != first["a"].text_hash


def test_bad_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "good.txt").write_text("Readable.")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait co\xfbte cher \xe0 Paris aujourd'hui.".encode("latin-1"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")

    articles, skipped = articles_and_skips(tmp_path, tmp_path / "missing-folder", tmp_path / "notes.pdf")

    assert set(articles) == {"good", "latin1"}
    assert "café" in articles["latin1"].text.lower()
    reasons = {s.origin: s.reason for s in skipped}
    assert "binary" in reasons[str(tmp_path / "binary.txt")]
    assert "no text" in reasons[str(tmp_path / "empty.md")]
    assert "no such file" in reasons[str(tmp_path / "missing-folder")]
    assert "unsupported" in reasons[str(tmp_path / "notes.pdf")]
