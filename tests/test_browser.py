"""The built site in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

One browser and one context serve the whole module: the site is crawled once from the landing
page through the sidebar, and every page is checked on that one visit (console, requests,
images, notice, axe-core, width at 390 px, the text size of every figure at 1280 and 390 px, the
number, caption, footnote and cells of every table at 390 px; then one reload in the reader's
dark theme for colour contrast); the tests below only read the records. The browser and the
server come from tests/browser_support.py (system Chromium by path, no host but 127.0.0.1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_support import DESKTOP, PHONE, chromium_context, serve_directory
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Response

from ldil2.pipeline import toc
from ldil2.present.theme import MIN_TEXT_PT

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SIDEBAR_LINKS = "nav.bd-docs-nav a.reference.internal"
NOTICE = ".bd-header-announcement"
SERIOUS = ("serious", "critical")
CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]}}
NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)
SET_MODE = "mode => localStorage.setItem('mode', mode)"
# Elements allowed to be wider than a phone: they scroll inside their own box (_static/custom.css).
OWN_SCROLL = "table, figure, .figure, div.output, .pst-scrollable-table-container"

WAIT_FOR_IMAGES = """async () => {
  const images = [...document.images];
  for (const image of images) image.loading = "eager";
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
  const loaded = (image) => image.complete && image.naturalWidth > 0;
  return images.map((image) => [image.getAttribute("src"), loaded(image)]);
}"""

# Every figure: its number, image, the SVG's width (pt) and smallest font size (user units = pt
# at the drawn size), the width it is shown at, and whether its caption is in the viewport.
FIGURES = """async () => {
  const out = [];
  for (const img of document.querySelectorAll(".bd-article figure img")) {
    const figure = img.closest("figure");
    const number = figure.querySelector(".caption-number");
    const caption = figure.querySelector("figcaption");
    const record = {
      number: number ? number.textContent.trim() : figure.id,
      src: img.getAttribute("src"),
      shownPx: img.getBoundingClientRect().width,
      captionRight: caption ? caption.getBoundingClientRect().right : null,
      widthPt: null,
      minFont: null,
    };
    if (record.src.endsWith(".svg")) {
      const text = await (await fetch(img.src)).text();
      const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
      record.widthPt = parseFloat(svg.getAttribute("width"));
      const sizes = [...svg.querySelectorAll("text")]
        .map((t) => ((t.getAttribute("style") || "").match(/font-size:\\s*([\\d.]+)px/) || [])[1])
        .map(parseFloat)
        .filter(Number.isFinite);
      record.minFont = sizes.length ? Math.min(...sizes) : null;
    }
    out.push(record);
  }
  return out;
}"""

# Every table of the article: its caption number, whether caption and footnote are in the
# viewport and outside the scrolling box, the cells that print "P =" and the numbers that wrap.
TABLES = """() => {
  const width = document.documentElement.clientWidth;
  const inView = (element, box) =>
    !element || (element.getBoundingClientRect().right <= width + 1 && !box.contains(element));
  // a P value ("P = 0.014", "P < 0.001"), not a decision rule ("P < 0.05 and ...")
  const p = /(^|[^A-Za-z0-9])P\\s*(=|<\\s*0\\.001)/;
  return [...document.querySelectorAll(".bd-article table")].map((table) => {
    const figure = table.closest("figure.ldil2-table-figure");
    const caption = figure ? figure.querySelector("figcaption") : table.querySelector("caption");
    const number = caption ? caption.querySelector(".caption-number") : null;
    const box = figure ? figure.querySelector(".ldil2-scroll") : table;
    return {
      result: Boolean(figure),
      numbered: Boolean(figure) && !figure.classList.contains("ldil2-unnumbered"),
      number: number ? number.textContent.trim() : null,
      caption: caption ? caption.textContent.trim().slice(0, 80) : "",
      captionInView: Boolean(figure) && inView(caption, box),
      footnoteInView: Boolean(figure) && inView(figure.querySelector(".ldil2-footnote"), box),
      pCells: [...table.querySelectorAll("tbody td, tbody th")]
        .map((cell) => cell.textContent.trim())
        .filter((text) => p.test(text)),
      wrapped: [...table.querySelectorAll(".ldil2-nowrap")]
        .filter((span) => span.getClientRects().length > 1)
        .map((span) => span.textContent),
    };
  });
}"""

# Words of the article's prose (paragraphs outside figures and tables) and how many are bold.
BOLD_WORDS = """() => {
  let bold = 0, words = 0;
  const article = document.querySelector(".bd-article");
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    if (!element.closest("p") || element.closest("figure, table, .cell_output")) continue;
    const count = walker.currentNode.textContent.split(/\\s+/).filter(Boolean).length;
    words += count;
    if (parseInt(getComputedStyle(element).fontWeight, 10) >= 600) bold += count;
  }
  return {bold, words};
}"""
BOLD_SHARE = 0.1
"""Most bold a page's prose may be: bold marks the few headline numbers (issue 12)."""

