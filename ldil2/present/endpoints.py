"""Tables and texts of the efficacy endpoints, every cell read from ARD rows.

- :func:`endpoint_table`: binary endpoints at one visit (n/N (%), Newcombe risk difference, Woolf
  odds ratio, Fisher's P: absolute and relative effects side by side, CONSORT 2010 item 17b);
- :func:`gee_table`: the per-visit odds ratios and risk differences of a logistic GEE with the
  across-visit odds ratio;
- :func:`change_table`: mean change from baseline by arm and visit next to the mixed model's
  per-visit differences;
- :func:`eular_table_frame`: EULAR categories n/N (%) by arm and visit;
- glue texts: :func:`comparison_values`, :func:`mean_text`, :func:`mean_cell`.

Where a page shows two analyses of one comparison (ACR20 at week 24: Fisher's test in
:func:`endpoint_table`, the GEE in :func:`gee_table`), each column header names its method
(:data:`ENDPOINT_HEADERS`, :data:`GEE_HEADERS`, :data:`CHANGE_HEADERS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.present.format import (
    NOT_ESTIMABLE,
    count_of,
    difference_of,
    estimate_of,
    interval_of,
    interval_text,
    p_cell_of,
    p_of,
    percent_of,
)
from ldil2.present.notes import population_caption
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard

ENDPOINT_HEADERS: dict[str, str] = {
    "difference": "Risk difference, percentage points (95% CI, Newcombe)",
    "odds_ratio": "Odds ratio (95% CI, Woolf)",
    "fisher": "P (Fisher's exact)",
}
"""Headers of the effect columns of :func:`endpoint_table`, each naming its method."""

GEE_HEADERS: dict[str, str] = {
    "odds_ratio": "Odds ratio (95% CI, GEE, Mancl-DeRouen sandwich)",
    "risk_difference": "Model-based risk difference, percentage points (95% CI, GEE delta method)",
    "p": "P (GEE Wald z, Mancl-DeRouen sandwich)",
}
"""Headers of :func:`gee_table`, each naming its method."""

CHANGE_HEADERS: dict[str, str] = {
    "difference": "Difference (95% CI, mixed model, Satterthwaite t)",
    "p": "P (mixed model, Satterthwaite t)",
}
"""Headers of the model columns of :func:`change_table`, each naming its method."""


def arm_counts(ard: Ard, participants: Mapping[str, str]) -> dict[str, int]:
    """arm -> the participants (stat ``N``) of the results `participants` (arm -> result_id)."""
    return {arm: int(ard.get(participants[arm], "N")) for arm in c.ARMS}


def population_title(ard: Ard, measure: str, participants: Mapping[str, str]) -> str:
    """Caption '<measure>, <population> (Ld-IL2 + MTX n = 17; Placebo + MTX n = 23)' with the
    population and the n per arm of the participant rows `participants` (arm -> result_id)."""
    population = ard.row(participants[c.ARMS[0]], "N").population
    return population_caption(measure, population, arm_counts(ard, participants))


def p_cell(ard: Ard, rid: str) -> str:
    """The P value of `rid` as a table cell under a "P (<test>)" header: '0.116', '< 0.001',
    or 'not estimable' when NaN."""
    return NOT_ESTIMABLE if not math.isfinite(ard.get(rid, "p")) else p_cell_of(ard, rid)


# ---------------------------------------------------------------------------------------------
# Glue texts
# ---------------------------------------------------------------------------------------------


def comparison_values(ard: Ard, ids: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Glue values of one binary comparison recorded by :meth:`Ard.binary_comparison` (`ids`):
    ``<prefix>_<arm>_pct`` ("70.6%"), ``<prefix>_<arm>_nN`` ("12/17 (70.6%)"), ``<prefix>_diff``
    (difference with Newcombe CI), ``<prefix>_or`` (odds ratio with CI) and ``<prefix>_fisher``
    ("P = 0.116")."""
    values = {}
    for arm in c.ARMS:
        values[f"{prefix}_{arm}_pct"] = percent_of(ard, ids[arm])
        values[f"{prefix}_{arm}_nN"] = count_of(ard, ids[arm])
    values[f"{prefix}_diff"] = difference_of(ard, ids["difference"])
    values[f"{prefix}_or"] = estimate_of(ard, ids["odds_ratio"], 2)
    values[f"{prefix}_fisher"] = p_of(ard, ids["fisher"])
    return values


