"""The per-visit analysis table, built by a chain of small derivation steps (admiral style).

:func:`make_analysis_table` runs, in order:

1. :func:`derive_visits`      one row per subject and attended visit, with arm and population flags
2. :func:`derive_indices`     DAS28-ESR, DAS28-CRP, CDAI, SDAI
3. :func:`derive_categories`  disease-activity state of each index, remission and low activity
4. :func:`derive_baseline`    ``base_<x>``: the subject's week-0 value of every measure and index
5. :func:`derive_change`      ``chg_<x>`` = value - baseline value
6. :func:`derive_acr`         ACR20/50/70 versus baseline
7. :func:`derive_eular`       EULAR response (DAS28-ESR)
8. :func:`derive_eular_flags` EULAR good response, good or moderate response (binary endpoints)
9. :func:`derive_boolean_remission`  ACR/EULAR Boolean remission 2011 and 2022
10. :func:`derive_haq_mcid`   HAQ-DI decrease >= 0.22

Each step takes the table and returns a new one with added columns, so each is testable alone.
Response columns (ACR, EULAR and its flags, HAQ MCID) are missing at the baseline visit, where
they are undefined. Definitions: ../shared/reference/ra-indices.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.derive import indices
from ldil2.derive.response import ACR_LEVELS, EULAR_CATEGORIES, acr_response, eular_response

# ---------------------------------------------------------------------------------------------
# Names of the derived columns: the one place they are typed (contract columns: ldil2.contract)
# ---------------------------------------------------------------------------------------------

DAS28_ESR, DAS28_CRP, CDAI, SDAI = "das28_esr", "das28_crp", "cdai", "sdai"
INDICES: tuple[str, ...] = (DAS28_ESR, DAS28_CRP, CDAI, SDAI)
"""Composite index columns added by derive_indices."""


BASE_PREFIX, CHG_PREFIX = "base_", "chg_"
"""Prefixes of the baseline-value and change-from-baseline columns (:func:`base_col`,
:func:`chg_col`)."""


_CATEGORY_FUNCTIONS = {
    DAS28_ESR: indices.das28_category,
    DAS28_CRP: indices.das28_category,
    CDAI: indices.cdai_category,
    SDAI: indices.sdai_category,
}

REMISSION = indices.DAS28_CATEGORIES[0]
LOW_ACTIVITY_OR_REMISSION: tuple[str, ...] = indices.DAS28_CATEGORIES[:2]


BOOLEAN_REMISSION_VERSIONS: tuple[int, ...] = (2011, 2022)


HAQ_MCID = 0.22
"""Minimal clinically important HAQ-DI improvement: a decrease of at least 0.22."""


ACR_COLUMNS: tuple[str, ...] = tuple(f"acr{level}" for level in ACR_LEVELS)
"""ACR response columns, one per level of ACR_LEVELS: acr20, acr50, acr70."""


ACR20, ACR50, ACR70 = ACR_COLUMNS


EULAR = "eular"


EULAR_LEVELS: tuple[str, ...] = tuple(reversed(EULAR_CATEGORIES))
"""EULAR response categories, best first: good, moderate, none."""


EULAR_GOOD, EULAR_ANY = "eular_good", "eular_any"


EULAR_FLAG_LEVELS: dict[str, tuple[str, ...]] = {
    EULAR_GOOD: EULAR_LEVELS[:1],
    EULAR_ANY: EULAR_LEVELS[:2],
}
"""EULAR flag column -> the EULAR categories that count as a response."""


HAQ_MCID_COLUMN = "haq_mcid"


def base_col(name: str) -> str:
    """Column holding the baseline value of `name`."""
    return f"{BASE_PREFIX}{name}"


def chg_col(name: str) -> str:
    """Column holding the change from baseline of `name`."""
    return f"{CHG_PREFIX}{name}"


def category_col(index: str) -> str:
    """Column holding the disease-activity state of `index`."""
    return f"{index}_category"


def remission_col(index: str) -> str:
    """Column flagging remission by `index` (DAS28 < 2.6, CDAI <= 2.8, SDAI <= 3.3)."""
    return f"{index}_remission"


def lda_col(index: str) -> str:
    """Column flagging remission or low disease activity by `index`."""
    return f"{index}_lda"


def boolean_remission_col(version: int) -> str:
    """Column flagging ACR/EULAR Boolean remission, 2011 or 2022 definition."""
    return f"boolean_remission_{version}"


def derive_visits(subjects: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and attended visit: assessments with the subject's arm, population
    flags (itt, safety, per_protocol, completed) and withdrawal week, sorted by subject and week.

    Raises ValueError when an assessment's subject is not in `subjects`.
    """
    keep = [c.SUBJECT_ID, c.ARM, *c.POPULATION_FLAGS, c.WITHDRAWAL_WEEK]
    table = assessments.merge(subjects[keep], on=c.SUBJECT_ID, how="left", validate="m:1")
    unknown = table.loc[table[c.ARM].isna(), c.SUBJECT_ID]
    if len(unknown):
        raise ValueError(f"{c.SUBJECT_ID}: {unknown.iloc[0]!r} violates exists in {c.SUBJECTS}")
    first = [c.SUBJECT_ID, c.WEEK, c.ARM, *c.POPULATION_FLAGS, c.WITHDRAWAL_WEEK]
    table = table[first + [col for col in table.columns if col not in first]]
    return table.sort_values([c.SUBJECT_ID, c.WEEK]).reset_index(drop=True)


