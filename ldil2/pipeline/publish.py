"""``python -m ldil2 publish --site DIR``: add a built edition to the site's immutable archive.

A published site holds every edition ever published::

    DIR/index.html ...              the newest edition (highest release version), a copy
    DIR/editions/<version>/         every edition, never rewritten once published
    DIR/editions/<version>/<pdf>    the edition printed as one PDF (ldil2.pipeline.pdf)
    DIR/versions.json               the editions, pydata-sphinx-theme version-switcher format
    DIR/feed.xml                    Atom feed, one entry per edition (ldil2.pipeline.feed)
    DIR/.nojekyll                   GitHub Pages serves _static/ and _images/ as they are

Publishing a version already in the archive with the same pages does nothing; with other
pages it fails unless ``replace`` is given. Every check runs before anything is written, and the
new edition is assembled beside the archive and renamed into it, so a failed publish leaves the
last good site as it was. Dates are the releases' own (metadata.yml ``released``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ldil2.pipeline.common import replace_atomically
from ldil2.pipeline.edition import (
    EDITION_FILE,
    VERSIONS_FILE,
    Edition,
    EditionError,
    read_edition,
)
from ldil2.pipeline.feed import FEED_FILE, write_feed
from ldil2.pipeline.pdf import print_edition
from ldil2.pipeline.snapshots import built_edition, version_key
from ldil2.pipeline.stage import SITE_KEY_FILE

ARCHIVE_DIR = "editions"
SUMMARY_FILE = "conclusions.txt"
"""The edition's conclusions line (the feed entry's summary), written when it is archived."""
NO_JEKYLL = ".nojekyll"
CONCLUSIONS_GLUE = "index:conclusions_line"
"""The landing page's glued sentence on whether a declared conclusion changed (helper 11)."""

ROOT_KEEP = frozenset({ARCHIVE_DIR, VERSIONS_FILE, FEED_FILE, NO_JEKYLL, ".git"})
"""Entries of the site root that are the archive's own, not the newest edition's pages."""


class PublishError(RuntimeError):
    """The edition cannot be published; the message says why and what to do."""


class AlreadyPublished(PublishError):
    """An edition of this release version is archived with other pages (never rewritten)."""


@dataclass(frozen=True)
class ArchivedEdition:
    """One edition of the archive: its facts and its conclusions line."""

    edition: Edition
    summary: str

    @property
    def folder(self) -> str:
        """Its folder relative to the site root, e.g. ``editions/2026.11.1/``."""
        return f"{ARCHIVE_DIR}/{self.edition.version}/"


def tree_digest(folder: Path, skip: frozenset[str] = frozenset()) -> str:
    """sha256 of every file's relative path and bytes under ``folder``; names in ``skip`` at
    the top level are left out (the build's site key, the files publishing adds)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative in skip:
            continue
        digest.update(f"\0{relative}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def summary_line(values: dict, edition: Edition) -> str:
    """The feed summary of an edition: the landing page's conclusions line, or, for a build
    whose landing page glues none, a sentence naming the edition."""
    line = values.get(CONCLUSIONS_GLUE)
    if isinstance(line, str) and line.strip():
        return line.strip()
    return f"{edition.label[0].upper()}{edition.label[1:]}."


def built_site(build: Path) -> tuple[Path, Edition, str]:
    """The site, facts and conclusions line of a successful build in ``build``.

    Raises
    ------
    PublishError : no successful build, no edition file, or a release without its date
    """
    try:
        version, _, values, _ = built_edition(build)
        html = build / "html"
        edition = read_edition(html / EDITION_FILE)
    except (ValueError, EditionError) as error:
        raise PublishError(f"{build}: not a built edition: {error}") from None
    if edition.version != version:
        raise PublishError(f"{build}: site of release {edition.version}, report of {version}")
    if not edition.released:
        raise PublishError(
            f"{build}: data release {version} has no date: add `released: YYYY-MM-DD` to its "
            "metadata.yml (an edition carries its release's date, never the build's)"
        )
    return html, edition, summary_line(values, edition)


def archived_editions(site: Path) -> list[ArchivedEdition]:
    """The editions of the archive at ``site``, oldest first (release version order)."""
    found = []
    for path in sorted((site / ARCHIVE_DIR).glob(f"*/{EDITION_FILE}")):
        summary = path.with_name(SUMMARY_FILE)
        text = summary.read_text(encoding="utf-8").strip() if summary.is_file() else ""
        found.append(ArchivedEdition(read_edition(path), text))
    return sorted(found, key=lambda a: version_key(a.edition.version))


def versions_document(editions: list[ArchivedEdition], base_url: str = "") -> list[dict]:
    """``versions.json`` (pydata-sphinx-theme version-switcher format): newest first, each
    ``{"name", "version", "url"}``, the newest ``"preferred": true``. URLs are relative to the
    site root unless ``base_url`` (ending in ``/``) is given."""
    entries = []
    for i, archived in enumerate(reversed(editions)):
        entry = {
            "name": archived.edition.label,
            "version": archived.edition.version,
            "url": base_url + archived.folder,
        }
        if i == 0:
            entry["preferred"] = True
        entries.append(entry)
    return entries


def _copy_root(site: Path, newest: Path) -> None:
    """Make the site root the newest edition: remove the pages of the previous one (every
    entry but :data:`ROOT_KEEP`) and copy the newest edition's files."""
    for entry in site.iterdir():
        if entry.name in ROOT_KEEP:
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(newest, site, dirs_exist_ok=True)


