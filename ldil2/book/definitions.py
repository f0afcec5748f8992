"""The outcome definitions of the Methods chapter, as tables a reader of a methods section reads:
the disease-activity indices, their activity states, the EULAR response grid and the response
criteria.

The thresholds come from the constants the derivations use (:mod:`ldil2.derive.indices`,
:mod:`ldil2.derive.analysis`), and every cell of the EULAR grid is computed by the derivation
itself (:func:`ldil2.derive.response.eular_response` at a point inside the cell), so the tables
cannot say other than the code does. The sources are cited in the chapter's prose.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ldil2.book.common import Result, footnote
from ldil2.derive import indices
from ldil2.derive.analysis import HAQ_MCID
from ldil2.derive.response import ACR_LEVELS, eular_response
from ldil2.present.tables import HtmlTable

INDEX_FORMULAS: tuple[tuple[str, str], ...] = (
    ("DAS28-ESR", "0.56 √TJC28 + 0.28 √SJC28 + 0.70 ln(ESR, mm/h) + 0.014 PtGA (mm)"),
    ("DAS28-CRP", "0.56 √TJC28 + 0.28 √SJC28 + 0.36 ln(CRP, mg/L + 1) + 0.014 PtGA (mm) + 0.96"),
    ("CDAI", "TJC28 + SJC28 + PtGA (cm) + PhGA (cm)"),
    ("SDAI", "TJC28 + SJC28 + PtGA (cm) + PhGA (cm) + CRP (mg/dL)"),
)
"""(index, formula) of each composite index (the formulas of the derivations)."""

STATE_CUTS: tuple[tuple[str, tuple[float, float, float], bool], ...] = (
    ("DAS28 (ESR or CRP)", indices.DAS28_CUTS, True),
    ("CDAI", indices.CDAI_CUTS, False),
    ("SDAI", indices.SDAI_CUTS, False),
)
"""(index, (remission, low, moderate upper bounds), remission strictly below its bound)."""

EULAR_VISIT = ((3.0, "≤ 3.2"), (4.0, "> 3.2 to ≤ 5.1"), (6.0, "> 5.1"))
EULAR_IMPROVEMENT = ((1.5, "> 1.2"), (1.0, "> 0.6 to ≤ 1.2"), (0.3, "≤ 0.6"))
"""Rows and columns of the EULAR grid: a DAS28 (at the visit; improvement from baseline) inside
each band, with the band's label."""


def state_frame() -> pd.DataFrame:
    """One row per index: the bounds of remission, low, moderate and high activity."""
    rows = []
    for name, (remission, low, moderate), strict in STATE_CUTS:
        rows.append(
            {
                "Index": name,
                "Remission": f"< {remission:g}" if strict else f"≤ {remission:g}",
                "Low activity": f"{'≥' if strict else '>'} {remission:g} to ≤ {low:g}",
                "Moderate activity": f"> {low:g} to ≤ {moderate:g}",
                "High activity": f"> {moderate:g}",
            }
        )
    return pd.DataFrame(rows)


def eular_frame() -> pd.DataFrame:
    """The EULAR response grid, each cell computed by
    :func:`ldil2.derive.response.eular_response` at a point inside it."""
    rows = []
    for visit, visit_label in EULAR_VISIT:
        row = {"DAS28 at the visit": visit_label}
        for gain, gain_label in EULAR_IMPROVEMENT:
            row[f"Improvement {gain_label}"] = eular_response(visit + gain, visit)
        rows.append(row)
    return pd.DataFrame(rows)


def criteria_frame(acr_joints: str) -> pd.DataFrame:
    """One row per response criterion: its definition in words."""
    levels = "/".join(str(level) for level in ACR_LEVELS)
    return pd.DataFrame(
        [
            ("ACR20, ACR50, ACR70", f"Improvement from baseline of at least {levels}% in the "
             f"tender and the swollen joint count ({acr_joints} joints) and in at least 3 of: "
             "patient pain, patient global, physician global, HAQ-DI, CRP (ESR where CRP is "
             "missing). A measure with a baseline of 0 counts as not improved; a missing "
             "measure as not improved; a missing joint count makes the response missing."),
            ("DAS28-ESR remission", f"DAS28-ESR below {indices.DAS28_CUTS[0]:g} at the visit."),
            ("EULAR response", "Good, moderate or none, from DAS28 at the visit and its "
             "improvement from baseline (grid below)."),
            ("ACR/EULAR Boolean remission (2011)", "Tender and swollen joints (28) each at most "
             "1, CRP at most 1 mg/dL and patient global at most 1 (0-10 scale)."),
            ("ACR/EULAR Boolean remission (2022)", "As 2011, with patient global at most 2."),
            ("HAQ-DI improvement", f"A fall of the HAQ-DI from baseline of at least {HAQ_MCID:g} "
             "(the minimal clinically important improvement)."),
        ],
        columns=["Criterion", "Definition"],
    )  # fmt: skip


def outcome_definitions(ch: Any) -> Result:
    """Tables ``definitions_table`` (the indices), ``states_table`` (activity states),
    ``criteria_table`` (response criteria) and ``eular_grid_table`` (the EULAR grid). Definitions of
    the analysis, not results: no ARD rows."""
    acr_joints = ch.params.get("acr_joints", "68/66")
    units = footnote(
        ch, "TJC28/SJC28: tender/swollen joints of the 28-joint count; PtGA/PhGA: patient and "
        "physician global assessment (VAS 0-100 mm = 0-10 cm); ESR in mm/h; CRP in mg/L (mg/dL "
        "for SDAI and Boolean remission: mg/L divided by 10).",
    )  # fmt: skip
    frame = pd.DataFrame(INDEX_FORMULAS, columns=["Index", "Formula"])
    return Result(
        tables={
            "definitions_table": HtmlTable.from_frame(frame, "Composite disease-activity indices",
                                                      units),
            "states_table": HtmlTable.from_frame(state_frame(),
                                                 "Disease-activity states of each index", units),
            "criteria_table": HtmlTable.from_frame(
                criteria_frame(acr_joints), "Response criteria",
                footnote(ch, f"ACR responses in this edition use the {acr_joints} joint counts."),
            ),
            "eular_grid_table": HtmlTable.from_frame(
                eular_frame(), "EULAR response from DAS28 at the visit and its improvement "
                "from baseline", footnote(ch, "Improvement = DAS28 at baseline minus DAS28 at "
                                              "the visit."),
            ),
        }
    )  # fmt: skip