def derive_indices(table: pd.DataFrame) -> pd.DataFrame:
    """Add das28_esr, das28_crp, cdai and sdai from the 28-joint counts, globals, ESR and CRP
    (definitions and units in ldil2.indices; missing component -> missing index)."""
    t, s, ptga, phga = (table[col] for col in (c.TJC28, c.SJC28, c.PTGA, c.PHGA))
    return table.assign(
        **{
            DAS28_ESR: indices.das28_esr(t, s, table[c.ESR], ptga),
            DAS28_CRP: indices.das28_crp(t, s, table[c.CRP], ptga),
            CDAI: indices.cdai(t, s, ptga, phga),
            SDAI: indices.sdai(t, s, ptga, phga, table[c.CRP]),
        }
    )


def derive_categories(table: pd.DataFrame) -> pd.DataFrame:
    """Add `<index>_category` (remission/low/moderate/high), `<index>_remission` and
    `<index>_lda` (remission or low) for every index; nullable boolean flags, missing where the
    index is missing."""
    added: dict[str, Any] = {}
    for index in INDICES:
        category = _CATEGORY_FUNCTIONS[index](table[index])
        added[category_col(index)] = category
        added[remission_col(index)] = _flag(category == REMISSION, category.isna())
        added[lda_col(index)] = _flag(category.isin(LOW_ACTIVITY_OR_REMISSION), category.isna())
    return table.assign(**added)


def _flag(values: pd.Series, missing: pd.Series) -> pd.Series:
    """`values` as a nullable boolean, NA where `missing`."""
    flags = values.astype("boolean")
    flags[missing.to_numpy()] = pd.NA
    return flags


