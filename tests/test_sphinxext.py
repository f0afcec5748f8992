"""Tests of the search, bibliography and citation parts of ldil2.pipeline.sphinxext on small
HTML and doctrees (the built site's search is checked in tests/test_browser_reader.py)."""

from __future__ import annotations

import importlib.metadata
import re
from types import SimpleNamespace

import jinja2
import pybtex.database
import pybtex.plugin
from conftest import ROOT
from docutils import nodes
from pybtex.style.formatting.plain import Style as PlainStyle

from ldil2.pipeline import sphinxext


def _indexed_words(html: str) -> list[str]:
    """What Sphinx's search indexer reads of raw HTML: the tags stripped without a space."""
    return re.sub(r"<[^<]+?>", "", html).split()


def test_separate_blocks_keeps_each_table_cell_a_word_of_its_own():
    row = "<tr><th>Pyrexia</th><td>6</td><td>2 (8.3%)</td></tr><tr><th>Nausea</th></tr>"
    assert "Pyrexia" not in _indexed_words(row)  # the bug: cells run together ("Pyrexia62")
    words = _indexed_words(sphinxext.separate_blocks(row))
    assert "Pyrexia" in words and "6" in words and "Nausea" in words


def test_separate_blocks_leaves_inline_markup_and_text_alone():
    html = "<p><strong>12</strong><em>a</em> b</p>"
    assert sphinxext.separate_blocks(html) == html
    assert sphinxext.separate_blocks("<td>a</td> <td>b</td>") == "<td>a</td> <td>b</td>"


def test_separate_html_blocks_rewrites_raw_html_nodes_only():
    doc = nodes.document(None, None)
    html = nodes.raw("", "<td>a</td><td>b</td>", format="html")
    latex = nodes.raw("", "<td>a</td><td>b</td>", format="latex")
    doc += [html, latex]
    sphinxext.separate_html_blocks(None, doc, "x")
    raws = list(doc.findall(nodes.raw))
    assert raws[0].astext() == "<td>a</td>\n<td>b</td>" and raws[0]["format"] == "html"
    assert raws[1].astext() == "<td>a</td><td>b</td>"


def test_citation_list_items_gives_entries_the_listitem_role():
    context = {"body": '<div class="citation-list" role="list"><div role="doc-biblioentry">'}
    sphinxext.citation_list_items(None, "p", "page.html", context, None)
    assert context["body"] == '<div class="citation-list" role="list"><div role="listitem">'
    empty: dict = {}
    sphinxext.citation_list_items(None, "p", "page.html", empty, None)
    assert empty == {}


def test_the_plaintext_backend_is_found_without_reading_the_entry_points(monkeypatch):
    from_entry_point = next(
        iter(importlib.metadata.entry_points(group="pybtex.backends", name="plaintext"))
    ).load()
    sphinxext.register_plaintext_backend()

    def no_scan(**selection):
        raise AssertionError(f"entry points read for {selection}")

    monkeypatch.setattr(pybtex.plugin, "entry_points", no_scan)
    assert pybtex.plugin.find_plugin("pybtex.backends", "plaintext") is from_entry_point


class _CountingEnvironment(jinja2.Environment):
    compiled = 0

    def compile(self, *args, **kwargs):
        type(self).compiled += 1
        return super().compile(*args, **kwargs)


def test_compiled_templates_are_cached_beside_the_doctrees_and_follow_their_source(tmp_path):
    """A second build's new Jinja environment loads the template compiled by the first; an
    edited template is compiled anew."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text("<p>{{ title }}</p>", encoding="utf-8")
    doctrees = tmp_path / "_build" / ".doctrees"

    def build() -> str:
        environment = _CountingEnvironment(loader=jinja2.FileSystemLoader(templates))
        app = SimpleNamespace(
            builder=SimpleNamespace(templates=SimpleNamespace(environment=environment)),
            doctreedir=str(doctrees),
        )
        sphinxext.cache_compiled_templates(app)
        return environment.get_template("page.html").render(title="Safety")

    assert build() == "<p>Safety</p>" and _CountingEnvironment.compiled == 1
    assert list((tmp_path / "_build" / sphinxext.TEMPLATE_CACHE).iterdir())
    assert build() == "<p>Safety</p>" and _CountingEnvironment.compiled == 1  # from the cache
    (templates / "page.html").write_text("<h1>{{ title }}</h1>", encoding="utf-8")
    assert build() == "<h1>Safety</h1>" and _CountingEnvironment.compiled == 2


def test_a_builder_without_jinja_templates_is_left_alone(tmp_path):
    app = SimpleNamespace(builder=SimpleNamespace(), doctreedir=str(tmp_path / ".doctrees"))
    sphinxext.cache_compiled_templates(app)
    assert not (tmp_path / sphinxext.TEMPLATE_CACHE).exists()


def _references():
    return list(pybtex.database.parse_file(ROOT / "references.bib").entries.values())


def test_the_remembering_style_formats_as_the_plain_style(tmp_path, monkeypatch):
    monkeypatch.setattr(sphinxext, "FORMATTED", sphinxext.FormattedMemory())
    plain, remembering = PlainStyle(), sphinxext.RememberingPlainStyle()
    for label, entry in enumerate(_references()):
        expected = plain.format_entry(str(label), entry)
        for _ in range(2):  # formatted, then remembered
            got = remembering.format_entry(str(label), entry)
            assert (got.key, got.label) == (expected.key, expected.label)
            assert got.text.render_as("html") == expected.text.render_as("html")


def test_formatted_references_are_kept_between_builds_and_follow_the_entry(tmp_path, monkeypatch):
    """A second build (a new memory loading the file) formats nothing; an edited entry, or the
    same entry under another label, is formatted anew."""
    memory = sphinxext.FormattedMemory()
    monkeypatch.setattr(sphinxext, "FORMATTED", memory)
    app = SimpleNamespace(doctreedir=str(tmp_path / "_build" / ".doctrees"))
    (tmp_path / "_build").mkdir()
    entries = _references()
    sphinxext.remember_formatted_references(app)
    first = [sphinxext.RememberingPlainStyle().format_entry("1", e) for e in entries]
    sphinxext.save_formatted_references(app, None)
    assert (tmp_path / "_build" / sphinxext.FORMATTED_CACHE).is_file()
    formatted = []
    real = PlainStyle.format_entry
    monkeypatch.setattr(
        PlainStyle, "format_entry", lambda self, *a: formatted.append(a) or real(self, *a)
    )
    sphinxext.remember_formatted_references(app)  # the next build
    again = [sphinxext.RememberingPlainStyle().format_entry("1", e) for e in entries]
    assert formatted == [] and [f.text.render_as("text") for f in again] == [
        f.text.render_as("text") for f in first
    ]
    entries[0].fields["title"] = "An edited title"
    edited = sphinxext.RememberingPlainStyle().format_entry("1", entries[0])
    sphinxext.RememberingPlainStyle().format_entry("2", entries[1])
    assert len(formatted) == 2 and "An edited title" in edited.text.render_as("text")


def test_the_book_finds_the_remembering_style_under_the_plain_name():
    sphinxext.setup(SimpleNamespace(connect=lambda *a: None))
    found = pybtex.plugin.find_plugin(*sphinxext.FORMATTING_STYLE)
    assert found is sphinxext.RememberingPlainStyle
