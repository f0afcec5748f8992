"""Checks of the built site as readers get it: local links and anchors, page weight, alt text.

Everything here reads the static HTML that ``jupyter-book build`` writes (``<out>/html``); nothing
needs a browser. The browser checks live in ``tests/test_browser.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

#: Attributes whose value is a URL the reader's browser follows or loads.
URL_ATTRIBUTES: tuple[str, ...] = ("href", "src", "action", "poster", "data")

#: Folders of a Sphinx HTML build that hold assets and sources, not pages.
ASSET_FOLDERS: tuple[str, ...] = ("_static", "_sources", "_images", "_downloads")

#: Largest weight of one page with its images, in bytes (issue 8: 1.5 MB, 1 MB = 10**6 bytes).
PAGE_WEIGHT_LIMIT_BYTES = 1_500_000

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


@dataclass(frozen=True)
class Link:
    """One URL found in a page.

    Attributes
    ----------
    page : path of the page, relative to the site root (POSIX)
    tag, attribute : the element and attribute that hold the URL, e.g. ``a`` and ``href``
    url : the attribute value as written
    target : the local file or folder the URL points to (the page itself for a bare fragment
        such as ``#x``), or None for an external URL (one with a scheme or a host)
    fragment : the decoded fragment (``""`` when there is none)
    """

    page: str
    tag: str
    attribute: str
    url: str
    target: Path | None
    fragment: str


class _PageParser(HTMLParser):
    """Collects the URL attributes, element ids and images of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in URL_ATTRIBUTES:
            value = values.get(name)
            if value is not None:
                self.urls.append((tag, name, value))
        if values.get("id"):
            self.ids.add(values["id"])
        # <a name="x"> is a fragment target too (HTML Living Standard, "the indicated part").
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        if tag == "img":
            self.images.append(values)

    handle_startendtag = handle_starttag


def _parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def html_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of a built site, sorted, asset folders (``_static`` etc.) excluded.

    Parameters
    ----------
    html_dir : the site root (the folder holding ``index.html``)

    Returns
    -------
    list of Path : absolute paths of the pages
    """
    html_dir = Path(html_dir)
    return sorted(
        path
        for path in html_dir.rglob("*.html")
        if path.relative_to(html_dir).parts[0] not in ASSET_FOLDERS
    )


def _relative(html_dir: Path, path: Path) -> str:
    return path.relative_to(html_dir).as_posix()


def page_links(html_dir: Path, page: Path) -> list[Link]:
    """Every URL in ``href``, ``src``, ``action``, ``poster`` and ``data`` attributes of a page.

    Parameters
    ----------
    html_dir : the site root
    page : a page of the site

    Returns
    -------
    list of Link : in document order; a local URL is resolved against the page's folder, its
        query string dropped and its path and fragment percent-decoded; a URL naming a folder
        targets that folder (``index.html`` is looked up by :func:`broken_links`)
    """
    html_dir, page = Path(html_dir), Path(page)
    links = []
    for tag, attribute, url in _parse(page).urls:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            target = None
        elif parts.path:
            target = Path(page.parent, unquote(parts.path)).resolve()
        else:
            target = page.resolve()
        fragment = unquote(parts.fragment)
        links.append(Link(_relative(html_dir, page), tag, attribute, url, target, fragment))
    return links


def broken_links(html_dir: Path) -> list[str]:
    """Local links and anchors of a built site that do not resolve.

    Walks every page of :func:`html_pages`. A local URL is broken when its file does not exist
    (a folder counts when it holds ``index.html``), when it leaves the site root, or when it has
    a fragment and its target is an HTML page without an element of that ``id`` (or ``<a name>``).
    An empty fragment (``href="#"``) points to the top of the page and is always valid.
    External URLs (with a scheme such as ``https:`` or ``mailto:``, or a host) are not checked.

    Parameters
    ----------
    html_dir : the site root

    Returns
    -------
    list of str : one line per broken URL, naming page, element, attribute, URL and reason
    """
    html_dir = Path(html_dir).resolve()
    ids: dict[Path, set[str]] = {}
    problems = []
    for page in html_pages(html_dir):
        for link in page_links(html_dir, page):
            if link.target is None:
                continue
            where = f'{link.page}: <{link.tag} {link.attribute}="{link.url}">'
            target = link.target
            if not target.is_relative_to(html_dir):
                problems.append(f"{where}: points outside the site root")
                continue
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{where}: no file {_relative(html_dir, target)}")
                continue
            if link.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = _parse(target).ids
                if link.fragment not in ids[target]:
                    problems.append(
                        f"{where}: no id {link.fragment!r} in {_relative(html_dir, target)}"
                    )
    return problems


def page_weights(html_dir: Path) -> dict[str, int]:
    """Weight of every page of a built site with its images, in bytes.

    Parameters
    ----------
    html_dir : the site root

    Returns
    -------
    dict : page path relative to the site root (POSIX) -> bytes of the HTML file plus the bytes
        of every distinct local image its ``<img src>`` loads (each counted once per page).
        Style sheets and scripts are shared by every page and cached, so they are not counted;
        images inlined as ``data:`` URLs are inside the HTML bytes already.
    """
    html_dir = Path(html_dir).resolve()
    weights = {}
    for page in html_pages(html_dir):
        images = {
            link.target
            for link in page_links(html_dir, page)
            if link.tag == "img" and link.attribute == "src" and link.target is not None
        }
        weight = page.stat().st_size
        weight += sum(image.stat().st_size for image in images if image.is_file())
        weights[_relative(html_dir, page)] = weight
    return weights


def heaviest_page(html_dir: Path) -> tuple[str, int]:
    """The heaviest page of a built site (see :func:`page_weights`).

    Parameters
    ----------
    html_dir : the site root

    Returns
    -------
    tuple : (page path relative to the site root, bytes); ties go to the first path in sort order

    Raises
    ------
    ValueError : the folder holds no HTML page
    """
    weights = page_weights(html_dir)
    if not weights:
        raise ValueError(f"{html_dir}: no HTML page (is this the html/ folder of a build?)")
    return max(sorted(weights.items()), key=lambda item: item[1])


def images_without_alt(html_dir: Path) -> list[str]:
    """Images of a built site that lack a text alternative.

    An ``<img>`` lacks one when its ``alt`` is missing or blank, or when it only repeats the
    image's address or file name (myst-nb writes the image path as ``alt`` when a figure has no
    ``:alt:``), which a screen reader would read out as a meaningless hash.

    Parameters
    ----------
    html_dir : the site root

    Returns
    -------
    list of str : one line per image, naming the page and the image source
    """
    html_dir = Path(html_dir).resolve()
    problems = []
    for page in html_pages(html_dir):
        for image in _parse(page).images:
            src = image.get("src") or ""
            alt = (image.get("alt") or "").strip()
            repeats_address = alt == src or PurePosixPath(alt).name == PurePosixPath(src).name
            if not alt or repeats_address or alt.lower().endswith(IMAGE_SUFFIXES):
                problems.append(f"{_relative(html_dir, page)}: <img src={src!r}> alt={alt!r}")
    return problems


def relative_luminance(colour: str) -> float:
    """Relative luminance of an sRGB colour (WCAG 2.1), 0 (black) to 1 (white).

    Parameters
    ----------
    colour : ``#rrggbb`` (or ``rrggbb``), case-insensitive

    Returns
    -------
    float : L = 0.2126 R + 0.7152 G + 0.0722 B of the linearised channels

    Raises
    ------
    ValueError : the string is not six hexadecimal digits (names the value)

    Notes
    -----
    Each channel c = value / 255 is linearised as c / 12.92 when c <= 0.04045, else
    ((c + 0.055) / 1.055) ** 2.4. This is the grey a colour becomes when printed or viewed in
    grey scale, up to the display's gamma.

    References
    ----------
    W3C, Web Content Accessibility Guidelines 2.1, definition "relative luminance".
    """
    digits = colour.removeprefix("#")
    if len(digits) != 6 or any(char not in "0123456789abcdefABCDEF" for char in digits):
        raise ValueError(f"colour {colour!r} is not #rrggbb")
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours, 1 (identical grey) to 21 (black on white).

    Parameters
    ----------
    first, second : ``#rrggbb`` colours

    Returns
    -------
    float : (L1 + 0.05) / (L2 + 0.05), L1 the lighter relative luminance

    References
    ----------
    W3C, Web Content Accessibility Guidelines 2.1, definition "contrast ratio"; success
    criterion 1.4.11 asks 3:1 for graphical objects that carry meaning.
    """
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
