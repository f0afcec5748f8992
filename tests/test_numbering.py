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
        config=SimpleNamespace(root_doc="index"),
        toctree_includes=includes,
        all_docs=dict.fromkeys(doctrees),
        get_doctree=doctrees.__getitem__,
    )


def test_toc_order_is_depth_first_each_document_once():
    env = _env({}, {"index": ["a", "b"], "a": ["a1", "b"], "b": ["index"]})
    assert numbering.toc_order(env) == ["index", "a", "a1", "b"]


def test_tables_are_numbered_across_pages_in_toc_order():
    doctrees = {
        "index": _doc("<p>no table</p>"),
        "b": _doc(_table("B1") + _table("B2")),  # two tables in one glued output
        "a": _doc(_table("A1"), "<p>text</p>", _table("A2")),
    }
    app = SimpleNamespace()
    env = _env(doctrees, {"index": ["a", "b"]})
    rewritten = numbering.assign_numbers(app, env)
    assert rewritten == ["a", "b"]  # the pages with tables are written again
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
    app = SimpleNamespace()
    numbering.assign_numbers(app, _env({"index": doc}, {}))
    numbering.number_tables(app, doc, "index")
    assert "caption-number" not in doc.astext()
