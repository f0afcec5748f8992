"""The facts of an edition and what every page shows of them: "Cite this edition" and the hooks
of the version switcher and the older-edition banner.

An edition is one data release of the book, built and published. Its facts come from the
release metadata, the committed release snapshots, the book's ``_config.yml`` and git, never
from the wall clock, so that two builds of one release are byte-identical:

- ``edition``: its number, 1 for the oldest release; the rank of the release version among the
  versions snapshotted in ``releases/`` together with this one (:func:`edition_number`);
- ``released``: the date of the release, metadata.yml ``released`` (ISO ``YYYY-MM-DD``);
- ``data_sha256``: the sha256 of the data-release zip the landing page offers;
- ``commit``: the git commit of the code that built it (:func:`code_commit`).

The build writes the facts to ``edition.json`` at the site root (:data:`EDITION_FILE`), which
``python -m ldil2 publish`` reads, and an empty ``versions.json`` (:data:`VERSIONS_FILE`), and
puts a "Cite this edition" block with BibTeX in the
footer of every page (:func:`cite_html`). ``_static/editions.js`` reads the block's data
attributes and the published site's ``versions.json`` at view time to draw the switcher and
the banner, so an archived edition never needs rewriting when a newer one appears.
"""

from __future__ import annotations

import datetime
import html
import json
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from ldil2 import contract as c
from ldil2.pipeline.common import BuildError
from ldil2.pipeline.config import CONFIG_FILE
from ldil2.pipeline.snapshots import RELEASES_DIR, snapshot_versions, version_key
from ldil2.pipeline.toc import toc_documents

EDITION_FILE = "edition.json"
"""The edition's facts at the root of its site (written by the build, read by publish)."""
VERSIONS_FILE = "versions.json"
"""The published editions at the root of a site (pydata-sphinx-theme version-switcher format).
A build writes an empty list (:data:`UNPUBLISHED_VERSIONS`), so that its pages find the file
and show no switcher; ``publish`` writes the site's list at the site root."""
UNPUBLISHED_VERSIONS = "[]\n"

UNKNOWN_COMMIT = "unknown (not built from a git repository)"
VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
"""A release version usable as a folder name of the archive (``editions/<version>/``)."""


class EditionError(BuildError):
    """An edition fact is missing or invalid (names the file, the key, the value and the rule)."""


@dataclass(frozen=True)
class Edition:
    """What identifies and cites one edition.

    Attributes
    ----------
    title, authors : the book's ``_config.yml`` ``title`` and ``author``
    edition : edition number (1 = the first release)
    version : data release version (metadata.yml ``version``)
    released : date of the release, ISO ``YYYY-MM-DD`` (metadata.yml ``released``); empty when
        the metadata does not state it (such a build cannot be published)
    data_sha256 : sha256 of the data-release zip
    commit : git commit of the code
    simulated : whether the release's provenance is ``simulated``
    pages : the toc documents in reading order (``index``, ``chapters/methods``, ...)
    """

    title: str
    authors: str
    edition: int
    version: str
    released: str
    data_sha256: str
    commit: str
    simulated: bool
    pages: tuple[str, ...]

    @property
    def pdf_name(self) -> str:
        """File name of the edition's PDF, at the root of its site."""
        return f"ldil2-edition-{self.edition}-{self.version}.pdf"

    @property
    def date_text(self) -> str:
        """The release date as readers read it, e.g. ``16 November 2026`` (or a note)."""
        if not self.released:
            return "date not stated in the release metadata"
        day = datetime.date.fromisoformat(self.released)
        return f"{day.day} {day:%B %Y}"

    @property
    def label(self) -> str:
        """``edition 2 of 16 November 2026 (data release 2026.11.1)``: the name of the edition
        in the switcher, the banner, the feed and ``versions.json``."""
        return f"edition {self.edition} of {self.date_text} (data release {self.version})"

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys), as written to :data:`EDITION_FILE`."""
        return json.dumps(asdict(self), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def read_edition(path: Path) -> Edition:
    """The edition written to ``path`` by :meth:`Edition.to_json`.

    Raises
    ------
    EditionError : not such a file (names it)
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        document["pages"] = tuple(document["pages"])
        return Edition(**document)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EditionError(f"{path}: not an edition file ({error})") from None


def edition_number(version: str, releases_dir: Path) -> int:
    """Number of the edition of release ``version``: 1 + the number of snapshotted release
    versions older than it (:func:`ldil2.pipeline.snapshots.version_key` order).

    A release that has no snapshot yet counts as the newest of its rank, so a new release is
    numbered before its snapshot is taken and keeps its number after.
    """
    versions = set(snapshot_versions(releases_dir)) | {version}
    return sorted(versions, key=version_key).index(version) + 1


