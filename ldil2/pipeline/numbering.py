"""Sphinx extension: numbers the book's result tables across the book in toc order.

Sphinx numbers the figures (``numfig``: "Fig. 1", "Fig. 2", ... across the book, in the order of
the toctree, because no toctree is ``:numbered:``). The result tables are glued HTML
(:class:`ldil2.present.tables.HtmlTable`), which Sphinx does not see as tables, so this extension
numbers them the same way: "Table 1", "Table 2", ... in the order of the toctree and, within a
page, in reading order. Numbers are given when a page is written, after every page has been read,
so a table added to one chapter renumbers the tables of the pages after it in the same build; an
executed chapter from the cache never holds a stale number. An incremental build writes again
only the pages read anew and those whose numbers moved.

Every numbered table begins with :data:`TABLE_OPENING` (written by ``HtmlTable.to_html``); the
number goes into its caption as ``<span class="caption-number">Table 3 </span>`` (the class and
form of Sphinx's figure numbers) and the table gets the anchor ``id="table-3"``.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

TABLE_OPENING = '<figure class="ldil2-table-figure"><figcaption class="ldil2-caption">'
"""The opening of a numbered table (``ldil2.present.tables.TABLE_OPENING``; a test holds them
equal: the pipeline does not import the presentation layer)."""

COUNTS = "ldil2_table_counts"
"""Attribute of the Sphinx build environment (pickled with it, so kept between incremental
builds): docname -> the number of numbered tables in the document, counted when it is read."""

NUMBERS = "ldil2_table_numbers"
"""Attribute of the Sphinx build environment: docname -> (the number of its first table, its
count), as assigned by the last build."""


def toc_order(env: Any) -> list[str]:
    """Every document of the toctree, depth first from the root document, each once."""
    order: list[str] = []

    def visit(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    return order


def _raw_html(doctree: nodes.Node) -> list[nodes.raw]:
    return [node for node in doctree.findall(nodes.raw) if "html" in node.get("format", "")]


def count_tables(doctree: nodes.Node) -> int:
    """The numbered tables of one document (occurrences of TABLE_OPENING in its raw HTML)."""
    return sum(node.astext().count(TABLE_OPENING) for node in _raw_html(doctree))


def _counts(env: Any) -> dict[str, int]:
    """The environment's table counts (:data:`COUNTS`), made empty on first use."""
    if not hasattr(env, COUNTS):
        setattr(env, COUNTS, {})
    return getattr(env, COUNTS)


def record_count(app: Any, doctree: nodes.document) -> None:
    """``doctree-read`` handler: count the numbered tables of the document just read."""
    _counts(app.env)[app.env.docname] = count_tables(doctree)


def purge_count(app: Any, env: Any, docname: str) -> None:
    """``env-purge-doc`` handler: forget the count of a document that is read again or gone."""
    getattr(env, COUNTS, {}).pop(docname, None)


def merge_counts(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    """``env-merge-info`` handler: the counts of documents read by a parallel reader."""
    theirs = getattr(other, COUNTS, {})
    _counts(env).update({name: theirs[name] for name in docnames if name in theirs})


def assign_numbers(app: Any, env: Any) -> list[str]:
    """``env-get-updated`` handler: the first number and the count of tables of every document,
    in toc order, from the counts recorded when each document was read (:func:`record_count`).
    Returns the documents whose numbers moved since the last build (a table added to one page
    renumbers the pages after it), which Sphinx then writes again; a document read in this
    build is written anyway."""
    counts = getattr(env, COUNTS, {})
    first, numbers = 1, {}
    for docname in toc_order(env):
        if docname not in env.all_docs:
            continue
        count = counts.get(docname, 0)
        numbers[docname] = (first, count)
        first += count
    before = getattr(env, NUMBERS, {})
    setattr(env, NUMBERS, numbers)
    return [name for name, entry in numbers.items() if entry[1] and before.get(name) != entry]


def number_html(text: str, first: int) -> tuple[str, int]:
    """`text` with each TABLE_OPENING numbered from `first` on; returns the text and the next
    number."""
    parts = text.split(TABLE_OPENING)
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=first):
        out.append(
            f'<figure class="ldil2-table-figure" id="table-{number}">'
            f'<figcaption class="ldil2-caption"><span class="caption-number">Table {number} '
            f"</span>{part}"
        )
    return "".join(out), first + len(parts) - 1


def number_tables(app: Any, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved`` handler: write the numbers of `docname`'s tables into their
    captions."""
    number = getattr(app.env, NUMBERS, {}).get(docname, (1, 0))[0]
    for node in _raw_html(doctree):
        if TABLE_OPENING not in node.astext():
            continue
        text, number = number_html(node.astext(), number)
        node.replace_self(nodes.raw(text, text, format=node["format"], classes=node["classes"]))


def setup(app: Any) -> dict[str, Any]:
    """Register the handlers (Sphinx extension entry point)."""
    app.connect("doctree-read", record_count)
    app.connect("env-purge-doc", purge_count)
    app.connect("env-merge-info", merge_counts)
    app.connect("env-get-updated", assign_numbers)
    app.connect("doctree-resolved", number_tables)
    return {
        "parallel_read_safe": True,
        "parallel_write_safe": False,
        "env_version": 1,  # the environment's attributes above; a new version rereads all
    }
