"""The index of the TLF appendix: every numbered table, figure and listing with a link to where
it is in the book and, for tables and listings, to its RTF file."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class TlfEntry:
    """One row of the index: number, title, the page (and figure anchor) it is on, the RTF file
    (site path; empty for a figure)."""

    number: str
    title: str
    document: str
    anchor: str
    rtf: str


def relative_url(page: str, target: str) -> str:
    """The URL of site path `target` from the page of document `page` (both relative to the
    site root): ``chapters/tlf`` and ``tlf/table-14.1.1.rtf`` give ``../tlf/table-14.1.1.rtf``."""
    return "../" * (len(PurePosixPath(page).parts) - 1) + target


@dataclass(frozen=True)
class TlfIndex:
    """An HTML table of the outputs of one section, every text escaped."""

    caption: str
    page: str
    entries: tuple[TlfEntry, ...]

    def to_html(self) -> str:
        e = html.escape
        rows = []
        for entry in self.entries:
            where = relative_url(self.page, f"{entry.document}.html")
            if entry.anchor:
                where += f"#{entry.anchor}"
            name = PurePosixPath(entry.document).name
            rtf = (f'<a href="{e(relative_url(self.page, entry.rtf))}" download>RTF</a>'
                   if entry.rtf else "")  # fmt: skip
            rows.append(
                f'<tr><th scope="row">{e(entry.number)}</th><td>{e(entry.title)}</td>'
                f'<td><a href="{e(where)}">{e(name)}</a></td><td>{rtf}</td></tr>'
            )
        head = "".join(f'<th scope="col">{h}</th>' for h in ("Number", "Title", "Page", "File"))
        return (
            f'<table class="ldil2-table ldil2-tlf"><caption>{e(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass(frozen=True)
class DownloadLink:
    """A paragraph with a download link to site path `path` from the page of `page`."""

    text: str
    page: str
    path: str

    def to_html(self) -> str:
        e = html.escape
        name = e(PurePosixPath(self.path).name)
        url = e(relative_url(self.page, self.path))
        return f'<p>{e(self.text)} <a href="{url}" download>{name}</a></p>'

    def _repr_html_(self) -> str:
        return self.to_html()
