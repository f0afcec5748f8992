"""ldil2.pipeline.site and the built site without a browser: links and anchors, downloads, page
weight, alt text, and the grey-scale contrast of the arm palette.

The unit tests run on small hand-written sites in a tmp folder; the tests marked ``build`` read
the book built once per session (the ``built_book`` fixture of conftest.py).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest
from sphinx.builders.html._assets import _JavaScript

from ldil2.pipeline import site, toc
from ldil2.pipeline.sphinxext import drop_duplicate_scripts
from ldil2.present.theme import ARM_ORDER, ARM_PALETTE

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>"


# ---------------------------------------------------------------------------------------------
# ldil2.pipeline.site on hand-written sites
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    """index.html linking to every kind of URL; chapters/a.html with ids; assets."""
    write(
        tmp_path / "index.html",
        page(
            '<a href="chapters/a.html">ok</a>'
            '<a href="chapters/a.html#results">ok anchor</a>'
            '<a href="chapters/a.html#old%20name">ok: percent-decoded anchor</a>'
            '<a href="chapters/a.html#legacy">ok: a name</a>'
            '<a href="#">ok: top of page</a>'
            '<a href="#intro">ok: own anchor</a>'
            '<h2 id="intro">Intro</h2>'
            '<a href="folder/">ok: folder with index.html</a>'
            '<a href="_static/style.css?digest=1">ok: query dropped</a>'
            '<a href="https://example.org/missing.html#x">external: not checked</a>'
            '<a href="mailto:someone@example.org">external: not checked</a>'
            '<img src="data:image/png;base64,AAAA" alt="inline">'
            '<a href="chapters/b.html">broken: no file</a>'
            '<a href="chapters/a.html#nowhere">broken: no id</a>'
            '<img src="_images/missing.png" alt="a figure">'
            '<a href="#absent">broken: no own id</a>'
            '<a href="../outside.html">broken: outside</a>'
        ),
    )
    write(
        tmp_path / "chapters" / "a.html",
        page('<section id="results"><p id="old name">x</p><a name="legacy"></a></section>'),
    )
    write(tmp_path / "folder" / "index.html", page("folder"))
    write(tmp_path / "_static" / "style.css", "p {}")
    write(tmp_path / "_static" / "webpack-macros.html", '{% macro x() %}<a href="nowhere.html">')
    return tmp_path


def test_html_pages_excludes_asset_folders(small_site):
    pages = [p.relative_to(small_site).as_posix() for p in site.html_pages(small_site)]
    assert pages == ["chapters/a.html", "folder/index.html", "index.html"]


def test_broken_links_names_every_broken_local_url_and_only_those(small_site):
    assert site.broken_links(small_site) == [
        'index.html: <a href="chapters/b.html">: no file chapters/b.html',
        "index.html: <a href=\"chapters/a.html#nowhere\">: no id 'nowhere' in chapters/a.html",
        'index.html: <img src="_images/missing.png">: no file _images/missing.png',
        "index.html: <a href=\"#absent\">: no id 'absent' in index.html",
        'index.html: <a href="../outside.html">: points outside the site root',
    ]


def test_page_links_resolves_local_urls_and_leaves_external_ones(small_site):
    links = site.page_links(small_site, small_site / "index.html")
    by_url = {link.url: link for link in links}
    assert by_url["chapters/a.html#old%20name"].target == (small_site / "chapters/a.html")
    assert by_url["chapters/a.html#old%20name"].fragment == "old name"
    assert by_url["#intro"].target == (small_site / "index.html")
    assert by_url["https://example.org/missing.html#x"].target is None
    assert by_url["mailto:someone@example.org"].target is None


def test_page_weights_counts_the_html_and_each_image_once(tmp_path):
    write(tmp_path / "_images" / "a.png", b"a" * 1000)
    write(tmp_path / "_images" / "b.png", b"b" * 300)
    text = page(
        '<img src="_images/a.png" alt="A"><img src="_images/a.png" alt="A again">'
        '<img src="_images/b.png" alt="B"><a href="_images/b.png">not loaded with the page</a>'
    )
    write(tmp_path / "index.html", text)
    write(tmp_path / "light.html", page("text only"))
    weights = site.page_weights(tmp_path)
    # index.html: its own bytes + a.png (1000, counted once) + b.png (300)
    assert weights["index.html"] == len(text.encode()) + 1000 + 300
    assert weights["light.html"] == len(page("text only").encode())
    assert site.heaviest_page(tmp_path) == ("index.html", weights["index.html"])


def test_heaviest_page_rejects_a_folder_without_pages(tmp_path):
    with pytest.raises(ValueError, match="no HTML page"):
        site.heaviest_page(tmp_path)


def test_images_without_alt_flags_missing_blank_and_path_alt(tmp_path):
    write(
        tmp_path / "index.html",
        page(
            '<img src="_images/1.png">'
            '<img src="_images/2.png" alt="  ">'
            '<img src="../_images/3.png" alt="../_images/3.png">'
            '<img src="_images/4.png" alt="4.png">'
            '<img src="_images/5.png" alt="figure.svg">'
            '<img src="_images/6.png" alt="ACR20 response by visit and arm">'
        ),
    )
    problems = site.images_without_alt(tmp_path)
    assert [re.search(r"\d\.png", line).group() for line in problems] == [
        "1.png",
        "2.png",
        "3.png",
        "4.png",
        "5.png",
    ]


def test_relative_luminance_of_black_white_and_grey():
    assert site.relative_luminance("#000000") == 0
    assert site.relative_luminance("#FFFFFF") == pytest.approx(1)
    # #777777: 119/255 = 0.46667 -> ((0.46667 + 0.055) / 1.055) ** 2.4 = 0.18447 (all channels)
    assert site.relative_luminance("777777") == pytest.approx(0.18447, abs=1e-5)


def test_contrast_ratio_matches_wcag_reference_values():
    # WCAG 2.1: black on white is 21:1; #777777 on white is 4.48:1 (1.05 / 0.23447), the grey
    # WebAIM's contrast checker reports as just failing AA for normal text (4.5:1).
    assert site.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert site.contrast_ratio("#ffffff", "#777777") == pytest.approx(4.478, abs=1e-3)
    assert site.contrast_ratio("#123456", "#123456") == 1


@pytest.mark.parametrize("colour", ["#fff", "#GGGGGG", "blue", "#0000001"])
def test_relative_luminance_rejects_non_hex_colours(colour):
    with pytest.raises(ValueError, match=re.escape(repr(colour))):
        site.relative_luminance(colour)


def test_arm_palette_is_distinguishable_in_grey_scale():
    # WCAG 2.1 success criterion 1.4.11 (non-text contrast): 3:1 between graphical objects;
    # luminance alone is what survives grey-scale printing.
    first, second = (ARM_PALETTE[arm] for arm in ARM_ORDER)
    assert site.contrast_ratio(first, second) >= 3


# ---------------------------------------------------------------------------------------------
# ldil2.pipeline.sphinxext
# ---------------------------------------------------------------------------------------------


def test_drop_duplicate_scripts_keeps_the_first_of_none_and_empty_filename():
    body = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JavaScript("_static/doctools.js", priority=200),
        _JavaScript(None, priority=500, body=body),
        _JavaScript("_static/thebe.js", priority=500, **{"async": "async"}),
        _JavaScript("", priority=500, body=body),
        _JavaScript("", priority=500, body="let other = 1"),
    ]
    context = {"script_files": scripts}
    drop_duplicate_scripts(None, "index", "page.html", context, None)
    assert context["script_files"] == [scripts[0], scripts[1], scripts[2], scripts[4]]
    assert len(scripts) == 5  # the builder's own list is left as it was


# ---------------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_dir(built_book: Path) -> Path:
    return built_book / "html"


@pytest.fixture(scope="module")
def report(built_book: Path) -> dict:
    return json.loads((built_book / "report.json").read_text(encoding="utf-8"))


@pytest.mark.build
def test_built_site_has_no_broken_local_link_or_anchor(html_dir):
    problems = site.broken_links(html_dir)
    assert not problems, "\n".join(problems)


@pytest.mark.build
def test_every_figure_of_the_built_site_has_alt_text(html_dir):
    problems = site.images_without_alt(html_dir)
    assert not problems, "\n".join(problems)


@pytest.mark.build
def test_no_page_is_heavier_than_the_limit(html_dir):
    heavy = {
        page: weight
        for page, weight in site.page_weights(html_dir).items()
        if weight > site.PAGE_WEIGHT_LIMIT_BYTES
    }
    assert not heavy, f"pages over {site.PAGE_WEIGHT_LIMIT_BYTES} bytes with images: {heavy}"


@pytest.mark.build
def test_each_chapter_page_offers_its_executed_notebook(html_dir):
    problems = []
    for name in toc.toc_documents(ROOT)[1:]:
        notebooks = [
            link.target
            for link in site.page_links(html_dir, html_dir / f"{name}.html")
            if link.tag == "a" and link.target is not None and link.target.suffix == ".ipynb"
        ]
        if not notebooks or not notebooks[0].is_file():
            problems.append(f"{name}.html: no download link to a .ipynb in the site")
            continue
        notebook = nbformat.read(notebooks[0], as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        if not code or not all(isinstance(cell.execution_count, int) for cell in code):
            problems.append(f"{name}.html: {notebooks[0].name} is not an executed notebook")
        if any(out.output_type == "error" for cell in code for out in cell.outputs):
            problems.append(f"{name}.html: {notebooks[0].name} holds error outputs")
    assert not problems, "\n".join(problems)


@pytest.mark.build
def test_landing_page_offers_the_data_release_zip_with_checksum_and_version(html_dir, report):
    index = html_dir / "index.html"
    zips = [
        link
        for link in site.page_links(html_dir, index)
        if link.tag == "a" and link.target is not None and link.target.suffix == ".zip"
    ]
    assert len(zips) == 1, f"index.html should link one data-release zip: {zips}"
    archive = zips[0].target
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    text = html.unescape(re.sub(r"<[^>]+>", " ", index.read_text(encoding="utf-8")))
    version = report["data"]["version"]
    assert digest in text, f"sha256 {digest} of {archive.name} is not shown on index.html"
    assert digest == report["data"]["sha256"]
    assert version in archive.name and version in text
    data_dir = ROOT / report["data"]["directory"]
    with zipfile.ZipFile(archive) as release:
        members = release.namelist()
        assert members, f"{archive.name} is empty"
        for member in members:
            assert release.read(member) == (data_dir / member).read_bytes(), member
