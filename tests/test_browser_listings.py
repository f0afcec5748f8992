"""The participant listings in a real browser (Debian Chromium, tests/browser_support.py): the
search box keeps the matching rows, a column heading sorts by that column (numbers as numbers)
and again in reverse. Run with CI=true so that a missing browser fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import chromium_context, serve_directory

pytestmark = [pytest.mark.build, pytest.mark.browser]

LISTING = "table.ldil2-listing"


def column(page, table: int, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"{LISTING} >> nth={table} >> tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{index}].textContent.trim())",
    )


def test_listing_search_and_sort(built_book: Path, tmp_path: Path):
    with serve_directory(built_book / "html") as base, chromium_context(tmp_path) as context:
        page = context.new_page()
        page.goto(f"{base}chapters/listings.html")
        page.wait_for_selector(".ldil2-listing-search input")
        events = page.locator(LISTING).nth(2)
        rows = events.locator("tbody tr")
        total = rows.count()
        term = rows.nth(0).locator("td").nth(3).inner_text()
        expected = sum(term.lower() in rows.nth(i).inner_text().lower() for i in range(total))
        page.locator(".ldil2-listing-search input").nth(2).fill(term)
        shown = events.locator("tbody tr:not([hidden])")
        assert 0 < shown.count() == expected < total
        status = page.locator(".ldil2-listing-status").nth(2).inner_text()
        assert status == f"{expected} of {total} rows shown"
        page.locator(".ldil2-listing-search input").nth(2).fill("")
        onset = events.locator("thead th").nth(5)
        onset.locator("button").click()
        days = [int(v) for v in column(page, 2, 5)]
        assert days == sorted(days) and onset.get_attribute("aria-sort") == "ascending"
        onset.locator("button").click()
        days = [int(v) for v in column(page, 2, 5)]
        assert days == sorted(days, reverse=True)
        assert onset.get_attribute("aria-sort") == "descending"