PAGE_WIDTH = """(ownScroll) => {
  const root = document.scrollingElement;
  const width = root.clientWidth;
  const wide = [];
  if (root.scrollWidth > width) {
    for (const element of document.body.querySelectorAll("*")) {
      const box = element.getBoundingClientRect();
      if (box.right > width + 1 && box.width > 0 && !element.closest(ownScroll)) {
        const name = `${element.tagName.toLowerCase()}.${element.className}`;
        wide.push(`${name} (right edge ${box.right}px)`);
      }
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(-5)};
}"""


@dataclass
class Visit:
    """What one page showed on its one visit."""

    status: int
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    images: list[tuple[str, bool]] = field(default_factory=list)
    notice: str | None = None
    sidebar: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    width: dict = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    figures_phone: list[dict] = field(default_factory=list)
    tables_phone: list[dict] = field(default_factory=list)
    bold: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def site(built_book: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 (a free port); yields its base URL."""
    with serve_directory(built_book / "html") as url:
        yield url


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One Chromium context with a fresh user-data folder for the module."""
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as browser_context:
        yield browser_context


def _serious(results: dict, label: str) -> list[str]:
    """One line per serious or critical axe-core violation, with up to three elements."""
    return [
        f"{label}{rule['id']} ({rule['impact']}): {rule['help']}; "
        + "; ".join(", ".join(node["target"]) for node in rule["nodes"][:3])
        for rule in results["violations"]
        if rule["impact"] in SERIOUS
    ]


def _visit(page: Page, url: str, site: str, axe: Axe) -> Visit:
    """Load one page at desktop width and record every check on it."""
    errors: list[str] = []
    external: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if source.startswith(site) or not message.text.startswith("Failed to load resource"):
            errors.append(f"console error: {message.text} ({source})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"HTTP {response.status}: {response.url}")

    def on_request(request) -> None:
        if not request.url.startswith((site, "data:", "blob:")):
            external.append(request.url)

    handlers = {
        "console": on_console,
        "pageerror": lambda error: errors.append(f"uncaught exception: {error}"),
        "response": on_response,
        "request": on_request,
    }
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        response = page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        visit = Visit(status=response.status if response else 0)
        visit.images = [tuple(image) for image in page.evaluate(WAIT_FOR_IMAGES)]
        notice = page.locator(NOTICE)
        visit.notice = notice.inner_text() if notice.count() and notice.is_visible() else None
        hrefs = page.locator(SIDEBAR_LINKS).evaluate_all("els => els.map(e => e.href)")
        visit.sidebar = [urldefrag(href).url for href in hrefs]
        visit.figures = page.evaluate(FIGURES)
        visit.bold = page.evaluate(BOLD_WORDS)
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)
    visit.errors, visit.external = errors, external
    # axe-core after the listeners are gone: its CSSOM preload requests "../basic.css" (an
    # @import of the theme's style sheet) against the page URL, a 404 of the tool, not the site.
    # Colours are checked at rest: a theme transition (0.15 s) still running on a loaded machine
    # would be measured half-way.
    page.add_style_tag(content=NO_TRANSITIONS)
    visit.axe = _serious(axe.run(page).response, "")
    # The reader's dark theme, as the theme switch leaves it (stored, then the page reloaded
    # so no colour transition is caught half-way): colour contrast only.
    page.evaluate(SET_MODE, "dark")
    page.reload(wait_until="load")
    page.add_style_tag(content=NO_TRANSITIONS)
    visit.axe += _serious(axe.run(page, options=CONTRAST_ONLY).response, "dark theme: ")
    page.evaluate(SET_MODE, "light")
    page.set_viewport_size(PHONE)
    visit.width = page.evaluate(PAGE_WIDTH, OWN_SCROLL)
    visit.figures_phone = page.evaluate(FIGURES)
    visit.tables_phone = page.evaluate(TABLES)
    page.set_viewport_size(DESKTOP)
    return visit


@pytest.fixture(scope="module")
def visits(context: BrowserContext, site: str) -> dict[str, Visit]:
    """Every page reached from the landing page through sidebar links, visited once.

    Returns page path relative to the site root -> :class:`Visit`.
    """
    page = context.new_page()
    axe = Axe()
    found: dict[str, Visit] = {}
    queue = [urljoin(site, "index.html")]
    while queue:
        url = queue.pop(0)
        path = url.removeprefix(site)
        if path in found:
            continue
        found[path] = visit = _visit(page, url, site, axe)
        queue += [href for href in visit.sidebar if href.startswith(site) and ".html" in href]
    page.close()
    return found


@pytest.fixture(scope="module")
def toc_pages() -> list[str]:
    """Every page of _toc.yml, as a path of the site (``chapters/primary.html``)."""
    return [f"{name}.html" for name in toc.toc_documents(ROOT)]


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {problem}" for page, items in problems.items() for problem in items)


def test_sidebar_navigation_reaches_every_toc_page(visits, toc_pages):
    missing = [page for page in toc_pages if page not in visits]
    assert not missing, f"not reachable through the sidebar from index.html: {missing}"


def test_every_toc_page_loads_without_console_error(visits, toc_pages):
    problems = {
        page: [f"HTTP status {visits[page].status}"] * (visits[page].status != 200)
        + visits[page].errors
        for page in toc_pages
        if page in visits
    }
    problems = {page: items for page, items in problems.items() if items}
    assert not problems, _report(problems)


def test_pages_load_nothing_from_outside_the_site(visits):
    problems = {page: visit.external for page, visit in visits.items() if visit.external}
    assert not problems, "the site must work offline:\n" + _report(problems)


def test_every_image_loads(visits):
    images = [image for visit in visits.values() for image in visit.images]
    assert images, "no <img> on any page: the book's figures are missing"
    problems = {
        page: [f"image did not load: {src}" for src, loaded in visit.images if not loaded]
        for page, visit in visits.items()
    }
    problems = {page: items for page, items in problems.items() if items}
    assert not problems, _report(problems)


def test_release_notice_is_visible_on_every_page(visits, built_book):
    data = json.loads((built_book / "report.json").read_text(encoding="utf-8"))["data"]
    problems = {}
    for page, visit in visits.items():
        notice = visit.notice or ""
        if visit.notice is None:
            problems[page] = ["no visible data-release notice"]
        elif data["version"] not in notice:
            problems[page] = [f"notice without the release version {data['version']}: {notice}"]
        elif (data["provenance"] == "simulated") != ("simulated" in notice.lower()):
            problems[page] = [f"provenance {data['provenance']} but notice says: {notice}"]
    assert not problems, _report(problems)


def test_no_serious_or_critical_accessibility_violation(visits):
    problems = {page: visit.axe for page, visit in visits.items() if visit.axe}
    assert not problems, "axe-core violations:\n" + _report(problems)


def test_no_horizontal_scroll_at_phone_width(visits):
    problems = {
        page: [
            f"page is {visit.width['scrollWidth']} px wide in a {visit.width['clientWidth']} px "
            f"viewport; too wide outside tables and figures: {visit.width['wide']}"
        ]
        for page, visit in visits.items()
        if visit.width["scrollWidth"] > visit.width["clientWidth"]
    }
    assert not problems, _report(problems)


def test_search_finds_acr20(context, site):
    page = context.new_page()
    page.goto(urljoin(site, "search.html?q=ACR20"), wait_until="load")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=15_000)
    hrefs = results.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    page.close()
    assert any("chapters/" in href for href in hrefs), f"search results for ACR20: {hrefs}"


