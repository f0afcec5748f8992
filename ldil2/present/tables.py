"""The book's HTML table: captioned, footnoted, every text escaped.

Every table states what it counts (style.md rule 9): the caption gives measure, time point and
population with n per arm; the footnote gives the model or test, the CI method, the missing-data
rule, "Simulated data" when the release is simulated and the release version. Every cell, the
caption and the footnote are escaped with :func:`html.escape`, so free text from data (adverse
event terms, withdrawal reasons) is shown as text, never interpreted as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

ROW_KINDS = ("", "section", "group", "indent")
"""Row styles: plain, a section heading spanning the table, a bold group row, an indented row."""


@dataclass(frozen=True)
class HtmlTable:
    """A captioned HTML table with a footnote; shows itself in notebooks and can be glued.

    Attributes
    ----------
    caption : the table title (measure, time point, population, n per arm)
    header : column headings
    rows : cell texts; a "section" row holds one text that spans every column
    footnote : paragraphs under the table (method, missing-data rule, data source)
    kinds : one of ROW_KINDS per row (default plain)
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footnote: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kinds = self.kinds or ("",) * len(self.rows)
        if len(kinds) != len(self.rows):
            raise ValueError(f"kinds: {len(kinds)} entries violates one per row ({len(self.rows)})")
        for number, (row, kind) in enumerate(zip(self.rows, kinds, strict=True), start=1):
            if kind not in ROW_KINDS:
                raise ValueError(f"kinds: row {number} {kind!r} violates one of {ROW_KINDS}")
            width = 1 if kind == "section" else len(self.header)
            if len(row) != width:
                raise ValueError(f"rows: row {number} has {len(row)} cells, violates {width}")
        object.__setattr__(self, "kinds", tuple(kinds))

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, caption: str, footnote: str | Sequence[str] = ()
    ) -> HtmlTable:
        """A table of a DataFrame's columns and rows (missing values shown as empty cells)."""
        cells = frame.astype(object).where(frame.notna(), "")
        rows = tuple(tuple(str(v) for v in row) for row in cells.itertuples(index=False))
        notes = (footnote,) if isinstance(footnote, str) else tuple(footnote)
        return cls(caption, tuple(str(col) for col in frame.columns), rows, notes)

    def to_html(self) -> str:
        """The table as an HTML fragment, every text escaped."""
        e = html.escape
        head = "".join(f'<th scope="col">{e(h)}</th>' for h in self.header)
        body = []
        for row, kind in zip(self.rows, self.kinds, strict=True):
            if kind == "section":
                cell = f'<th scope="rowgroup" colspan="{len(self.header)}">{e(row[0])}</th>'
                body.append(f'<tr class="ldil2-section">{cell}</tr>')
                continue
            indent = ' style="padding-left: 1.5em"' if kind == "indent" else ""
            first = f'<th scope="row"{indent}>{e(row[0])}</th>'
            rest = "".join(f"<td>{e(cell)}</td>" for cell in row[1:])
            css = f' class="ldil2-{kind}"' if kind else ""
            body.append(f"<tr{css}>{first}{rest}</tr>")
        notes = "".join(f"<p>{e(note)}</p>" for note in self.footnote)
        foot = f'<tfoot><tr><td colspan="{len(self.header)}">{notes}</td></tr></tfoot>'
        return (
            f'<table class="ldil2-table"><caption>{e(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"{foot if notes else ''}</table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_frame(self) -> pd.DataFrame:
        """The non-section rows as a DataFrame of strings (for tests and downloads)."""
        rows = [r for r, k in zip(self.rows, self.kinds, strict=True) if k != "section"]
        return pd.DataFrame(rows, columns=list(self.header))
