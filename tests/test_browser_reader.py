"""The reader's pages in a real headless Chromium: the key-results box on the landing page and
atop Primary, the CONSORT 2025 checklist page with its 30 items, and the site search finding
the text of a result table ("pyrexia" finds the Safety page). The browser and the server come
from tests/browser_support.py (system Chromium by path, no host but 127.0.0.1); the site is the
session's build (``built_book``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import DESKTOP, PHONE, chromium_context, serve_directory

pytestmark = [pytest.mark.browser, pytest.mark.build]

BOX = "section.ldil2-key-results"
NOTICE = ".bd-header-announcement"


@pytest.fixture(scope="module")
def reader(built_book: Path, tmp_path_factory: pytest.TempPathFactory):
    """(the base URL of the served site, a desktop Chromium context), for the whole module."""
    profile = tmp_path_factory.mktemp("reader-profile")
    with serve_directory(built_book / "html") as url, chromium_context(profile) as context:
        yield url, context


def test_landing_page_shows_the_key_results_box_first(reader):
    site, browser = reader
    page = browser.new_page()
    page.goto(site + "index.html")
    box = page.locator(BOX)
    assert box.count() == 1 and box.is_visible()
    # within the first screen and a half of a desktop window, before the trial's description
    assert box.bounding_box()["y"] < 1.5 * DESKTOP["height"]
    text = box.inner_text()
    for expected in ("Per-protocol population", "Intention-to-treat population", "ACR20",
                     "DAS28-ESR < 2.6", "CDAI", "SDAI", "week 24", "across visits", "Safety",
                     "Simulated data"):  # fmt: skip
        assert expected in text, expected
    rows = box.locator("tbody tr")
    assert rows.count() == 8  # 4 primary endpoints x (week 24, across visits)
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert len(cells) == 2
        assert all(re.fullmatch(r"-?\d+\.\d+ \(-?\d+\.\d+ to -?\d+\.\d+\)|not estimable", cell)
                   for cell in cells), cells  # fmt: skip
    sentence = box.locator(".ldil2-key-sentence").inner_text()
    assert sentence.startswith("Across the visits, the per-protocol analysis")
    assert "At week 24 alone" in sentence
    assert page.locator(NOTICE).is_visible()  # the release banner stays
    # the ledger's caveat is on the landing page too
    assert "checks the analysis code, not the trial" in page.locator("article").inner_text()
    page.close()


def test_primary_page_opens_with_the_key_results_box(reader):
    site, browser = reader
    page = browser.new_page()
    page.goto(site + "chapters/primary.html")
    box = page.locator(BOX)
    assert box.count() == 1
    first_table = page.locator("table.ldil2-table").first
    assert box.bounding_box()["y"] < first_table.bounding_box()["y"]
    assert page.locator(NOTICE).is_visible()
    page.close()


def test_key_results_box_fits_a_phone(reader):
    site, browser = reader
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    page.goto(site + "index.html")
    box = page.locator(BOX).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    page.close()


def test_consort_2025_page_lists_30_items_each_answered_or_placed(reader):
    site, browser = reader
    page = browser.new_page()
    page.goto(site + "chapters/consort.html")
    assert "CONSORT 2025" in page.locator("article h1").inner_text()
    checklist = page.locator("table.ldil2-checklist", has_text="CONSORT 2025 items and where")
    rows = checklist.locator("tbody tr")
    items = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(rows.count())]
    numbers = sorted({int(re.match(r"\d+", item).group()) for item in items})
    assert numbers == list(range(1, 31))
    assert {"1a", "1b", "5a", "5b", "21a", "21d", "22a", "22b"} <= set(items)
    for i in range(rows.count()):
        answer = rows.nth(i).locator("td").last
        linked = answer.locator("a.reference.internal").count() > 0
        assert (
            linked
            or "Outside this book" in answer.inner_text()
            or "Not applicable" in (answer.inner_text())
        ), items[i]
    # the extensions that apply
    for extension in ("CONSORT Harms 2022 items", "CONSORT-Outcomes 2022 items"):
        table = page.locator("table.ldil2-checklist", has_text=extension)
        assert table.locator("tbody tr").count() >= 5, extension
    page.close()


def test_search_finds_an_adverse_event_term_on_the_safety_page(reader):
    site, browser = reader
    page = browser.new_page()
    page.goto(site + "search.html?q=pyrexia")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=15_000)
    targets = results.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert any("chapters/safety.html" in href for href in targets), targets
    page.close()