def _shown_pt(figure: dict) -> float:
    """The smallest text of a figure as shown: its font size (pt at the drawn size) times the
    shown width over the drawn width (CSS px: 96 per inch, 72 pt per inch)."""
    return figure["minFont"] * figure["shownPx"] / (figure["widthPt"] * 96 / 72)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_figure_text_is_at_least_9_pt_as_shown(visits, width):
    problems = {}
    for page, visit in visits.items():
        figures = visit.figures if width == "desktop" else visit.figures_phone
        for figure in figures:
            if figure["minFont"] is None:
                problems.setdefault(page, []).append(f"{figure['number']}: no SVG text to measure")
            elif (shown := _shown_pt(figure)) < MIN_TEXT_PT:
                problems.setdefault(page, []).append(
                    f"{figure['number']}: smallest text {shown:.1f} pt "
                    f"(drawn {figure['widthPt']:.0f} pt wide, shown {figure['shownPx']:.0f} px)"
                )
    assert sum(len(v.figures) for v in visits.values()) >= 15, "the book's figures are missing"
    assert not problems, _report(problems)


def test_figure_captions_stay_in_view_at_phone_width(visits):
    problems = {
        page: [f"{f['number']}: caption ends at {f['captionRight']:.0f} px" for f in bad]
        for page, visit in visits.items()
        if (bad := [f for f in visit.figures_phone if f["captionRight"] > PHONE["width"] + 1])
    }
    assert not problems, _report(problems)


