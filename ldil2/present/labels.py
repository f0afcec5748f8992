"""Reader labels of the endpoint columns and the unit and decimals of each change from baseline.

The keys are the analysis-table columns (built with the :mod:`ldil2.derive.analysis` column
helpers, never typed twice); a label is what a reader sees in a table row, an ARD row's
``endpoint_label`` and a figure axis.
"""

from __future__ import annotations

from ldil2 import contract as c
from ldil2.derive.analysis import (
    ACR_COLUMNS,
    BOOLEAN_REMISSION_VERSIONS,
    EULAR_ANY,
    EULAR_GOOD,
    EULAR_LEVELS,
    HAQ_MCID,
    HAQ_MCID_COLUMN,
    INDICES,
    boolean_remission_col,
    chg_col,
    lda_col,
    remission_col,
)
from ldil2.derive.indices import CDAI_CUTS, DAS28_CUTS, SDAI_CUTS

ACR20, ACR50, ACR70 = ACR_COLUMNS
DAS28_ESR, DAS28_CRP, CDAI, SDAI = INDICES
"""The endpoint columns of the efficacy pages, named once (unpacked from the derivations)."""

INDEX_LABELS: dict[str, str] = {
    DAS28_ESR: "DAS28-ESR",
    DAS28_CRP: "DAS28-CRP",
    CDAI: "CDAI",
    SDAI: "SDAI",
    c.HAQ: "HAQ-DI",
}
"""Display name of every composite index (and HAQ-DI) whose value or change is reported."""

ENDPOINT_LABELS: dict[str, str] = {
    **{column: column.upper() for column in ACR_COLUMNS},
    remission_col(DAS28_ESR): f"DAS28-ESR < {DAS28_CUTS[0]:g}",
    remission_col(DAS28_CRP): f"DAS28-CRP < {DAS28_CUTS[0]:g}",
    lda_col(DAS28_ESR): f"DAS28-ESR <= {DAS28_CUTS[1]:g}",
    remission_col(CDAI): f"CDAI remission (<= {CDAI_CUTS[0]:g})",
    lda_col(CDAI): f"CDAI low activity or remission (<= {CDAI_CUTS[1]:g})",
    remission_col(SDAI): f"SDAI remission (<= {SDAI_CUTS[0]:g})",
    lda_col(SDAI): f"SDAI low activity or remission (<= {SDAI_CUTS[1]:g})",
    **{boolean_remission_col(v): f"Boolean remission {v}" for v in BOOLEAN_REMISSION_VERSIONS},
    HAQ_MCID_COLUMN: f"HAQ-DI improvement >= {HAQ_MCID:g}",
    EULAR_GOOD: "EULAR good response",
    EULAR_ANY: "EULAR good or moderate response",
    **INDEX_LABELS,
    **{chg_col(index): f"Change from baseline in {label}" for index, label in INDEX_LABELS.items()},
}
"""Display name of every endpoint column the efficacy chapters report (binary responses, the
indices and their changes from baseline)."""

EULAR_CATEGORY_LABELS: dict[str, str] = dict(
    zip(
        EULAR_LEVELS,
        (ENDPOINT_LABELS[EULAR_GOOD], "EULAR moderate response", "No EULAR response"),
        strict=True,
    )
)
"""Reader label of each EULAR category (good, moderate, none: :data:`EULAR_LEVELS` order)."""

CHANGE_UNITS: dict[str, tuple[str, int]] = {
    CDAI: ("index points", 1),
    SDAI: ("index points", 1),
    DAS28_ESR: ("score points", 2),
    DAS28_CRP: ("score points", 2),
    c.HAQ: ("HAQ-DI points, scale 0-3", 2),
}
"""Unit (as a table caption and an ARD row's ``unit`` state it) and decimals of the change from
baseline of each index."""


def endpoint_label(endpoint: str) -> str:
    """The reader label of `endpoint` (:data:`ENDPOINT_LABELS`; the column name in upper case
    for a column without one)."""
    return ENDPOINT_LABELS.get(endpoint, endpoint.upper())
