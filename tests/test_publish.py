"""ldil2.pipeline.edition, publish and feed on small hand-made builds (no book build, no browser),
and the repository's CITATION.cff against the Citation File Format 1.2.0 schema.

The hand-made builds have what ``python -m ldil2 build`` leaves for publishing: ``report.json``,
``stage/results.json`` (with a ``index:conclusions_line`` value standing in for the landing
page's glue), ``results/ard.json`` and ``html/`` with ``edition.json``. Their PDF is written by a
stand-in printer; the real PDF is checked in tests/test_publish_deploy.py.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import run_build, tiny_book_root
from lxml import etree
from publish_support import DATES, NEWER, NUMBERS, OLDER, make_build, write_earlier_book

from ldil2 import contract as c
from ldil2.pipeline import edition as ed
from ldil2.pipeline import publish as pub
from ldil2.pipeline.feed import FEED_FILE, feed_id
from ldil2.pipeline.site import html_pages, page_links
from ldil2.pipeline.snapshots import version_key

ROOT = Path(__file__).resolve().parents[1]
CFF_SCHEMA = Path(__file__).parent / "fixtures" / "cff-1.2.0-schema.json"
"""schema.json of github.com/citation-file-format/citation-file-format (CFF 1.2.0) at commit
009214933e6050b37da574eba4c83d5a8031ce81, vendored: the tests need no network."""
ATOM = "{http://www.w3.org/2005/Atom}"


def fake_printer(folder: Path, edition: ed.Edition) -> None:
    """Stands in for Chromium: a PDF file naming the edition."""
    (folder / edition.pdf_name).write_bytes(f"%PDF-1.4 {edition.version}\n".encode())


def run_publish(build: Path, site: Path, **kwargs) -> pub.ArchivedEdition:
    return pub.publish(build, site, printer=fake_printer, log=lambda _: None, **kwargs)


def site_digest(site: Path) -> str:
    return pub.tree_digest(site)


# ---------------------------------------------------------------------------------------------
# edition facts
# ---------------------------------------------------------------------------------------------


def test_edition_number_ranks_the_version_among_the_snapshots(tmp_path):
    releases = tmp_path / "releases"
    assert ed.edition_number(OLDER, releases) == 1  # no snapshot at all: the first edition
    releases.mkdir()
    for version in (OLDER, NEWER):
        (releases / f"{version}.json").write_text("{}", encoding="utf-8")
    assert ed.edition_number(OLDER, releases) == 1
    assert ed.edition_number(NEWER, releases) == 2
    assert ed.edition_number("2026.09.1", releases) == 2  # between the two, not yet snapshotted
    assert ed.edition_number("2027.02.1", releases) == 3  # a new release before its snapshot


def test_release_date_reads_an_iso_date_and_rejects_other_text():
    assert ed.release_date({c.META_RELEASED: "2026-11-16"}) == "2026-11-16"
    # YAML reads an unquoted date as a date
    assert ed.release_date({c.META_RELEASED: datetime.date(2026, 11, 16)}) == "2026-11-16"
    assert ed.release_date({}) == ""
    with pytest.raises(ed.EditionError, match=r"metadata.yml: key released: '16/11/2026'"):
        ed.release_date({c.META_RELEASED: "16/11/2026"})


def test_shipped_book_edition_comes_from_metadata_config_snapshots_and_git(tmp_path):
    metadata = yaml.safe_load((ROOT / "data" / c.METADATA).read_text(encoding="utf-8"))
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    edition = ed.book_edition(ROOT, metadata, "ab" * 32)
    version = str(metadata[c.META_VERSION])
    older = [p.stem for p in (ROOT / "releases").glob("*.json") if p.stem != version]
    assert edition.version == version
    assert edition.released == str(metadata[c.META_RELEASED])
    assert edition.edition == 1 + sum(version_key(v) < version_key(version) for v in older)
    assert (edition.title, edition.authors) == (config["title"], config["author"])
    assert edition.pages[0] == "index" and "chapters/living" in edition.pages
    assert len(edition.commit) == 40 or edition.commit == ed.UNKNOWN_COMMIT
    (tmp_path / ed.EDITION_FILE).write_text(edition.to_json(), encoding="utf-8")
    assert ed.read_edition(tmp_path / ed.EDITION_FILE) == edition


def test_book_edition_refuses_a_version_unusable_as_a_folder():
    with pytest.raises(ed.EditionError, match=r"key version: '2026/11' is not letters"):
        ed.book_edition(ROOT, {c.META_VERSION: "2026/11"}, "sha")


def edition_of(version: str = NEWER, **changes) -> ed.Edition:
    facts = {
        "title": "Low-dose IL-2: 100% a living_book",
        "authors": "Smith & <Jones>",
        "edition": 2,
        "version": version,
        "released": "2026-11-16",
        "data_sha256": "f" * 64,
        "commit": "a" * 40,
        "simulated": True,
        "pages": ("index",),
    }
    return ed.Edition(**{**facts, **changes})


def test_bibtex_escapes_special_characters_and_carries_every_fact():
    entry = ed.bibtex(edition_of())
    assert entry.startswith("@misc{ldil2_edition_2_2026_11_1,\n")
    assert "author = {{Smith \\& <Jones>}}" in entry  # one corporate author, & escaped
    assert "title = {Low-dose IL-2: 100\\% a living\\_book}" in entry
    for field in ("edition = {2}", "version = {2026.11.1}", "year = {2026}", "month = {11}"):
        assert field in entry
    assert "f" * 64 in entry and "a" * 40 in entry and "simulated data" in entry
    assert entry.count("{") == entry.count("}")


def test_cite_block_names_every_fact_escaped():
    block = ed.cite_html(edition_of())
    assert "<summary>Cite this edition</summary>" in block
    assert "Smith &amp; &lt;Jones&gt;" in block and "<Jones>" not in block
    for fact in ("Edition", "2026.11.1", "16 November 2026", "f" * 64, "a" * 40, "@misc{"):
        assert fact in block
    assert 'data-label="edition 2 of 16 November 2026 (data release 2026.11.1)"' in block
    assert 'data-pdf="ldil2-edition-2-2026.11.1.pdf"' in block


def test_a_release_without_date_says_so_instead_of_using_the_clock():
    edition = edition_of(released="")
    assert edition.date_text == "date not stated in the release metadata"
    assert "year" not in ed.bibtex(edition)


# ---------------------------------------------------------------------------------------------
# publish: the archive
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def two_builds(tmp_path) -> tuple[Path, Path]:
    older = make_build(tmp_path, OLDER, "older", line="There is no earlier edition.")
    newer = make_build(tmp_path, NEWER, "newer", line="No declared conclusion changed.")
    return older, newer


def test_two_editions_published_into_an_empty_folder(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in two_builds:
        run_publish(build, site)
    for version in (OLDER, NEWER):
        folder = site / "editions" / version
        assert ed.read_edition(folder / ed.EDITION_FILE).version == version
        assert (folder / f"ldil2-edition-{NUMBERS[version]}-{version}.pdf").is_file()
        assert not (folder / ".site-key").exists()
    # the newest at the root, the older edition's pages gone from it
    assert "newer" in (site / "index.html").read_text(encoding="utf-8")
    assert ed.read_edition(site / ed.EDITION_FILE).version == NEWER
    assert not (site / f"ldil2-edition-1-{OLDER}.pdf").exists()
    assert (site / ".nojekyll").is_file()


def test_versions_json_is_the_pydata_switcher_format_newest_first(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in two_builds:
        run_publish(build, site)
    entries = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    assert [e["version"] for e in entries] == [NEWER, OLDER]
    assert [e.get("preferred", False) for e in entries] == [True, False]
    for entry in entries:
        assert set(entry) <= {"name", "version", "url", "preferred"}
        assert (site / entry["url"] / "index.html").is_file()
        assert entry["name"].startswith(f"edition {NUMBERS[entry['version']]} of ")
    run_publish(two_builds[1], tmp_path / "absolute", base_url="https://example.org/book/")
    absolute = json.loads((tmp_path / "absolute" / "versions.json").read_text(encoding="utf-8"))
    assert absolute[0]["url"] == f"https://example.org/book/editions/{NEWER}/"


def test_the_newest_release_stays_at_the_root_whatever_the_order(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in reversed(two_builds):
        run_publish(build, site)
    assert ed.read_edition(site / ed.EDITION_FILE).version == NEWER
    entries = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    assert entries[0] == {**entries[0], "version": NEWER, "preferred": True}


def test_republishing_the_same_build_changes_nothing(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in two_builds:
        run_publish(build, site)
    before = site_digest(site)
    pdf = site / "editions" / OLDER / f"ldil2-edition-1-{OLDER}.pdf"
    stamp = pdf.stat().st_mtime_ns
    run_publish(two_builds[0], site)
    assert site_digest(site) == before
    assert pdf.stat().st_mtime_ns == stamp  # not even reprinted


def test_a_published_edition_is_never_rewritten_without_replace(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in two_builds:
        run_publish(build, site)
    before = site_digest(site)
    other = make_build(tmp_path, OLDER, "corrected")
    with pytest.raises(
        pub.AlreadyPublished, match=r"already published with other pages.*--replace"
    ):
        run_publish(other, site)
    assert site_digest(site) == before
    run_publish(other, site, replace=True)
    assert "corrected" in (site / "editions" / OLDER / "index.html").read_text(encoding="utf-8")
    assert "newer" in (site / "index.html").read_text(encoding="utf-8")


def test_publish_refuses_a_release_without_date_and_a_failed_build(tmp_path):
    site = tmp_path / "site"
    undated = make_build(tmp_path, NEWER, released="")
    with pytest.raises(pub.PublishError, match=r"no date: add `released: YYYY-MM-DD`"):
        run_publish(undated, site)
    failed = make_build(tmp_path, OLDER)
    (failed / "report.json").write_text(json.dumps({"status": "failed"}), encoding="utf-8")
    with pytest.raises(pub.PublishError, match=r"not a built edition.*status 'failed'"):
        run_publish(failed, site)
    assert not (site / "editions").exists()


def test_links_of_an_archived_edition_stay_inside_it(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in two_builds:
        run_publish(build, site)
    for version in (OLDER, NEWER):
        folder = (site / "editions" / version).resolve()
        pages = html_pages(folder)
        assert pages
        for page in pages:
            for link in page_links(folder, page):
                if link.target is not None:
                    assert link.target.is_relative_to(folder), link


def test_cli_publish_fails_with_a_message_on_a_missing_build(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ldil2", "publish", "--site", str(tmp_path / "s")]
        + ["--build", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "publish failed" in result.stderr and "no build report" in result.stderr


# ---------------------------------------------------------------------------------------------
# the Atom feed
# ---------------------------------------------------------------------------------------------


def test_feed_has_one_entry_per_edition_dated_by_its_release(tmp_path, two_builds):
    site = tmp_path / "site"
    for build in two_builds:
        run_publish(build, site)
    feed = etree.parse(str(site / FEED_FILE)).getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}updated") == f"{DATES[NEWER]}T00:00:00+00:00"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [feed_id(NEWER), feed_id(OLDER)]
    summaries = [e.findtext(f"{ATOM}summary") for e in entries]
    assert summaries == ["No declared conclusion changed.", "There is no earlier edition."]
    for entry, version in zip(entries, (NEWER, OLDER), strict=True):
        assert entry.findtext(f"{ATOM}updated") == f"{DATES[version]}T00:00:00+00:00"
        assert entry.find(f"{ATOM}link").get("href") == f"editions/{version}/"
        assert entry.findtext(f"{ATOM}title").startswith(f"Edition {NUMBERS[version]} of ")
    again = tmp_path / "again"
    for build in two_builds:
        run_publish(build, again)
    assert (again / FEED_FILE).read_bytes() == (site / FEED_FILE).read_bytes()


def test_feed_summary_names_the_edition_when_the_landing_page_glues_no_conclusions():
    assert pub.summary_line({}, edition_of()) == (
        "Edition 2 of 16 November 2026 (data release 2026.11.1)."
    )
    line = "1 of 6 declared conclusions changed since edition 2026.08.1: ACR20."
    assert pub.summary_line({pub.CONCLUSIONS_GLUE: line}, edition_of()) == line


# ---------------------------------------------------------------------------------------------
# CITATION.cff
# ---------------------------------------------------------------------------------------------


def cff_errors(document: dict) -> list[str]:
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(document)]


def test_citation_cff_is_valid_cff_1_2_0_and_names_the_book():
    document = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff_errors(document) == []
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert document["title"] == config["title"]
    assert [a["name"] for a in document["authors"]] == [config["author"]]


def test_cff_schema_rejects_a_file_without_authors():
    document = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    del document["authors"]
    document["cff-version"] = "1.1.0"
    errors = cff_errors(document)
    assert any("'authors' is a required property" in e for e in errors)
    assert any("1.1.0" in e for e in errors)


def test_book_workflow_deploys_the_archive_it_publishes():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text("utf-8"))
    build = workflow["jobs"]["build"]
    assert build["permissions"]["contents"] == "write"  # the push to gh-pages
    steps = build["steps"]
    runs = [step.get("run", "") for step in steps]
    deploy = next(run for run in runs if "-m ldil2 deploy" in run)
    site = re.search(r"--site (\S+)", deploy).group(1)
    assert "--branch gh-pages" in deploy and "--remote origin" in deploy
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == site  # what is deployed is the archive's work tree
    order = [i for i, run in enumerate(runs) if "make book" in run or "-m ldil2 deploy" in run]
    assert order == sorted(order) and len(order) == 2  # build first, then deploy


@pytest.mark.build
def test_build_stops_before_any_chapter_on_a_release_date_that_is_not_a_date(tmp_path):
    root = write_earlier_book(tiny_book_root(tmp_path / "book", ["chapters/alpha"]))
    metadata_path = root / "data" / c.METADATA
    metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))
    metadata[c.META_RELEASED] = "16/11/2026"
    metadata_path.write_text(yaml.safe_dump(metadata), encoding="utf-8")
    result = run_build("--out", str(tmp_path / "out"), cwd=root)
    assert result.returncode == 1
    assert "metadata.yml: key released: '16/11/2026' is not an ISO date YYYY-MM-DD" in (
        result.stderr
    )
    assert "[start" not in result.stdout  # no kernel started
    assert not (tmp_path / "out" / "html").exists()