def mean_text(ard: Ard, rid: str, digits: int = 1) -> str:
    """'-12.3 (95% CI -15.0 to -9.6; n = 17)' from a ``mean_t`` result; '2.0 (n = 1)' without an
    interval (n < 2)."""
    r = ard.result(rid)
    if not math.isfinite(r["lcl"]):
        return f"{r['mean']:.{digits}f} (n = {int(r['n'])})"
    return (
        f"{r['mean']:.{digits}f} (95% CI {r['lcl']:.{digits}f} to {r['ucl']:.{digits}f}; "
        f"n = {int(r['n'])})"
    )


def mean_cell(ard: Ard, rid: str, digits: int = 1) -> str:
    """'-12.3 (-15.0 to -9.6), n = 17' (table cell) from a ``mean_t`` result; no interval when
    n < 2."""
    r = ard.result(rid)
    if not math.isfinite(r["lcl"]):
        return f"{r['mean']:.{digits}f}, n = {int(r['n'])}"
    return f"{interval_text(r['mean'], r['lcl'], r['ucl'], digits)}, n = {int(r['n'])}"


def across_note(ard: Ard, rid: str) -> str:
    """'Across visits: odds ratio 4.08 (95% CI 1.35 to 12.33), P = 0.013. <model sentence>'
    from an across-visit model result (its unit and method)."""
    row = ard.row(rid, "estimate")
    return f"Across visits: {row.unit} {estimate_of(ard, rid, 2)}, {p_of(ard, rid)}. {row.method}"


def model_participants_text(ard: Ard, participants: Mapping[str, str]) -> str:
    """'Participants in the model: Ld-IL2 + MTX n = 17, Placebo + MTX n = 23.'"""
    counts = arm_counts(ard, participants)
    listed = ", ".join(f"{c.ARM_LABELS[arm]} n = {counts[arm]}" for arm in c.ARMS)
    return f"Participants in the model: {listed}."


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def endpoint_table(
    ard: Ard,
    comparisons: Sequence[Mapping[str, str]],
    measure: str,
    participants: Mapping[str, str],
    footnote: Sequence[str],
) -> HtmlTable:
    """Binary endpoints by arm and visit from the ARD rows of :meth:`Ard.binary_comparison`.

    Parameters
    ----------
    ard : the rows
    comparisons : the ids of each comparison (``{arm: id, "difference": id, "odds_ratio": id,
        "fisher": id}``), in table order; an "Endpoint" column (the rows' endpoint label) is
        shown when they hold more than one endpoint
    measure : the caption's measure, e.g. "ACR20"; the caption adds the visit(s)
    participants : arm -> the result of the participants in the population (caption n)
    footnote : the footnote paragraphs (method, missing-data rule, source)

    Raises
    ------
    ValueError : no comparison
    """
    if not comparisons:
        raise ValueError("comparisons: empty violates at least one comparison")
    first = [ard.row(ids["fisher"], "p") for ids in comparisons]
    several = len({row.endpoint for row in first}) > 1
    weeks = list(dict.fromkeys(row.week for row in first))
    header = (
        *(("Endpoint",) if several else ()),
        "Week",
        *(f"{c.ARM_LABELS[arm]}, n/N (%)" for arm in c.ARMS),
        *ENDPOINT_HEADERS.values(),
    )
    rows = []
    for ids, row in zip(comparisons, first, strict=True):
        rows.append(
            (
                *((row.endpoint_label,) if several else ()),
                str(row.week),
                *(count_of(ard, ids[arm]) for arm in c.ARMS),
                interval_of(ard, ids["difference"], 1),
                interval_of(ard, ids["odds_ratio"], 2),
                p_cell(ard, ids["fisher"]),
            )
        )
    when = {1: f"week {weeks[0]}", 2: f"weeks {weeks[0]} and {weeks[-1]}"}.get(
        len(weeks), "each visit"
    )
    title = population_title(ard, f"{measure} at {when}", participants)
    return HtmlTable(title, header, tuple(rows), tuple(n for n in footnote if n))