def test_tables_and_figures_are_numbered_across_the_book_in_toc_order(visits, toc_pages):
    pages = [page for page in toc_pages if page in visits]
    tables = [t for page in pages for t in visits[page].tables_phone if t["numbered"]]
    figures = [f["number"] for page in pages for f in visits[page].figures]
    assert len(tables) >= 30, "the book's result tables are missing"
    assert [t["number"] for t in tables] == [f"Table {n}" for n in range(1, len(tables) + 1)]
    assert figures == [f"Fig. {n}" for n in range(1, len(figures) + 1)]


def test_no_table_cell_prints_p_equals(visits):
    problems = {
        page: [
            f"{t['number'] or t['caption']}: {cell}"
            for t in visit.tables_phone
            for cell in t["pCells"]
        ]
        for page, visit in visits.items()
    }
    problems = {page: items for page, items in problems.items() if items}
    assert not problems, "a P value cell repeats its header:\n" + _report(problems)


def test_table_caption_and_footnote_stay_in_view_and_numbers_never_wrap_on_a_phone(visits):
    problems = {}
    for page, visit in visits.items():
        for table in (t for t in visit.tables_phone if t["result"]):
            name = table["number"] or table["caption"]
            if not table["captionInView"]:
                problems.setdefault(page, []).append(f"{name}: caption scrolls or is cut off")
            if not table["footnoteInView"]:
                problems.setdefault(page, []).append(f"{name}: footnote scrolls or is cut off")
            problems.setdefault(page, []).extend(f"{name}: wraps {s!r}" for s in table["wrapped"])
    problems = {page: items for page, items in problems.items() if items}
    assert not problems, _report(problems)


def test_bold_only_for_the_few_headline_numbers(visits):
    problems = {
        page: [f"{visit.bold['bold']} of {visit.bold['words']} words of the prose are bold"]
        for page, visit in visits.items()
        if visit.bold["bold"] > BOLD_SHARE * max(visit.bold["words"], 1)
    }
    assert not problems, _report(problems)
