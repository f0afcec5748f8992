"""The Atom feed of a published site (``DIR/feed.xml``): one entry per edition.

Made with feedgen. Each entry is dated by its release (metadata.yml ``released``), its summary is
the edition's conclusions line, its link the edition's folder in the archive; the feed is dated
by its newest edition. Nothing reads the clock, so publishing the same editions twice writes the
same bytes.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator

from ldil2.pipeline.common import replace_atomically

if TYPE_CHECKING:  # the archive's record type, for annotations only
    from ldil2.pipeline.publish import ArchivedEdition

FEED_FILE = "feed.xml"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://clinicaltrials.gov/study/NCT02467504")
"""Namespace of the entries' ids: ``urn:uuid`` of the edition's version, stable wherever the
site is served."""


def release_datetime(released: str) -> datetime.datetime:
    """The release date ``YYYY-MM-DD`` as midnight UTC (Atom dates are date-times)."""
    return datetime.datetime.combine(
        datetime.date.fromisoformat(released), datetime.time(), datetime.UTC
    )


def feed_id(version: str = "") -> str:
    """The ``urn:uuid`` of the feed (no version) or of one edition's entry."""
    return uuid.uuid5(_NAMESPACE, f"ldil2-edition:{version}").urn


def feed_bytes(editions: Sequence[ArchivedEdition], base_url: str = "") -> bytes:
    """The Atom document of ``editions`` (oldest first), newest entry first.

    Parameters
    ----------
    editions : the archive's editions (at least one), oldest first
    base_url : the site's URL ending in ``/``; empty: links relative to the feed (the site root)
    """
    newest = editions[-1].edition
    fg = FeedGenerator()
    fg.id(feed_id())
    fg.title(newest.title)
    fg.subtitle("Every edition of the living publication, newest first.")
    fg.author({"name": newest.authors})
    fg.link(href=base_url or "./", rel="alternate")
    fg.link(href=f"{base_url}{FEED_FILE}", rel="self")
    fg.language("en")
    fg.updated(release_datetime(newest.released))
    for archived in editions:  # feedgen writes the last added entry first
        edition = archived.edition
        entry = fg.add_entry()
        entry.id(feed_id(edition.version))
        entry.title(edition.label[0].upper() + edition.label[1:])
        entry.link(href=f"{base_url}{archived.folder}", rel="alternate")
        entry.published(release_datetime(edition.released))
        entry.updated(release_datetime(edition.released))
        entry.summary(archived.summary)
    return fg.atom_str(pretty=True)


def write_feed(path: Path, editions: Sequence[ArchivedEdition], base_url: str = "") -> None:
    """Write :func:`feed_bytes` to ``path`` (``DIR/feed.xml``)."""
    content = feed_bytes(editions, base_url)
    replace_atomically(path, lambda tmp: tmp.write_bytes(content))
