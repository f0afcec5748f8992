"""Sphinx extension of the book (``_config.yml``: ``sphinx: extra_extensions: [ldil2.sphinxext]``).

It removes duplicate ``<script>`` elements from every page. Sphinx 7.4 registers an inline script
(``app.add_js_file(None, body=...)``) once as ``None`` and again as ``""`` when it prepares the
writer, so two copies reach the page. sphinx-thebe's inline script declares
``const THEBE_JS_URL``; the second copy throws "Identifier 'THEBE_JS_URL' has already been
declared" in the reader's browser console on every page.
"""

from __future__ import annotations

from typing import Any


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


def setup(app) -> dict[str, Any]:
    """Register the handler (Sphinx extension entry point)."""
    app.connect("html-page-context", drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
