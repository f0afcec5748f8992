"""Tests of the search, bibliography and citation parts of ldil2.pipeline.sphinxext on small
HTML and doctrees (the built site's search is checked in tests/test_browser_reader.py)."""

from __future__ import annotations

import importlib.metadata
import re

import pybtex.plugin
from docutils import nodes

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
