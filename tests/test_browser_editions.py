"""The archived editions in a real browser (Debian's Chromium, tests/browser_support.py): the
version switcher, the banner on the older edition, links that stay inside an edition, and the
PDF link of the landing page.

The site is ``published_site`` (conftest.py): two deploy runs, the earlier release then the
shipped book, cloned from the ``gh-pages`` branch of a local bare repository and served on
127.0.0.1 as GitHub Pages would serve it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import chromium_context, serve_directory
from playwright.sync_api import Locator, Page
from publish_support import NEWER, OLDER

from ldil2.pipeline import edition as ed

pytestmark = [pytest.mark.build, pytest.mark.browser]

READY = "html[data-ldil2-editions='ready']"


@pytest.fixture(scope="module")
def served(published_site: Path) -> Iterator[str]:
    with serve_directory(published_site) as base:
        yield base


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with chromium_context(tmp_path / "profile") as context:
        yield context.new_page()


def label(site: Path, version: str) -> str:
    return ed.read_edition(site / "editions" / version / ed.EDITION_FILE).label


def open_edition(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY)


def follow(page: Page, link: Locator, url: str) -> None:
    """Click ``link`` and wait until the page at ``url`` is ready. The switcher's links ask the
    server first (a HEAD request) and navigate afterwards, so the page being left is still
    ready for a moment after the click: waiting for the selector alone can pass on it."""
    link.click()
    page.wait_for_url(url)
    page.wait_for_selector(READY)


def test_older_edition_says_so_and_links_the_latest(page, served, published_site):
    open_edition(page, f"{served}editions/{OLDER}/index.html")
    banner = page.locator(".ldil2-old-edition")
    old, new = label(published_site, OLDER), label(published_site, NEWER)
    assert banner.inner_text() == f"You are reading {old}; the latest is {new}."
    follow(page, banner.locator("a"), f"{served}editions/{NEWER}/")
    assert page.locator(".ldil2-old-edition").count() == 0


@pytest.mark.parametrize("path", ["", "index.html", f"editions/{NEWER}/chapters/primary.html"])
def test_latest_edition_has_the_switcher_and_no_banner(page, served, path):
    open_edition(page, served + path)
    assert page.locator(".ldil2-switcher summary").inner_text().startswith("Edition: edition 2")
    assert page.locator(".ldil2-old-edition").count() == 0


def test_switcher_lists_every_edition_and_keeps_the_page(page, served, published_site):
    open_edition(page, f"{served}editions/{NEWER}/index.html")
    page.locator(".ldil2-switcher summary").click()
    links = page.locator(".ldil2-switcher li a")
    assert [links.nth(i).inner_text() for i in range(links.count())] == [
        f"{label(published_site, NEWER)} latest",
        label(published_site, OLDER),
    ]
    follow(page, links.nth(1), f"{served}editions/{OLDER}/index.html")
    assert page.locator(".ldil2-old-edition").count() == 1


def test_switcher_falls_back_to_the_landing_page_of_an_edition_without_the_page(page, served):
    open_edition(page, f"{served}editions/{NEWER}/chapters/primary.html")
    page.locator(".ldil2-switcher summary").click()
    follow(page, page.locator(".ldil2-switcher li a").nth(1), f"{served}editions/{OLDER}/")


@pytest.mark.parametrize(
    "path", [f"editions/{OLDER}/index.html", f"editions/{NEWER}/chapters/primary.html"]
)
def test_links_inside_an_archived_edition_stay_inside_it(page, served, path):
    open_edition(page, served + path)
    inside = served + path.split("/")[0] + "/" + path.split("/")[1] + "/"
    hrefs = page.eval_on_selector_all(
        "a[href]:not(.ldil2-editions a)", "links => links.map(a => a.href)"
    )
    local = [href for href in hrefs if href.startswith(served)]
    assert local and [href for href in local if not href.startswith(inside)] == []
    link = page.locator("nav.bd-docs-nav a.reference.internal").first
    target = link.evaluate("a => a.href")
    assert target.startswith(inside)
    follow(page, link, target)


def test_landing_page_of_an_edition_links_its_pdf(page, served, published_site):
    open_edition(page, f"{served}editions/{NEWER}/index.html")
    pdf = ed.read_edition(published_site / "editions" / NEWER / ed.EDITION_FILE).pdf_name
    link = page.locator(".ldil2-pdf a")
    assert link.get_attribute("href") == f"{served}editions/{NEWER}/{pdf}"
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