def release_date(metadata: dict[str, Any]) -> str:
    """metadata.yml ``released`` as ``YYYY-MM-DD``; ``""`` when the key is absent.

    Raises
    ------
    EditionError : a value that is not an ISO date (names file, key, value and rule)
    """
    value = metadata.get(c.META_RELEASED)
    if value is None:
        return ""
    text = str(value)
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        rule = "an ISO date YYYY-MM-DD"
        raise EditionError(f"{c.METADATA}: key {c.META_RELEASED}: {text!r} is not {rule}") from None


def code_commit(root: Path) -> str:
    """The git commit (``HEAD``) of the repository holding ``root``, or :data:`UNKNOWN_COMMIT`."""
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else UNKNOWN_COMMIT


def book_edition(root: Path, metadata: dict[str, Any], data_sha256: str) -> Edition:
    """The :class:`Edition` of the book at ``root`` (title and authors from its
    ``_config.yml``) built from a release with ``metadata`` and data zip checksum ``data_sha256``.

    Raises
    ------
    EditionError : a release version unusable as a folder name, or an invalid ``released``
    """
    version = str(metadata[c.META_VERSION])
    if not VERSION_PATTERN.fullmatch(version):
        rule = "letters, digits, '.', '_' or '-', starting with a letter or digit"
        raise EditionError(f"{c.METADATA}: key {c.META_VERSION}: {version!r} is not {rule}")
    config = yaml.safe_load((root / CONFIG_FILE).read_text(encoding="utf-8"))
    return Edition(
        title=str(config.get("title", "")),
        authors=str(config.get("author", "")),
        edition=edition_number(version, root / RELEASES_DIR),
        version=version,
        released=release_date(metadata),
        data_sha256=data_sha256,
        commit=code_commit(root),
        simulated=metadata.get(c.META_PROVENANCE) == c.SIMULATED,
        pages=tuple(toc_documents(root)),
    )


_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")


def _bibtex_text(text: str) -> str:
    """``text`` with BibTeX's special characters escaped (``&`` -> ``\\&``)."""
    return _BIBTEX_SPECIAL.sub(r"\\\1", text)


def bibtex(edition: Edition) -> str:
    """The BibTeX entry of an edition (``@misc``; the authors as one corporate name)."""
    fields = {
        "author": "{" + _bibtex_text(edition.authors) + "}",
        "title": _bibtex_text(edition.title),
        "edition": str(edition.edition),
        "version": _bibtex_text(edition.version),
        "note": _bibtex_text(
            f"Edition {edition.edition}, data release {edition.version}"
            + (" (simulated data)" if edition.simulated else "")
            + f"; data sha256 {edition.data_sha256}; code commit {edition.commit}"
        ),
    }
    if edition.released:
        day = datetime.date.fromisoformat(edition.released)
        fields.update(year=str(day.year), month=str(day.month), date=edition.released)
    key = f"ldil2_edition_{edition.edition}_{re.sub(r'[^0-9A-Za-z]', '_', edition.version)}"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    return f"@misc{{{key},\n{body}\n}}\n"


def cite_html(edition: Edition) -> str:
    """The "Cite this edition" block of every page's footer (raw HTML, every value escaped).

    Its data attributes (version, edition, label, PDF name) are what ``_static/editions.js``
    reads to draw the version switcher, the older-edition banner and the PDF link.
    """
    e = html.escape
    facts = [
        ("Authors", edition.authors),
        ("Title", edition.title),
        ("Edition", str(edition.edition)),
        ("Data release", edition.version),
        ("Date of the release", edition.date_text),
        ("Data sha256", edition.data_sha256),
        ("Code commit", edition.commit),
    ]
    rows = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in facts)
    return (
        f'<div id="ldil2-edition" class="ldil2-cite" data-version="{e(edition.version)}" '
        f'data-edition="{edition.edition}" data-label="{e(edition.label)}" '
        f'data-pdf="{e(edition.pdf_name)}">'
        "<details><summary>Cite this edition</summary>"
        f"<p>{e(edition.authors)}. <em>{e(edition.title)}</em>. Edition {edition.edition}, "
        f"data release {e(edition.version)}, {e(edition.date_text)}.</p>"
        f'<dl class="ldil2-cite-facts">{rows}</dl>'
        f'<p>BibTeX:</p><pre class="ldil2-bibtex">{e(bibtex(edition))}</pre>'
        "</details></div>"
    )


def living_config(config: dict[str, Any], edition: Edition) -> dict[str, Any]:
    """The staged ``_config.yml`` (a dict, changed in place and returned) with the edition's
    "Cite this edition" footer on every page and the MyST substitutions ``edition_number``,
    ``edition_date`` and ``edition_label`` for the pages that name the edition."""
    config.setdefault("html", {})["extra_footer"] = cite_html(edition)
    parse = config.setdefault("parse", {})
    parse["myst_substitutions"] = {
        **parse.get("myst_substitutions", {}),
        "edition_number": str(edition.edition),
        "edition_date": html.escape(edition.date_text),
        "edition_label": html.escape(edition.label),
    }
    return config
