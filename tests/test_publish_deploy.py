"""The deploy job end to end against a local bare git repository standing in for GitHub, and the
archive it leaves: two data releases published one after the other, both editions browsable and
citable, versions.json and the feed, a PDF per edition with every figure and table.

The fast test deploys hand-made builds (tests/publish_support.py); the tests marked ``build``
read ``published_site`` (conftest.py): the earlier release (a tiny book) then the shipped book
(``built_book``), each deployed by ``python -m ldil2 deploy`` from a fresh clone.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_support import chromium_path
from lxml import etree
from publish_support import NEWER, OLDER, archive_clone, bare_remote, deploy_run, git, make_build
from pypdf import PdfReader

from ldil2.pipeline import edition as ed
from ldil2.pipeline.publish import summary_line
from ldil2.pipeline.site import broken_links, html_pages
from ldil2.pipeline.snapshots import built_edition

ATOM = "{http://www.w3.org/2005/Atom}"


def editions_of(site: Path) -> list[str]:
    entries = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    return [entry["version"] for entry in entries]


@pytest.mark.browser
def test_deploy_runs_publish_two_releases_in_sequence_and_never_rewrite_one(tmp_path):
    chromium_path()  # the deploy prints each edition's PDF with the system Chromium
    remote = bare_remote(tmp_path)
    older = make_build(tmp_path, OLDER, "older", line="There is no earlier edition.")
    newer = make_build(tmp_path, NEWER, "newer", line="No declared conclusion changed.")
    for run, build in enumerate((older, newer)):
        result = deploy_run(remote, build, tmp_path / f"run{run}")
        assert result.returncode == 0, result.stderr
        assert "gh-pages: pushed" in result.stdout
    site = archive_clone(remote, tmp_path / "site")
    assert editions_of(site) == [NEWER, OLDER]
    assert "newer" in (site / "index.html").read_text(encoding="utf-8")
    for version in (OLDER, NEWER):
        edition = ed.read_edition(site / "editions" / version / ed.EDITION_FILE)
        pdf = PdfReader(site / "editions" / version / edition.pdf_name)
        assert [item.title for item in pdf.outline] == ["Home", "A"]
    log = git("log", "--format=%s", "gh-pages", cwd=site).splitlines()
    assert [line.split(" (data release ")[1] for line in log] == [f"{NEWER})", f"{OLDER})"]

    again = deploy_run(remote, older, tmp_path / "again")
    assert again.returncode == 0 and "nothing to commit" in again.stdout
    corrected = make_build(tmp_path, OLDER, "corrected")
    refused = deploy_run(remote, corrected, tmp_path / "corrected")
    assert refused.returncode == 0, refused.stderr
    assert "already published with other pages" in refused.stdout
    assert "publish a correction as a new release version" in refused.stdout
    head = git("ls-remote", str(remote), "refs/heads/gh-pages", cwd=tmp_path).split()[0]
    assert head == git("rev-parse", "HEAD", cwd=site).strip()  # nothing more was pushed


# ---------------------------------------------------------------------------------------------
# the archive of the two real builds
# ---------------------------------------------------------------------------------------------


@pytest.mark.build
@pytest.mark.browser
def test_two_releases_leave_two_browsable_editions(published_site, built_book, earlier_book):
    assert editions_of(published_site) == [NEWER, OLDER]
    # a build not yet published lists no edition: its pages show no switcher
    assert (built_book / "html" / "versions.json").read_text(encoding="utf-8") == "[]\n"
    root_edition = ed.read_edition(published_site / ed.EDITION_FILE)
    assert root_edition.version == NEWER
    for build in (earlier_book, built_book):
        report = json.loads((build / "report.json").read_text(encoding="utf-8"))
        folder = published_site / "editions" / report["data"]["version"]
        # every local link and anchor resolves, and none leaves the edition's folder
        assert broken_links(folder) == []
        edition = ed.read_edition(folder / ed.EDITION_FILE)
        assert edition.data_sha256 == report["data"]["sha256"]
        assert len(html_pages(folder)) >= len(edition.pages)
    # each feed entry's summary is its landing page's conclusions line (when the page glues one)
    feed = etree.parse(str(published_site / "feed.xml")).getroot()
    summaries = {
        e.find(f"{ATOM}link").get("href"): e.findtext(f"{ATOM}summary")
        for e in feed.findall(f"{ATOM}entry")
    }
    for build in (earlier_book, built_book):
        version, _, values, _ = built_edition(build)
        edition = ed.read_edition(published_site / "editions" / version / ed.EDITION_FILE)
        assert summaries[f"editions/{version}/"] == summary_line(values, edition)
    assert len(summaries) == 2


class _CiteParser(HTMLParser):
    """The data attributes of #ldil2-edition and the scripts of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.cite: dict[str, str | None] = {}
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id") == "ldil2-edition":
            self.cite = values
        if tag == "script" and values.get("src"):
            self.scripts.append(values["src"] or "")


