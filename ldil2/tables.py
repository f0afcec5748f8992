"""HTML tables of the book: a small escaped renderer and the standard trial tables.

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
from typing import Any

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.derive import INDICES, make_analysis_table
from ldil2.stats import BinaryComparison, LongitudinalResult, interval_text, newcombe_difference

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


def source_note(release: Any) -> str:
    """'Simulated data. Release 2026.11.1.' or 'Trial data. Release ...' (no date)."""
    if release is None:
        return ""
    kind = "Simulated data" if release.is_simulated else "Trial data"
    return f"{kind}. Release {release.version}."


def arms_text(counts: dict[str, int]) -> str:
    """'Ld-IL2 + MTX n = 17; Placebo + MTX n = 23'."""
    return "; ".join(f"{c.ARM_LABELS[arm]} n = {counts[arm]}" for arm in c.ARMS)


def population_caption(title: str, population: str, counts: dict[str, int]) -> str:
    """'<title>, per-protocol population (Ld-IL2 + MTX n = 17; Placebo + MTX n = 23)'."""
    return f"{title}, {c.POPULATION_LABELS[population]} ({arms_text(counts)})"


# ---------------------------------------------------------------------------------------------
# Baseline table
# ---------------------------------------------------------------------------------------------

MEAN_SD, MEDIAN_IQR, N_PCT = "mean", "median", "n_pct"
DEMOGRAPHICS: tuple[tuple[str, str, str], ...] = (
    (c.AGE, "Age, years", MEAN_SD),
    (c.SEX, "Female", N_PCT),
    (c.DISEASE_DURATION, "Disease duration, years", MEDIAN_IQR),
    (c.RF_POSITIVE, "Rheumatoid factor positive", N_PCT),
    (c.ACPA_POSITIVE, "ACPA positive", N_PCT),
    (c.MTX_DOSE, "Methotrexate dose, mg/week", MEAN_SD),
)
DISEASE_ACTIVITY: tuple[tuple[str, str, str], ...] = (
    (c.TJC28, "Tender joints, 28-joint count", MEAN_SD),
    (c.SJC28, "Swollen joints, 28-joint count", MEAN_SD),
    (c.TJC68, "Tender joints, 68-joint count", MEAN_SD),
    (c.SJC66, "Swollen joints, 66-joint count", MEAN_SD),
    (c.PTGA, "Patient global assessment, VAS mm (0-100)", MEAN_SD),
    (c.PHGA, "Physician global assessment, VAS mm (0-100)", MEAN_SD),
    (c.PAIN, "Patient pain, VAS mm (0-100)", MEAN_SD),
    (c.HAQ, "HAQ-DI (0-3)", MEAN_SD),
    (c.ESR, "ESR, mm/h", MEDIAN_IQR),
    (c.CRP, "CRP, mg/L", MEDIAN_IQR),
    ("das28_esr", "DAS28-ESR", MEAN_SD),
    ("das28_crp", "DAS28-CRP", MEAN_SD),
    ("cdai", "CDAI (0-76)", MEAN_SD),
    ("sdai", "SDAI", MEAN_SD),
)
BIOMARKERS: tuple[tuple[str, str, str], ...] = (
    ("cd4_per_ul", "CD4+ T cells, per µL", MEDIAN_IQR),
    ("treg_pct_cd4", "Treg, % of CD4+", MEDIAN_IQR),
    ("treg_per_ul", "Treg, per µL", MEDIAN_IQR),
    ("th17_pct_cd4", "Th17, % of CD4+", MEDIAN_IQR),
    ("il21_pg_ml", "IL-21, pg/mL", MEDIAN_IQR),
    ("il6_pg_ml", "IL-6, pg/mL", MEDIAN_IQR),
    ("il17a_pg_ml", "IL-17A, pg/mL", MEDIAN_IQR),
)
_DIGITS = {c.HAQ: 2, "das28_esr": 2, "das28_crp": 2}
_LEVEL = {c.SEX: "F"}


def baseline_frame(table_or_release: Any, population: str) -> pd.DataFrame:
    """One row per participant of `population`: subject columns (from a Release), week-0
    components and indices, and week-0 biomarkers (when the release has immunology data)."""
    if not hasattr(table_or_release, "subjects"):
        table = table_or_release
        frame = table[table[c.WEEK] == c.BASELINE_WEEK]
    else:
        release = table_or_release
        frame = release.subjects
        if len(release.assessments):
            table = make_analysis_table(release)
            measures = [*c.ASSESSMENT_MEASURES, *INDICES]
            week0 = table.loc[table[c.WEEK] == c.BASELINE_WEEK, [c.SUBJECT_ID, *measures]]
            frame = frame.merge(week0, on=c.SUBJECT_ID, how="left", validate="1:1")
        if len(release.immunology):
            immune = release.immunology
            immune = immune.loc[immune[c.WEEK] == c.BASELINE_WEEK]
            immune = immune[[c.SUBJECT_ID, *c.IMMUNOLOGY_MEASURES]]
            frame = frame.merge(immune, on=c.SUBJECT_ID, how="left", validate="1:1")
    if population not in c.POPULATIONS:
        raise ValueError(f"population: {population!r} violates one of {c.POPULATIONS}")
    return frame[frame[population].fillna(False).astype(bool)].reset_index(drop=True)


def summarize(values: pd.Series, kind: str, digits: int = 1, level: Any = True) -> str:
    """One baseline cell: 'mean (SD)', 'median [Q1, Q3]' or 'n (%)' (of non-missing values,
    for `level`); ', k missing' is appended when values are missing; '-' if none observed."""
    known = values.dropna()
    missing = len(values) - len(known)
    if known.empty:
        return "-"
    if kind == N_PCT:
        hits = int((known == level).sum())
        text = f"{hits} ({100 * hits / len(known):.1f}%)"
    else:
        x = known.astype(float)
        if kind == MEAN_SD:
            sd = f"{x.std():.{digits}f}" if len(x) > 1 else "-"
            text = f"{x.mean():.{digits}f} ({sd})"
        else:
            q1, q2, q3 = np.percentile(x, [25, 50, 75])
            text = f"{q2:.{digits}f} [{q1:.{digits}f}, {q3:.{digits}f}]"
    return text + (f", {missing} missing" if missing else "")


def make_baseline_table(
    table_or_release: Any, population: str = "per_protocol", release: Any = None
) -> HtmlTable:
    """Baseline characteristics by arm: demographics, disease history, every disease-activity
    component and index, and biomarkers; n (%), mean (SD) or median [IQR]; no p-values.

    Parameters
    ----------
    table_or_release : a Release (preferred: gives subject characteristics and biomarkers) or
        the analysis table (then only the week-0 measures are shown)
    population : one of contract.POPULATIONS
    release : the Release, for the footnote's data source when a table is passed
    """
    release = table_or_release if hasattr(table_or_release, "subjects") else release
    frame = baseline_frame(table_or_release, population)
    by_arm = {arm: frame[frame[c.ARM] == arm] for arm in c.ARMS}
    counts = {arm: len(part) for arm, part in by_arm.items()}
    header = ("Characteristic", *(f"{c.ARM_LABELS[a]} (n = {counts[a]})" for a in c.ARMS))
    rows: list[tuple[str, ...]] = []
    kinds: list[str] = []
    sections = (
        ("Demographics and disease history", DEMOGRAPHICS),
        ("Disease activity at week 0", DISEASE_ACTIVITY),
        ("Biomarkers at week 0", BIOMARKERS),
    )
    for title, variables in sections:
        present = [v for v in variables if v[0] in frame.columns and frame[v[0]].notna().any()]
        if not present:
            continue
        rows.append((title,))
        kinds.append("section")
        for column, label, kind in present:
            suffix = ", n (%)" if kind == N_PCT else ""
            cells = (
                summarize(
                    by_arm[arm][column], kind, _DIGITS.get(column, 1), _LEVEL.get(column, True)
                )
                for arm in c.ARMS
            )
            rows.append((label + suffix, *cells))
            kinds.append("")
    footnote = (
        "Mean (SD), median [first quartile, third quartile] or n (%) of participants with a "
        "known value; the number missing is shown where values are missing.",
        "No p-values: differences at baseline between randomized arms arise by chance "
        "(CONSORT 2010, item 15).",
        source_note(release),
    )
    caption = population_caption("Baseline characteristics", population, counts)
    return HtmlTable(caption, header, tuple(rows), tuple(f for f in footnote if f), tuple(kinds))


# ---------------------------------------------------------------------------------------------
# Endpoint table
# ---------------------------------------------------------------------------------------------


def make_endpoint_table(
    comparisons: Sequence[BinaryComparison],
    release: Any = None,
    measure: str | None = None,
    labels: dict[str, str] | None = None,
    across: LongitudinalResult | None = None,
) -> HtmlTable:
    """Binary endpoints by arm: n/N (%), difference in percentage points, 95% CI, odds ratio
    (95% CI), P: absolute and relative effects side by side (CONSORT 2010, item 17b).

    Parameters
    ----------
    comparisons : results of ldil2.stats.response_by_arm, all in one population
    release : for the footnote's data source ("Simulated data", release version)
    measure : the caption's measure (default: the endpoint labels)
    labels : endpoint code -> label (default: the code in upper case)
    across : an across-visit model (e.g. stats.gee_binary) stated in the footnote

    Raises
    ------
    ValueError : no comparison, or comparisons from different populations or imputations
    """
    if not comparisons:
        raise ValueError("comparisons: empty violates at least one comparison")
    first = comparisons[0]
    for other in comparisons[1:]:
        if (other.population, other.imputation) != (first.population, first.imputation):
            raise ValueError("comparisons: mixed populations or imputations in one table")
    labels = labels or {}
    endpoints = list(dict.fromkeys(cmp.endpoint for cmp in comparisons))
    weeks = list(dict.fromkeys(cmp.week for cmp in comparisons))
    several = len(endpoints) > 1

    def label(endpoint: str) -> str:
        return labels.get(endpoint, endpoint.upper())

    header = (
        *(("Endpoint",) if several else ()),
        "Week",
        *(f"{c.ARM_LABELS[arm]}, n/N (%)" for arm in c.ARMS),
        "Difference, percentage points",
        "95% CI",
        "Odds ratio (95% CI)",
        "P",
    )
    rows = []
    for cmp in comparisons:
        d, odds = cmp.difference, cmp.odds_ratio
        rows.append(
            (
                *((label(cmp.endpoint),) if several else ()),
                str(cmp.week),
                *(cmp.text(arm) for arm in c.ARMS),
                f"{100 * d.estimate:.1f}",
                f"{100 * d.ci_low:.1f} to {100 * d.ci_high:.1f}",
                interval_text(odds.estimate, odds.ci_low, odds.ci_high, 2),
                cmp.p_text,
            )
        )
    what = measure or ", ".join(label(e) for e in endpoints)
    when = {1: f"week {weeks[0]}", 2: f"weeks {weeks[0]} and {weeks[-1]}"}.get(
        len(weeks), "each visit"
    )
    caption = population_caption(f"{what} at {when}", first.population, first.n_population)
    notes = [first.description]
    if across is not None:
        notes.append(
            f"Across visits: {across.measure} {across.estimate_text}, {across.p_text}. "
            f"{across.description}"
        )
    notes.append(source_note(release))
    return HtmlTable(caption, header, tuple(rows), tuple(n for n in notes if n))


# ---------------------------------------------------------------------------------------------
# Adverse-event table
# ---------------------------------------------------------------------------------------------


def _ae_cells(events: pd.DataFrame, totals: dict[str, int]) -> tuple[str, ...]:
    cells: list[str] = []
    for arm in c.ARMS:
        part = events[events[c.ARM] == arm]
        n = part[c.SUBJECT_ID].nunique()
        share = f"{100 * n / totals[arm]:.1f}%" if totals[arm] else "NA"
        cells += [f"{n} ({share})", str(len(part))]
    return tuple(cells)


def _by_frequency(events: pd.DataFrame, column: str) -> list[str]:
    """Values of `column` by decreasing number of participants, then events, then name."""
    order = events.groupby(column).agg(
        participants=(c.SUBJECT_ID, "nunique"), events=(c.SUBJECT_ID, "size")
    )
    order = order.reset_index().sort_values(
        ["participants", "events", column], ascending=[False, False, True]
    )
    return list(order[column])


def _risk_difference(events: pd.DataFrame, totals: dict[str, int], common_pct: float) -> str:
    """'50.0 (-9.4 to 90.6)': Ld-IL2 minus placebo in participants with an event, in percentage
    points with the Newcombe 95% CI, when at least `common_pct` % of either arm had one; else ''."""
    n = {arm: events.loc[events[c.ARM] == arm, c.SUBJECT_ID].nunique() for arm in c.ARMS}
    if not all(totals.values()) or max(100 * n[a] / totals[a] for a in c.ARMS) < common_pct:
        return ""
    active, placebo = c.ARM_LDIL2, c.ARM_PLACEBO
    d = newcombe_difference(n[active], totals[active], n[placebo], totals[placebo])
    return interval_text(100 * d.estimate, 100 * d.ci_low, 100 * d.ci_high)


AE_TITLE = "Adverse events by system organ class and preferred term"


def make_ae_table(
    release: Any,
    population: str = "safety",
    common_pct: float | None = None,
    title: str = AE_TITLE,
) -> HtmlTable:
    """Adverse events by system organ class and preferred term: participants with at least one
    event, n (% of the population), and number of events, per arm; sorted by decreasing number
    of participants (then events, then name). Terms and classes are escaped text.

    Parameters
    ----------
    release : needs subjects (arm, the population flag) and adverse_events (term, soc)
    population : one of contract.POPULATIONS
    common_pct : when given, a last column "Risk difference, percentage points (95% CI)":
        Ld-IL2 minus placebo in participants with the preferred term, Newcombe hybrid-score
        95% CI (ldil2.stats.newcombe_difference), filled for terms reported by at least
        `common_pct` % of participants in either arm (empty for other rows)
    title : the caption's measure and period
    """

    subjects = release.subjects
    members = subjects[subjects[population].fillna(False).astype(bool)]
    totals = {arm: int((members[c.ARM] == arm).sum()) for arm in c.ARMS}
    events = release.adverse_events.merge(
        members[[c.SUBJECT_ID, c.ARM]], on=c.SUBJECT_ID, how="inner", validate="m:1"
    )
    header = (
        "System organ class / preferred term",
        *(
            text
            for arm in c.ARMS
            for text in (
                f"{c.ARM_LABELS[arm]} (N = {totals[arm]}): participants, n (%)",
                f"{c.ARM_LABELS[arm]}: events",
            )
        ),
    )
    extra = ("",) if common_pct is not None else ()
    rows: list[tuple[str, ...]] = [("Any adverse event", *_ae_cells(events, totals), *extra)]
    kinds = ["group"]
    for soc in _by_frequency(events, c.AE_SOC):
        in_soc = events[events[c.AE_SOC] == soc]
        rows.append((str(soc), *_ae_cells(in_soc, totals), *extra))
        kinds.append("group")
        for term in _by_frequency(in_soc, c.AE_TERM):
            with_term = in_soc[in_soc[c.AE_TERM] == term]
            rd = () if common_pct is None else (_risk_difference(with_term, totals, common_pct),)
            rows.append((str(term), *_ae_cells(with_term, totals), *rd))
            kinds.append("indent")
    caption = population_caption(title, population, totals)
    footnote = [
        "Participants: number with at least one event (a participant counts once per row), "
        "% of the population in the arm; events: number of events. Sorted by decreasing "
        "number of participants. Terms as recorded (MedDRA style).",
        source_note(release),
    ]
    if common_pct is not None:
        header = (*header, "Risk difference, percentage points (95% CI)")
        footnote.insert(
            1,
            "Risk difference Ld-IL2 minus placebo in percentage points with the Newcombe "
            f"hybrid-score 95% CI, for preferred terms reported by at least {common_pct:g}% of "
            "participants in either arm. No missing-data imputation: a participant without a "
            "recorded event counts as without.",
        )
    return HtmlTable(caption, header, tuple(rows), tuple(f for f in footnote if f), tuple(kinds))
