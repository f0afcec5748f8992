"""The PDF of an edition, printed from its built site with the system Chromium.

Playwright drives Debian's Chromium by path (``chromium`` on ``PATH``, or ``LDIL2_CHROMIUM``);
nothing downloads a browser. Each page of the edition, in reading order (the toc), is opened from
the site folder (``file://``: a static site needs no server) with images loaded, its folded
blocks opened, printed with the print style sheet (A4, backgrounds kept, no switcher or banner,
wide tables unclipped: ``_static/editions.css``), and the pages are joined
with pypdf into one file with a bookmark per page. The document is dated by its release, never by
the clock. Chromium's output is not byte-stable from one run to the next, so ``publish`` prints
an edition once, when it is archived, and compares an archived edition without its PDF.
"""

from __future__ import annotations

import datetime
import io
import os
import shutil
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from pypdf import PdfReader, PdfWriter

from ldil2.pipeline.common import BuildError, replace_atomically
from ldil2.pipeline.edition import Edition

CHROMIUM_ENV = "LDIL2_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # a printed edition must not need the network: every host fails to resolve
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
PAGE_FORMAT = {"format": "A4", "print_background": True}
UNFOLD = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"
"""Script run before printing: a folded block (a dropdown, ``<details>``) prints open, so the
PDF holds every table and figure of the page, the folded ones too."""
MARGIN_MM = "15mm"


class PdfError(BuildError):
    """The PDF could not be printed (no Chromium, a page that does not load)."""


def chromium_executable() -> str:
    """The system Chromium: ``$LDIL2_CHROMIUM``, else ``chromium`` on ``PATH``.

    Raises
    ------
    PdfError : neither exists (names the Debian package)
    """
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    if not path or not Path(path).is_file():
        raise PdfError(
            "no Chromium to print the edition's PDF: install the Debian package chromium "
            f"or set {CHROMIUM_ENV} to its path"
        )
    return path


def pdf_date(released: str) -> str:
    """A PDF date string (ISO 32000 7.9.4) for midnight UTC of the release date."""
    return datetime.date.fromisoformat(released).strftime("D:%Y%m%d000000Z")


def print_pages(site: Path, pages: list[str]) -> list[tuple[str, bytes]]:
    """Each page ``<site>/<page>.html`` printed by Chromium: (its title, its PDF bytes).

    Raises
    ------
    PdfError : no Chromium, or a page missing from the site (names it)
    """
    missing = [p for p in pages if not (site / f"{p}.html").is_file()]
    if missing:
        raise PdfError(f"{site}: no page {', '.join(f'{p}.html' for p in missing)} to print")
    margins = dict.fromkeys(("top", "bottom", "left", "right"), MARGIN_MM)
    printed = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                for name in pages:
                    page.goto((site / f"{name}.html").resolve().as_uri(), wait_until="load")
                    page.evaluate(UNFOLD)
                    page.emulate_media(media="print")
                    pdf = page.pdf(margin=margins, **PAGE_FORMAT)
                    printed.append((page.title(), pdf))
            finally:
                browser.close()
    except PlaywrightError as error:
        raise PdfError(f"{site}: Chromium could not print the edition: {error}") from None
    return printed


def join_pages(printed: list[tuple[str, bytes]], edition: Edition) -> bytes:
    """One PDF of the printed pages, a bookmark per page, its metadata from the edition."""
    writer = PdfWriter()
    for title, pdf in printed:
        first = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(pdf)))
        writer.add_outline_item(title, first)
    date = pdf_date(edition.released)
    writer.add_metadata(
        {
            "/Title": f"{edition.title}, {edition.label}",
            "/Author": edition.authors,
            "/Subject": f"Data release {edition.version}, sha256 {edition.data_sha256}",
            "/Keywords": f"code commit {edition.commit}",
            "/CreationDate": date,
            "/ModDate": date,
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def print_edition(site: Path, edition: Edition) -> None:
    """Print the edition's pages (:attr:`Edition.pages`) into ``<site>/<edition.pdf_name>``.

    Raises
    ------
    PdfError : see :func:`print_pages`
    """
    content = join_pages(print_pages(site, list(edition.pages)), edition)
    target = site / edition.pdf_name
    replace_atomically(target, lambda tmp: tmp.write_bytes(content))
    target.chmod(0o644)  # readable by the web server, like the pages