@pytest.mark.build
@pytest.mark.browser
def test_every_page_of_every_edition_offers_cite_this_edition(published_site):
    for version in (OLDER, NEWER):
        folder = published_site / "editions" / version
        edition = ed.read_edition(folder / ed.EDITION_FILE)
        bibtex = ed.bibtex(edition)
        for page in html_pages(folder):
            text = page.read_text(encoding="utf-8")
            parser = _CiteParser()
            parser.feed(text)
            where = page.relative_to(published_site)
            assert parser.cite.get("data-version") == version, where
            assert parser.cite.get("data-edition") == str(edition.edition), where
            assert "Cite this edition" in text and edition.data_sha256 in text, where
            assert edition.commit in text and edition.date_text in text, where
            assert bibtex.splitlines()[0] in text, where
            assert any(src.split("?")[0].endswith("_static/editions.js") for src in parser.scripts)


def _normalized(text: str) -> str:
    """Text without whitespace or soft hyphens, ligatures spelled out (NFKC: "ﬃ" -> "ffi"):
    PDF text extraction breaks lines and keeps the font's ligatures."""
    return re.sub(r"[\s\u00ad]+", "", unicodedata.normalize("NFKC", text))


CAPTION_TAGS = ("caption", "figcaption")


class _ContentParser(HTMLParser):
    """Raster images, and captions of tables, listings and figures of a page (without the "#"
    permalink Sphinx adds to a caption, which is not printed). A figure drawn as SVG prints as
    vector paths, not as an image of the PDF: its caption stands for it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images = 0
        self.captions: list[str] = []
        self._caption: list[str] | None = None
        self._in_permalink = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not (dict(attrs).get("src") or "").endswith(".svg"):
            self.images += 1
        if tag in CAPTION_TAGS:
            self._caption = []
        if tag == "a" and "headerlink" in (dict(attrs).get("class") or "").split():
            self._in_permalink = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_permalink = False
        if tag in CAPTION_TAGS and self._caption is not None:
            self.captions.append("".join(self._caption))
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None and not self._in_permalink:
            self._caption.append(data)


@pytest.mark.build
@pytest.mark.browser
def test_pdf_of_the_edition_holds_every_page_figure_and_table(published_site):
    folder = published_site / "editions" / NEWER
    edition = ed.read_edition(folder / ed.EDITION_FILE)
    reader = PdfReader(io.BytesIO((folder / edition.pdf_name).read_bytes()))
    assert len(reader.outline) == len(edition.pages)  # a bookmark per page
    assert reader.metadata["/CreationDate"] == "D:20261116000000Z"  # the release date
    images, captions = 0, []
    for name in edition.pages:
        parser = _ContentParser()
        parser.feed((folder / f"{name}.html").read_text(encoding="utf-8"))
        images += parser.images
        captions += parser.captions
    assert captions
    assert sum(len(page.images) for page in reader.pages) >= images
    text = _normalized("".join(page.extract_text() for page in reader.pages))
    missing = [caption for caption in captions if _normalized(caption)[:60] not in text]
    assert missing == []
    # the landing page (JavaScript) links the PDF; it is at the root too, beside the newest pages
    assert (published_site / edition.pdf_name).read_bytes() == (
        folder / edition.pdf_name
    ).read_bytes()
