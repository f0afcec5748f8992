"""Tests of ldil2.pipeline.numbering: tables numbered across the book in toc order."""

from types import SimpleNamespace

from docutils import nodes

from ldil2.pipeline import numbering
from ldil2.present.tables import HtmlTable


def _table(caption: str) -> str:
    return HtmlTable(caption, ("a",), (("x",),)).to_html()


def _doc(*html: str) -> nodes.document:
    doc = nodes.document(None, None)
    for text in html:
        doc += nodes.raw(text, text, format="html")
    return doc


def _env(doctrees: dict, includes: dict) -> SimpleNamespace:
    return SimpleNamespace(
        config=SimpleNamespace(root_doc="index"), toctree_includes=includes, all_docs={}
    )


def _read(app: SimpleNamespace, doctrees: dict) -> None:
    """What Sphinx does when it reads documents: purge, then doctree-read, for each."""
    for name, doctree in doctrees.items():
        numbering.purge_count(app, app.env, name)
        app.env.docname = name
        app.env.all_docs[name] = 0
        numbering.record_count(app, doctree)


def _app(doctrees: dict, includes: dict) -> SimpleNamespace:
    app = SimpleNamespace(env=_env(doctrees, includes))
    _read(app, doctrees)
    return app


def test_toc_order_is_depth_first_each_document_once():
    env = _env({}, {"index": ["a", "b"], "a": ["a1", "b"], "b": ["index"]})
    assert numbering.toc_order(env) == ["index", "a", "a1", "b"]


def test_tables_are_numbered_across_pages_in_toc_order():
    doctrees = {
        "index": _doc("<p>no table</p>"),
        "b": _doc(_table("B1") + _table("B2")),  # two tables in one glued output
        "a": _doc(_table("A1"), "<p>text</p>", _table("A2")),
    }
    app = _app(doctrees, {"index": ["a", "b"]})
    rewritten = numbering.assign_numbers(app, app.env)
    assert rewritten == ["a", "b"]  # the pages with tables are written
    for name in ("a", "b"):
        numbering.number_tables(app, doctrees[name], name)
    html = {
        name: "".join(n.astext() for n in doc.findall(nodes.raw)) for name, doc in doctrees.items()
    }
    # a: Table 1, 2; b: Table 3, 4 (toc order, not the order the pages were read)
    assert '<span class="caption-number">Table 1 </span>A1' in html["a"]
    assert '<span class="caption-number">Table 2 </span>A2' in html["a"]
    assert '<span class="caption-number">Table 3 </span>B1' in html["b"]
    assert '<span class="caption-number">Table 4 </span>B2' in html["b"]
    assert 'id="table-3"' in html["b"]


def test_a_table_with_its_own_number_is_not_numbered_again():
    own = HtmlTable("Table 14.1.1 Demographics", ("a",), (("x",),), numbered=False).to_html()
    doc = _doc(own)
    app = _app({"index": doc}, {})
    numbering.assign_numbers(app, app.env)
    numbering.number_tables(app, doc, "index")
    assert "caption-number" not in doc.astext()


def test_an_incremental_build_writes_again_only_the_pages_whose_numbers_moved():
    doctrees = {
        "index": _doc("<p>no table</p>"),
        "a": _doc(_table("A1")),
        "b": _doc(_table("B1")),
        "c": _doc(_table("C1")),
    }
    app = _app(doctrees, {"index": ["a", "b", "c"]})
    numbering.assign_numbers(app, app.env)
    # nothing read again: nothing to write again for its numbers
    assert numbering.assign_numbers(app, app.env) == []
    # c read again with the same table: its numbers did not move (Sphinx writes it as read)
    _read(app, {"c": _doc(_table("C1 edited"))})
    assert numbering.assign_numbers(app, app.env) == []
    # a table added to a: b and c move one number on (a is written because it was read)
    _read(app, {"a": _doc(_table("A1"), _table("A2"))})
    assert numbering.assign_numbers(app, app.env) == ["a", "b", "c"]
    numbering.number_tables(app, doctrees["c"], "c")
    assert '<span class="caption-number">Table 4 </span>C1' in doctrees["c"].astext()


def test_counts_read_by_a_parallel_reader_are_merged():
    app = _app({}, {})
    other = SimpleNamespace(ldil2_table_counts={"a": 2, "b": 1, "z": 5})
    numbering.merge_counts(app, app.env, {"a", "b"}, other)
    assert app.env.ldil2_table_counts == {"a": 2, "b": 1}
