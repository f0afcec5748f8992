"""Every figure the book draws, as the built site shows it: vector (SVG, text kept as text) and no
text below 9 pt at the width of the text column (issue 12). The browser tests measure the same at
1280 and 390 px (tests/test_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from ldil2.present.theme import CONTENT_WIDTH_IN, MIN_TEXT_PT, svg_shown_text_pt

pytestmark = pytest.mark.build

FIGURE_IMAGE = re.compile(r'<figure[^>]*>\s*<img[^>]*src="([^"]+)"')


def _figure_sources(html: Path) -> dict[str, list[str]]:
    """page -> the src of the image of every figure on it."""
    pages = [html / "index.html", *sorted((html / "chapters").glob("*.html"))]
    return {
        str(page.relative_to(html)): FIGURE_IMAGE.findall(page.read_text(encoding="utf-8"))
        for page in pages
    }


def test_every_figure_is_shown_as_svg(built_book: Path):
    sources = _figure_sources(built_book / "html")
    assert sum(map(len, sources.values())) >= 15, sources  # the book's figures are all there
    raster = {page: [s for s in srcs if not s.endswith(".svg")] for page, srcs in sources.items()}
    assert not any(raster.values()), f"figures not drawn as SVG: {raster}"


def test_no_figure_text_below_9_pt_at_the_column_width(built_book: Path):
    images = sorted((built_book / "html" / "_images").glob("*.svg"))
    assert images
    small = {
        image.name: round(shown, 1)
        for image in images
        if (shown := svg_shown_text_pt(image.read_text(encoding="utf-8"))) < MIN_TEXT_PT
    }
    assert not small, (
        f"smallest text (pt) shown at the {CONTENT_WIDTH_IN} in column, below {MIN_TEXT_PT}: "
        f"{small}"
    )


def test_every_glued_figure_carries_svg(built_book: Path):
    missing = []
    for notebook in sorted((built_book / "stage").rglob("*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if any(k.endswith("image/png") for k in data) and not any(
                    k.endswith("image/svg+xml") for k in data
                ):
                    missing.append(f"{notebook.name}: {output['metadata']}")
    assert not missing, missing