Printer = Callable[[Path, Edition], None]


def _archive(html: Path, target: Path, edition: Edition, summary: str, printer: Printer) -> None:
    """Assemble the edition beside the archive (its pages, its conclusions line, its PDF) and
    rename it into ``target`` (an edition there is replaced by two renames)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=".tmp-edition-", dir=target.parent))
    try:
        shutil.copytree(html, new, dirs_exist_ok=True, ignore=shutil.ignore_patterns(SITE_KEY_FILE))
        (new / SUMMARY_FILE).write_text(summary + "\n", encoding="utf-8")
        printer(new, edition)
        if target.is_dir():
            old = target.with_name(f".tmp-old-{edition.version}")
            os.rename(target, old)
            os.rename(new, target)
            shutil.rmtree(old)
        else:
            os.rename(new, target)
    finally:
        shutil.rmtree(new, ignore_errors=True)


def publish(
    build: Path,
    site: Path,
    replace: bool = False,
    base_url: str = "",
    printer: Printer = print_edition,
    log: Callable[[str], None] = print,
) -> ArchivedEdition:
    """Add the edition built in ``build`` to the archive at ``site`` (see the module docstring).

    Parameters
    ----------
    build : the ``--out`` folder of a successful ``python -m ldil2 build``
    site : the published site (created if absent)
    replace : overwrite an archived edition of the same version that has other pages
    base_url : the site's public URL ending in ``/`` (absolute URLs in versions.json and the
        feed); empty: URLs relative to the site root
    printer : writes the edition's PDF into its folder (:func:`ldil2.pipeline.pdf.print_edition`)

    Raises
    ------
    PublishError : not a built edition; AlreadyPublished: a version already archived with
        other pages (and no ``replace``)
    """
    html, edition, summary = built_site(build)
    site.mkdir(parents=True, exist_ok=True)
    target = site / ARCHIVE_DIR / edition.version
    extras = frozenset({SITE_KEY_FILE, edition.pdf_name, SUMMARY_FILE})
    if target.is_dir() and tree_digest(target, extras) == tree_digest(html, extras):
        log(f"edition {edition.version} is already published with these pages: unchanged")
    else:
        if target.is_dir() and not replace:
            raise AlreadyPublished(
                f"{target}: edition {edition.version} is already published with other pages; "
                "a published edition is never rewritten (give --replace to overwrite it)"
            )
        _archive(html, target, edition, summary, printer)
        log(f"published {edition.label} into {target}")
    editions = archived_editions(site)
    newest = editions[-1]
    _copy_root(site, site / newest.folder)
    document = versions_document(editions, base_url)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    replace_atomically(site / VERSIONS_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_feed(site / FEED_FILE, editions, base_url)
    (site / NO_JEKYLL).touch()
    log(f"{site}: {len(editions)} edition(s), the newest {newest.edition.version} at the root")
    return ArchivedEdition(edition, summary)


def publish_command(build: Path, site: Path, replace: bool, base_url: str) -> int:
    """``python -m ldil2 publish``: 0 on success, else print why and return 1."""
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    try:
        publish(build.resolve(), site.resolve(), replace, base_url)
    except (PublishError, EditionError) as error:
        print(f"publish failed: {error}", file=sys.stderr)
        return 1
    return 0
