"""The book's HTML table: captioned, footnoted, numbered, every text escaped.

Every table states what it counts (style.md rule 9): the caption gives measure, time point and
population with n per arm; the footnote gives the model or test, the CI method and the
missing-data rule (the page says once that the data are simulated, not every table). Every cell,
the caption and the footnote are escaped with :func:`html.escape`, so free text from data (adverse
event terms, withdrawal reasons) is shown as text, never interpreted as HTML.

Layout (issue 12): the caption and the footnote sit outside the box that scrolls sideways on a
phone, so they stay in view while a wide table scrolls; a number and its interval never wrap
(:func:`nowrap_numbers`); the build numbers the tables across the book in toc order ("Table 3",
:mod:`ldil2.pipeline.numbering`, which finds :data:`TABLE_OPENING`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

TABLE_OPENING = '<figure class="ldil2-table-figure"><figcaption class="ldil2-caption">'
"""How every numbered table begins (the build inserts "Table N" after it)."""

UNNUMBERED_OPENING = (
    '<figure class="ldil2-table-figure ldil2-unnumbered"><figcaption class="ldil2-caption">'
)
"""How a table begins that carries a number of its own (e.g. an appendix's ICH E3 number)."""

_NUMBER = r"(?:(?:&lt;|&gt;|≤|≥) ?)?[-−+]?\d(?:[\d.,/]*\d)?%?"
_NUMERIC_RUN = re.compile(rf"(?:\bn = \d+)|(?:{_NUMBER}(?: \([^()]*\))?)|(?:\([^()]*\d[^()]*\))")
"""A number with its parenthesised interval or percentage ('-6.0 (-11.4 to -0.7)', '12/17
(70.6%)', '&lt; 0.001'), a parenthesised interval alone ('(95% CI 0.12 to 1.70)') or 'n = 12',
in escaped text."""


def nowrap_numbers(escaped: str) -> str:
    """Escaped cell text with every number-and-interval run that holds a space wrapped in
    ``<span class="ldil2-nowrap">`` (CSS white-space: nowrap), so an interval never breaks over
    two lines while words around it still wrap."""

    def keep(match: re.Match[str]) -> str:
        run = match.group(0)
        return f'<span class="ldil2-nowrap">{run}</span>' if " " in run else run

    return _NUMERIC_RUN.sub(keep, escaped)


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
    numbered : False for a table whose caption carries its own number (not numbered again)
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footnote: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    numbered: bool = True

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
        """The table as an HTML fragment, every text escaped: a figure with the caption, the
        scrolling box with the table, and the footnote."""
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
            rest = "".join(f"<td>{nowrap_numbers(e(cell))}</td>" for cell in row[1:])
            css = f' class="ldil2-{kind}"' if kind else ""
            body.append(f"<tr{css}>{first}{rest}</tr>")
        notes = "".join(f"<p>{e(note)}</p>" for note in self.footnote)
        opening = TABLE_OPENING if self.numbered else UNNUMBERED_OPENING
        foot = f'<div class="ldil2-footnote">{notes}</div>' if notes else ""
        return (
            f"{opening}{e(self.caption)}</figcaption>"
            '<div class="ldil2-scroll"><table class="ldil2-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            f"{foot}</figure>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_frame(self) -> pd.DataFrame:
        """The non-section rows as a DataFrame of strings (for tests and downloads)."""
        rows = [r for r, k in zip(self.rows, self.kinds, strict=True) if k != "section"]
        return pd.DataFrame(rows, columns=list(self.header))


@dataclass(frozen=True)
class TableSentence:
    """What a table collapses to when it would hold nothing but zeros: one sentence, shown in
    its place (glued like a table), e.g. "No adverse event was recorded ...".

    Attributes
    ----------
    text : the sentence (escaped when shown)
    """

    text: str

    def to_html(self) -> str:
        """The sentence as an HTML paragraph, escaped."""
        return f'<p class="ldil2-table-sentence">{html.escape(self.text)}</p>'

    def _repr_html_(self) -> str:
        return self.to_html()
