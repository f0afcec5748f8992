"""The TLF appendix page: every table, figure and listing of the book numbered in ICH E3 order
(:mod:`ldil2.book.outputs`), with a link to where it is shown, the RTF file of each table and
listing, and the zip of every RTF file of the edition."""

from __future__ import annotations

from typing import Any

from ldil2.book.common import Result
from ldil2.book.outputs import SECTIONS, numbered, rtf_path
from ldil2.present.tlf import DownloadLink, TlfEntry, TlfIndex
from ldil2.results.format import tlf_zip_path

CHAPTER = "tlf"
PAGE = "chapters/tlf"


def tlf_result(ch: Any) -> Result:
    """Tables ``tlf_<section>`` (one index per ICH E3 section, e.g. ``tlf_14_2``) and
    ``tlf_zip`` (the download link of the edition's zip of RTF files)."""
    entries: dict[str, list[TlfEntry]] = {section: [] for section in SECTIONS}
    for number, output in numbered():
        rtf = "" if output.kind == "Figure" else rtf_path(number)
        entries[output.section].append(
            TlfEntry(number, output.title, output.document, output.anchor, rtf)
        )
    tables: dict[str, Any] = {
        f"tlf_{section.replace('.', '_')}": TlfIndex(
            f"{section} {title}", PAGE, tuple(entries[section])
        )  # fmt: skip
        for section, title in SECTIONS.items()
    }
    tables["tlf_zip"] = DownloadLink(
        f"Every table and listing of edition {ch.release.version} as RTF, in one zip:",
        PAGE,
        tlf_zip_path(ch.release.version),
    )
    return Result(tables=tables)
