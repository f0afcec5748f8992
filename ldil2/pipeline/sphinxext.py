"""Sphinx extension of the book (``_config.yml``: ``sphinx: extra_extensions: [ldil2.sphinxext]``).

It makes the text of the result tables searchable (:func:`separate_html_blocks`), gives the
bibliography valid ARIA roles (:func:`citation_list_items`), removes duplicate ``<script>``
elements from every page (:func:`drop_duplicate_scripts`), registers pybtex's plain-text
backend once per build (:func:`register_plaintext_backend`) and keeps the compiled templates of
the theme between builds (:func:`cache_compiled_templates`).

Search: a glued table is a raw HTML node. Sphinx's search indexer strips the tags of raw HTML
without leaving a space, so adjacent cells run together ("Pyrexia</th><td>6" is indexed as the
word "pyrexia6") and a search for an adverse-event term did not find the Safety page. Putting a
line break after the closing tag of every cell, row and block (whitespace between those elements
does not change how the page looks) keeps each cell's text a word of its own.

Bibliography: docutils writes a citation list as ``role="list"`` whose entries have
``role="doc-biblioentry"``, which axe-core reports as a critical ARIA violation (a list must hold
list items); :func:`citation_list_items` gives the entries ``role="listitem"``.

Scripts: Sphinx 7.4 registers an inline script
(``app.add_js_file(None, body=...)``) once as ``None`` and again as ``""`` when it prepares the
writer, so two copies reach the page. sphinx-thebe's inline script declares
``const THEBE_JS_URL``; the second copy throws "Identifier 'THEBE_JS_URL' has already been
declared" in the reader's browser console on every page.

Citations: sphinxcontrib-bibtex looks up pybtex's ``plaintext`` backend for every citation it
resolves, and pybtex looks a plugin up in the installed entry points each time
(``importlib.metadata`` reads the metadata of every installed distribution: about 8 ms a time,
half a second for the book's 64 citations on every build that writes the pages).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
import pybtex.plugin
from docutils import nodes

BLOCK_END = re.compile(
    r"(</(?:td|th|tr|thead|tbody|tfoot|caption|table|p|li|ul|ol|div|section|h[1-6])>)(?=<)",
    re.IGNORECASE,
)
"""A closing tag of a table cell, row or block element directly followed by another tag."""


def separate_blocks(html: str) -> str:
    """`html` with a line break after every closing tag of :data:`BLOCK_END` that another tag
    follows directly ('<td>a</td><td>b</td>' -> '<td>a</td>\\n<td>b</td>')."""
    return BLOCK_END.sub("\\1\n", html)


def separate_html_blocks(app, doctree, docname) -> None:
    """``doctree-resolved`` handler: :func:`separate_blocks` on every raw HTML node, before the
    search indexer and the writer read it.

    Parameters
    ----------
    app, docname : unused (the event's signature)
    doctree : the resolved document
    """
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        spaced = separate_blocks(text)
        if spaced != text:
            node.replace_self(nodes.raw(spaced, spaced, format=node["format"]))


def _script_key(script: Any) -> tuple:
    return (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` handler: keep the first of scripts equal but for None vs "".

    Parameters
    ----------
    app, pagename, templatename, doctree : unused (the event's signature)
    context : the page's template context; ``script_files`` is replaced by a new list, so the
        builder's own list (restored after every page) is left as it is
    """
    seen: set[tuple] = set()
    unique = []
    for script in context.get("script_files", []):
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


BIBLIOENTRY = 'role="doc-biblioentry"'
LISTITEM = 'role="listitem"'


def citation_list_items(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` handler: the entries of a citation list (``role="list"``) as list
    items, so that the list's ARIA roles are valid.

    Parameters
    ----------
    app, pagename, templatename, doctree : unused (the event's signature)
    context : the page's template context; its ``body`` (the page's HTML) is rewritten
    """
    body = context.get("body")
    if isinstance(body, str) and BIBLIOENTRY in body:
        context["body"] = body.replace(BIBLIOENTRY, LISTITEM)


PLAINTEXT_BACKEND = ("pybtex.backends", "plaintext")
"""The pybtex plugin sphinxcontrib-bibtex finds anew for each citation it resolves."""


def register_plaintext_backend() -> None:
    """Register pybtex's plain-text backend (the class its entry point names) as a runtime
    plugin, which ``pybtex.plugin.find_plugin`` finds without reading the entry points."""
    group, name = PLAINTEXT_BACKEND
    backend = pybtex.plugin.find_plugin(group, name)
    pybtex.plugin.register_plugin(group, name, backend, force=True)


TEMPLATE_CACHE = "jinja2"
"""Folder beside the doctrees (``<work>/_build/jinja2``, not part of the site) that holds the
compiled templates."""


def cache_compiled_templates(app) -> None:
    """``builder-inited`` handler: give the builder's Jinja environment a bytecode cache on disk,
    so that a rebuild loads the theme's templates compiled instead of compiling them again
    (Sphinx makes a new environment for every build; Jinja checks each cached template against
    its source's checksum, so an edited template is compiled anew).

    Parameters
    ----------
    app : the Sphinx application; its builder's ``templates.environment``, when a Jinja
        environment (the HTML builders'), gets a :class:`jinja2.FileSystemBytecodeCache` in
        :data:`TEMPLATE_CACHE` beside ``app.doctreedir``
    """
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if isinstance(environment, jinja2.Environment):
        folder = Path(app.doctreedir).parent / TEMPLATE_CACHE
        folder.mkdir(parents=True, exist_ok=True)
        environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def setup(app) -> dict[str, Any]:
    """Register the handlers (Sphinx extension entry point) and the plain-text backend."""
    register_plaintext_backend()
    app.connect("builder-inited", cache_compiled_templates)
    app.connect("doctree-resolved", separate_html_blocks)
    app.connect("html-page-context", drop_duplicate_scripts)
    app.connect("html-page-context", citation_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