def derive_baseline(table: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Add `base_<x>`: the subject's value of x at week 0 (BASELINE_WEEK), on every row.

    `columns` defaults to every assessment measure and index present. Missing if the subject has
    no week-0 value of x.
    """
    if columns is None:
        columns = [col for col in (*c.ASSESSMENT_MEASURES, *INDICES) if col in table.columns]
    columns = list(columns)
    base = table.loc[table[c.WEEK] == c.BASELINE_WEEK, [c.SUBJECT_ID, *columns]]
    base = base.rename(columns={col: base_col(col) for col in columns})
    return table.merge(base, on=c.SUBJECT_ID, how="left", validate="m:1")


def derive_change(table: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Add `chg_<x>` = x - base_x (negative = improvement for every RA measure) for each column
    with a baseline column; 0 at the baseline visit, missing if either value is missing."""
    if columns is None:
        columns = [
            col.removeprefix(BASE_PREFIX) for col in table.columns if col.startswith(BASE_PREFIX)
        ]
    changes = {
        chg_col(col): table[col].astype("float64") - table[base_col(col)].astype("float64")
        for col in columns
    }
    return table.assign(**changes)


def _at_baseline(table: pd.DataFrame) -> np.ndarray:
    """Mask of the rows at the baseline visit."""
    return (table[c.WEEK] == c.BASELINE_WEEK).to_numpy()


def derive_acr(table: pd.DataFrame, joints: str = "68/66") -> pd.DataFrame:
    """Add acr20, acr50, acr70 (nullable boolean) from each row versus the `base_` columns of
    the ACR core set (rules in ldil2.response.acr_response); missing at the baseline visit."""
    measures = [*c.ASSESSMENT_MEASURES]
    baseline = table[[base_col(m) for m in measures]].set_axis(measures, axis=1)
    added = {}
    for level, column in zip(ACR_LEVELS, ACR_COLUMNS, strict=True):
        response = acr_response(baseline, table[measures], level=level, joints=joints)
        response[_at_baseline(table)] = pd.NA
        added[column] = response
    return table.assign(**added)


def derive_eular(table: pd.DataFrame) -> pd.DataFrame:
    """Add `eular` (good/moderate/none) from DAS28-ESR at the visit and at baseline (van Gestel
    1996; rules in ldil2.response.eular_response); missing at the baseline visit."""
    eular = eular_response(table[base_col(DAS28_ESR)], table[DAS28_ESR])
    eular[_at_baseline(table)] = np.nan
    return table.assign(**{EULAR: eular})


def derive_eular_flags(table: pd.DataFrame) -> pd.DataFrame:
    """Add `eular_good` (good response) and `eular_any` (good or moderate response) as nullable
    booleans from the `eular` category (:data:`EULAR_FLAG_LEVELS`); missing where `eular` is
    missing (so also at the baseline visit). Needs eular (:func:`derive_eular`)."""
    eular = table[EULAR].astype("object")
    return table.assign(
        **{
            name: _flag(eular.isin(levels), eular.isna())
            for name, levels in EULAR_FLAG_LEVELS.items()
        }
    )


def derive_boolean_remission(table: pd.DataFrame) -> pd.DataFrame:
    """Add boolean_remission_2011 and boolean_remission_2022 (ldil2.indices.boolean_remission)."""
    t, s, crp, ptga = (table[col] for col in (c.TJC28, c.SJC28, c.CRP, c.PTGA))
    return table.assign(
        **{
            boolean_remission_col(v): indices.boolean_remission(t, s, crp, ptga, version=v)
            for v in BOOLEAN_REMISSION_VERSIONS
        }
    )


def derive_haq_mcid(table: pd.DataFrame) -> pd.DataFrame:
    """Add `haq_mcid`: HAQ-DI decreased by at least 0.22 from baseline (chg_haq_di <= -0.22);
    missing where the change is missing and at the baseline visit. Needs chg_haq_di.

    Notes
    -----
    0.22 points on the 0-3 HAQ-DI scale (HAQ_MCID) is the minimal clinically important
    improvement commonly used in rheumatoid arthritis trials; the comparison is inclusive.

    References
    ----------
    Wells et al., J Rheumatol 1993;20:557-560 (minimum important difference, the patient's
    perspective); Redelmeier & Lorig, Arch Intern Med 1993;153:1337-1342.
    """
    change = table[chg_col(c.HAQ)]
    flag = _flag(change <= -HAQ_MCID, change.isna())
    flag[_at_baseline(table)] = pd.NA
    return table.assign(**{HAQ_MCID_COLUMN: flag})


def make_analysis_table(release: Any, joints: str = "68/66") -> pd.DataFrame:
    """The analysis table: one row per subject and attended visit with arm, population flags,
    every component and index, categories, baseline values, changes, ACR20/50/70, EULAR and its
    good / any flags, Boolean remission and the HAQ-DI MCID flag (see the module docstring for
    the chain of steps).

    Parameters
    ----------
    release : ldil2.data.Release (needs subjects and assessments)
    joints : joint counts for ACR: "68/66" or "28"
    """
    table = derive_visits(release.subjects, release.assessments)
    table = derive_categories(derive_indices(table))
    table = derive_change(derive_baseline(table))
    table = derive_acr(table, joints=joints)
    table = derive_eular_flags(derive_eular(table))
    return derive_haq_mcid(derive_boolean_remission(table))
