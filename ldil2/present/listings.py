"""Listings of individual participants' data (ICH E3 section 16.2), as searchable, sortable
HTML tables.

A listing shows recorded data, one row per record, not statistics: the frames here select and
order the rows and write each value as text. :class:`Listing` renders like
:class:`ldil2.present.tables.HtmlTable` (every text escaped) with the class ``ldil2-listing``,
which ``_static/listings.js`` turns into a table with a search box and sortable columns (no
script: a plain table).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.analysis import ACR_COLUMNS, CDAI, DAS28_ESR, EULAR, SDAI
from ldil2.derive.populations import select_population

LISTING_CLASS = "ldil2-listing"
YES, NO = "Yes", "No"


@dataclass(frozen=True)
class Listing:
    """A captioned listing: a header, one row of texts per record and a footnote.

    Attributes
    ----------
    caption : what is listed, for whom (population and n per arm)
    header : column headings
    rows : cell texts, one tuple per record
    footnote : paragraphs under the table (source, conventions)
    numeric : per column, whether it sorts as numbers
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footnote: tuple[str, ...] = ()
    numeric: tuple[bool, ...] = ()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, caption: str, footnote: tuple[str, ...]) -> Listing:
        """A listing of a frame of texts (missing values as empty cells); a column sorts as
        numbers when every non-empty cell parses as a number."""
        cells = frame.astype(object).where(frame.notna(), "").astype(str)
        rows = tuple(tuple(row) for row in cells.itertuples(index=False))
        numeric = tuple(bool(_is_number_column(cells[col])) for col in cells.columns)
        return cls(caption, tuple(str(col) for col in frame.columns), rows, footnote, numeric)

    def to_html(self) -> str:
        """The listing as an HTML table of class ``ldil2-listing``, every text escaped."""
        e = html.escape
        numeric = self.numeric or (False,) * len(self.header)
        head = "".join(
            f'<th scope="col" data-type="{"number" if n else "text"}">{e(h)}</th>'
            for h, n in zip(self.header, numeric, strict=True)
        )
        body = "".join(
            "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in self.rows
        )
        notes = "".join(f"<p>{e(note)}</p>" for note in self.footnote)
        foot = f'<tfoot><tr><td colspan="{len(self.header)}">{notes}</td></tr></tfoot>'
        return (
            f'<table class="ldil2-table {LISTING_CLASS}"><caption>{e(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot if notes else ''}</table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def _is_number_column(cells: pd.Series) -> bool:
    filled = cells[cells != ""]
    return bool(len(filled)) and bool(pd.to_numeric(filled, errors="coerce").notna().all())


def yes_no(flags: pd.Series) -> pd.Series:
    """'Yes' / 'No' of a boolean column; empty where missing."""
    values = flags.astype("boolean")
    return values.map({True: YES, False: NO}).astype(object).where(values.notna(), "")


def _arm_label(arms: pd.Series) -> pd.Series:
    return arms.map(c.ARM_LABELS)


def discontinued_frame(subjects: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Participants who did not complete week 24 (randomized set): participant, arm, week of
    withdrawal, recorded reason, last visit attended; sorted by arm and participant."""
    gone = select_population(subjects, c.ITT)
    gone = gone[~gone[c.COMPLETED].astype("boolean").fillna(False).astype(bool)]
    last = assessments.groupby(c.SUBJECT_ID)[c.WEEK].max()
    frame = pd.DataFrame(
        {
            "Participant": gone[c.SUBJECT_ID],
            "Arm": _arm_label(gone[c.ARM]),
            "Withdrawal week": gone[c.WITHDRAWAL_WEEK].astype("Int64").astype(str),
            "Reason": gone[c.WITHDRAWAL_REASON],
            "Last visit attended (week)": gone[c.SUBJECT_ID].map(last).astype("Int64").astype(str),
        }
    )
    order = gone[c.ARM].map({arm: i for i, arm in enumerate(c.ARMS)})
    return frame.assign(_o=order.to_numpy()).sort_values(["_o", "Participant"]).drop(columns="_o")


def adverse_event_frame(subjects: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Every adverse event of the safety population: participant, arm, event id, preferred
    term, system organ class, onset and end study day (empty end: ongoing or not recorded),
    CTCAE grade, serious, related (investigator), led to withdrawal; sorted by arm,
    participant, onset day and event id."""
    safety = select_population(subjects, c.SAFETY)[[c.SUBJECT_ID, c.ARM]]
    data = events.merge(safety, on=c.SUBJECT_ID, how="inner")
    order = data[c.ARM].map({arm: i for i, arm in enumerate(c.ARMS)})
    data = data.assign(_o=order.to_numpy()).sort_values(
        ["_o", c.SUBJECT_ID, c.AE_ONSET_DAY, c.AE_ID]
    )
    return pd.DataFrame(
        {
            "Participant": data[c.SUBJECT_ID],
            "Arm": _arm_label(data[c.ARM]),
            "Event": data[c.AE_ID],
            "Preferred term": data[c.AE_TERM],
            "System organ class": data[c.AE_SOC],
            "Onset day": data[c.AE_ONSET_DAY].astype("Int64").astype(str),
            "End day": data[c.AE_END_DAY].astype("Int64").astype(str).replace("<NA>", ""),
            "Grade": data[c.AE_GRADE].astype("Int64").astype(str),
            "Serious": yes_no(data[c.AE_SERIOUS]),
            "Related": yes_no(data[c.AE_RELATED]),
            "Led to withdrawal": yes_no(data[c.AE_LED_TO_WITHDRAWAL]),
        }
    ).reset_index(drop=True)


EFFICACY_COLUMNS: dict[str, tuple[str, int | None]] = {
    DAS28_ESR: ("DAS28-ESR", 2),
    CDAI: ("CDAI", 1),
    SDAI: ("SDAI", 1),
    **{col: (col.upper(), None) for col in ACR_COLUMNS},
    EULAR: ("EULAR response", None),
}
"""Analysis-table column -> (heading, decimals; None for a response shown as text)."""


def efficacy_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Individual efficacy responses by visit: participant, arm, week, DAS28-ESR, CDAI, SDAI
    (rounded for display), ACR20/50/70 (Yes/No; empty at baseline or where not evaluable) and
    the EULAR response; sorted by arm, participant and week.

    Parameters
    ----------
    table : analysis rows of one population
    """
    order = table[c.ARM].map({arm: i for i, arm in enumerate(c.ARMS)})
    data = table.assign(_o=order.to_numpy()).sort_values(["_o", c.SUBJECT_ID, c.WEEK])
    out = {"Participant": data[c.SUBJECT_ID], "Arm": _arm_label(data[c.ARM]),
           "Week": data[c.WEEK].astype(int).astype(str)}  # fmt: skip
    for column, (heading, digits) in EFFICACY_COLUMNS.items():
        values = data[column]
        if digits is not None:
            out[heading] = values.astype("float64").map(
                lambda v, d=digits: "" if pd.isna(v) else f"{v:.{d}f}"
            )
        elif column == EULAR:
            out[heading] = values.astype(object).where(values.notna(), "")
        else:
            out[heading] = yes_no(values)
    return pd.DataFrame(out).reset_index(drop=True)
