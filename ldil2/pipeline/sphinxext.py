"""Sphinx extension of the book (``_config.yml``: ``sphinx: extra_extensions: [ldil2.sphinxext]``).

It makes the text of the result tables searchable (:func:`separate_html_blocks`), gives the
bibliography valid ARIA roles (:func:`citation_list_items`), removes duplicate ``<script>``
elements from every page (:func:`drop_duplicate_scripts`), registers pybtex's plain-text
backend once per build (:func:`register_plaintext_backend`), and keeps the compiled templates of
the theme (:func:`cache_compiled_templates`) and the formatted references
(:class:`RememberingPlainStyle`) between builds.

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

import hashlib
import pickle
import re
from pathlib import Path
from typing import Any

import jinja2
import pybtex
import pybtex.plugin
from docutils import nodes
from pybtex.style.formatting.plain import Style as PlainStyle

from ldil2.pipeline.common import replace_atomically

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


FORMATTING_STYLE = ("pybtex.style.formatting", "plain")
"""The pybtex style of the book's references (``_config.yml``: ``bibtex_default_style``)."""

FORMATTED_CACHE = "bibtex-formatted.pickle"
"""File beside the doctrees (``<work>/_build/``) of the references formatted by earlier builds."""


def formatted_key(style: PlainStyle, label: str, entry: Any) -> str:
    """SHA-256 of everything pybtex's template styles format an entry from: pybtex's version,
    the style's class and options, the label and the entry (key, type, fields, persons)."""
    persons = [
        (role, [(p.first_names, p.middle_names, p.prelast_names, p.last_names, p.lineage_names)
                for p in people])
        for role, people in sorted(entry.persons.items())
    ]  # fmt: skip
    options = (type(style).__qualname__, type(style.name_style).__qualname__,
               type(style.label_style).__qualname__, type(style.sorting_style).__qualname__,
               style.abbreviate_names, style.min_crossrefs)  # fmt: skip
    fields = sorted((name, str(value)) for name, value in entry.fields.items())
    described = (pybtex.__version__, options, label, entry.key, entry.type, fields, persons)
    return hashlib.sha256(repr(described).encode()).hexdigest()


class FormattedMemory:
    """The references formatted so far (:func:`formatted_key` -> pickled ``FormattedEntry``), read
    from and written to the file :meth:`load` names (nothing is written without one)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.entries: dict[str, bytes] = {}
        self.added = False

    def load(self, path: Path) -> None:
        """Start from the entries stored at ``path`` (none when it is missing or unreadable)."""
        self.path, self.added = path, False
        try:
            entries = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            entries = {}
        self.entries = entries if isinstance(entries, dict) else {}

    def save(self) -> None:
        """Write the entries to the loaded path when some were added (atomically)."""
        if self.path is None or not self.added:
            return
        data = pickle.dumps(self.entries, protocol=pickle.HIGHEST_PROTOCOL)
        replace_atomically(self.path, lambda tmp: tmp.write_bytes(data))
        self.added = False


FORMATTED = FormattedMemory()
"""The memory of :class:`RememberingPlainStyle` (one build per process: the extension loads it
when the builder starts and saves it when the build ends)."""


class RememberingPlainStyle(PlainStyle):
    """pybtex's plain style that formats each entry once: an entry formatted by an earlier build
    with the same label, content and style (:func:`formatted_key`) is taken from
    :data:`FORMATTED`. sphinxcontrib-bibtex formats every reference of every bibliography twice
    (the entry and its tooltip) on every build, a quarter of a second for the book's references;
    the result is the same ``FormattedEntry`` (a new copy for every call)."""

    def format_entry(self, label, entry, bib_data=None):
        if bib_data is not None:  # cross-references: formatted against the whole database
            return super().format_entry(label, entry, bib_data)
        key = formatted_key(self, label, entry)
        stored = FORMATTED.entries.get(key)
        if stored is None:
            stored = pickle.dumps(super().format_entry(label, entry))
            FORMATTED.entries[key] = stored
            FORMATTED.added = True
        return pickle.loads(stored)


def remember_formatted_references(app) -> None:
    """``builder-inited`` handler: load the formatted references of the last build (the file
    :data:`FORMATTED_CACHE` beside ``app.doctreedir``)."""
    FORMATTED.load(Path(app.doctreedir).parent / FORMATTED_CACHE)


def save_formatted_references(app, exception) -> None:
    """``build-finished`` handler: store the formatted references when the build succeeded."""
    if exception is None:
        FORMATTED.save()


def setup(app) -> dict[str, Any]:
    """Register the handlers (Sphinx extension entry point), the plain-text backend and the
    remembering plain style (in pybtex's registry under the name of the plain style)."""
    register_plaintext_backend()
    pybtex.plugin.register_plugin(*FORMATTING_STYLE, RememberingPlainStyle, force=True)
    app.connect("builder-inited", cache_compiled_templates)
    app.connect("builder-inited", remember_formatted_references)
    app.connect("build-finished", save_formatted_references)
    app.connect("doctree-resolved", separate_html_blocks)
    app.connect("html-page-context", drop_duplicate_scripts)
    app.connect("html-page-context", citation_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