SENSITIVITY = "Across visits, large-sample Wald z (sensitivity)"
"""The row label of a model's across-visit Wald result kept beside the small-sample one."""


def gee_table(ard: Ard, ids: Any, title: str, footnote: Sequence[str]) -> HtmlTable:
    """Per-visit odds ratios and model-based risk differences of a logistic GEE, with the
    across-visit odds ratio and its large-sample Wald sensitivity result (when recorded) as the
    last rows, from the rows of
    :func:`ldil2.results.efficacy.record_gee` (`ids`: its :class:`ModelIds`). A visit whose
    contrast is not estimable (NaN) reads "not estimable" in every cell."""
    rows = []
    for week, rid in ids.visits.items():
        if not math.isfinite(ard.get(rid, "estimate")):
            rows.append((str(week), *(NOT_ESTIMABLE,) * len(GEE_HEADERS)))
            continue
        rd = ids.risk_differences[week]
        rows.append(
            (str(week), interval_of(ard, rid, 2), interval_of(ard, rd, 1), p_cell(ard, rid))
        )
    rows.append(("Across visits", interval_of(ard, ids.across, 2), "", p_cell(ard, ids.across)))
    if ids.sensitivity is not None:
        rows.append((SENSITIVITY, interval_of(ard, ids.sensitivity, 2), "",
                     p_cell(ard, ids.sensitivity)))  # fmt: skip
    notes = (*footnote[:1], model_participants_text(ard, ids.participants), *footnote[1:])
    return HtmlTable(title, ("Week", *GEE_HEADERS.values()), tuple(rows), tuple(notes))


def change_table(
    ard: Ard,
    means: Mapping[tuple[str, int], str],
    model: Any,
    digits: int,
    title: str,
    footnote: Sequence[str],
) -> HtmlTable:
    """Mean change from baseline by arm and visit (``mean_t`` rows `means`: (arm, week) -> id)
    next to the mixed model's per-visit difference and P (`model`: the :class:`ModelIds` of
    :func:`ldil2.results.efficacy.record_mixed`), the across-visit effect and its Wald
    sensitivity result (when recorded) as the last rows; a
    visit without a mean of an arm reads "-", without a model contrast stays empty."""
    weeks = sorted({week for _, week in means} | set(model.visits))
    rows = []
    for week in weeks:
        cells = [str(week)]
        for arm in c.ARMS:
            rid = means.get((arm, week))
            cells.append("-" if rid is None else mean_cell(ard, rid, digits))
        rid = model.visits.get(week)
        cells += ["", ""] if rid is None else [interval_of(ard, rid, digits), p_cell(ard, rid)]
        rows.append(tuple(cells))
    across = model.across
    rows.append(("Across visits", "", "", interval_of(ard, across, digits), p_cell(ard, across)))
    if model.sensitivity is not None:
        rows.append((SENSITIVITY, "", "", interval_of(ard, model.sensitivity, digits),
                     p_cell(ard, model.sensitivity)))  # fmt: skip
    header = (
        "Week",
        *(f"{c.ARM_LABELS[arm]}: mean change (95% CI), n" for arm in c.ARMS),
        *CHANGE_HEADERS.values(),
    )
    return HtmlTable(title, header, tuple(rows), tuple(n for n in footnote if n))


def eular_table_frame(
    ard: Ard, ids: Mapping[tuple[str, int, str], str], levels: Sequence[str]
) -> pd.DataFrame:
    """One row per visit and category with "n/N (%)" per arm ("-" where the arm has no value
    at the visit), from the ``count`` rows `ids` ((arm, week, level) -> result_id) of
    :func:`ldil2.results.efficacy.record_shares`."""
    rows = []
    for week in sorted({week for _, week, _ in ids}):
        for level in levels:
            row = {"Week": str(week), "EULAR response": level.capitalize()}
            for arm in c.ARMS:
                rid = ids.get((arm, week, level))
                row[f"{c.ARM_LABELS[arm]}, n/N (%)"] = "-" if rid is None else count_of(ard, rid)
            rows.append(row)
    return pd.DataFrame(rows)
