"""The Secondary endpoints chapter: ACR50 and ACR70 by visit, DAS28-CRP, CDAI and SDAI remission
and low disease activity, EULAR response, Boolean remission, HAQ-DI, the core-set components
and every binary endpoint at week 24.

Each function takes the chapter's :class:`ldil2.book.chapter.Chapter`, computes with
:mod:`ldil2.stats` (through :mod:`ldil2.book.efficacy`), records every number as ARD rows and
returns a :class:`ldil2.book.common.Result` whose texts and tables are rendered from those rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.book.common import Result, footnote, in_population, record_participants
from ldil2.book.efficacy import (
    binary,
    binary_by_visit,
    change_means,
    change_model,
    comparison_table,
    index_change_table,
    last_week_values,
)
from ldil2.derive.analysis import (
    BOOLEAN_REMISSION_VERSIONS,
    EULAR,
    EULAR_ANY,
    EULAR_GOOD,
    EULAR_LEVELS,
    HAQ_MCID_COLUMN,
    boolean_remission_col,
    chg_col,
    lda_col,
    remission_col,
)
from ldil2.present.efficacy_figures import (
    plot_components,
    plot_eular_stacked,
    plot_forest,
    plot_mean_change_by_visit,
    plot_proportion_by_visit,
)
from ldil2.present.endpoints import comparison_values, eular_table_frame, population_title
from ldil2.present.format import estimate_of, p_of
from ldil2.present.labels import (
    ACR20,
    ACR50,
    ACR70,
    CDAI,
    DAS28_CRP,
    DAS28_ESR,
    EULAR_CATEGORY_LABELS,
    SDAI,
    endpoint_label,
)
from ldil2.present.tables import HtmlTable
from ldil2.results.ard import Ard
from ldil2.results.efficacy import record_shares

CHAPTER = "secondary"


def acr50_70_by_visit(ch: Any) -> Result:
    """ACR50 and ACR70 at every visit: glue values ``acr50_w24_*`` and ``acr70_w24_*``; table
    ``acr50_70_table``; figures ``acr50_fig`` and ``acr70_fig``."""
    ard = Ard(CHAPTER, ch.population)
    endpoints = (ACR50, ACR70)
    comparisons = [ids for e in endpoints for ids in binary_by_visit(ard, ch, e)]
    table = in_population(ch)
    return Result(
        values=last_week_values(ard, ch, endpoints),
        tables={"acr50_70_table": comparison_table(ch, ard, comparisons, "ACR50 and ACR70")},
        figures={
            f"{e}_fig": plot_proportion_by_visit(
                table, e, ylabel=f"{endpoint_label(e)} response (% of participants)"
            )
            for e in endpoints
        },
        ard=ard,
    )


def das28_crp_summary(ch: Any) -> Result:
    """DAS28-CRP: change from baseline (mixed model across visits, mean by visit) and remission
    (< 2.6) at week 24. Glue values ``das28_crp_effect``, ``das28_crp_p`` and
    ``das28_crp_rem_w24_*``; table ``das28_crp_table``; figure ``das28_crp_fig``."""
    ard = Ard(CHAPTER, ch.population)
    ids, model = change_model(ard, ch, DAS28_CRP)
    means = change_means(ard, ch, DAS28_CRP)
    remission = binary(ard, ch, remission_col(DAS28_CRP), c.LAST_WEEK)
    return Result(
        values={
            f"{DAS28_CRP}_effect": estimate_of(ard, ids.across, 2),
            f"{DAS28_CRP}_p": p_of(ard, ids.across),
            **comparison_values(ard, remission, f"{DAS28_CRP}_rem_w{c.LAST_WEEK}"),
        },
        tables={f"{DAS28_CRP}_table": index_change_table(ch, ard, DAS28_CRP, means, ids, model)},
        figures={
            f"{DAS28_CRP}_fig": plot_mean_change_by_visit(
                in_population(ch), [chg_col(DAS28_CRP)], ["Change in DAS28-CRP (points)"]
            )
        },
        ard=ard,
    )


REMISSION_LDA: tuple[str, ...] = (
    remission_col(CDAI),
    lda_col(CDAI),
    remission_col(SDAI),
    lda_col(SDAI),
)


def remission_lda(ch: Any) -> Result:
    """CDAI and SDAI remission and low disease activity (or remission) at week 24: glue values
    ``<endpoint>_w24_*``; table ``remission_lda_table``."""
    ard = Ard(CHAPTER, ch.population)
    values = last_week_values(ard, ch, REMISSION_LDA)
    comparisons = [binary(ard, ch, e, c.LAST_WEEK) for e in REMISSION_LDA]
    measure = "CDAI and SDAI remission and low disease activity"
    return Result(
        values=values,
        tables={"remission_lda_table": comparison_table(ch, ard, comparisons, measure)},
        ard=ard,
    )


def eular_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Counts and percentages of each EULAR category by arm and post-baseline week.

    Returns
    -------
    DataFrame : arm, week, eular (good/moderate/none), n, total (participants with a EULAR value
        at the visit), percent = 100 * n / total
    """
    data = table[(table[c.WEEK] > c.BASELINE_WEEK)].dropna(subset=[EULAR])
    data = data.assign(**{EULAR: data[EULAR].astype(str)})
    counts = data.groupby([c.ARM, c.WEEK, EULAR]).size().rename("n")
    grid = pd.MultiIndex.from_product(
        [c.ARMS, sorted(data[c.WEEK].unique()), EULAR_LEVELS], names=[c.ARM, c.WEEK, EULAR]
    )
    counts = counts.reindex(grid, fill_value=0).reset_index()
    counts["total"] = counts.groupby([c.ARM, c.WEEK])["n"].transform("sum")
    counts = counts[counts["total"] > 0]
    counts["percent"] = 100 * counts["n"] / counts["total"]
    counts[c.WEEK] = counts[c.WEEK].astype(int)
    return counts.reset_index(drop=True)


def eular_by_visit(ch: Any) -> Result:
    """EULAR response (DAS28-ESR) by visit: glue values ``eular_good_w24_*``; table
    ``eular_table`` (good/moderate/none n (%) by arm and visit, ``count`` rows); figure
    ``eular_fig``."""
    ard = Ard(CHAPTER, ch.population)
    shares = eular_shares(in_population(ch))
    ids = record_shares(ard, shares, EULAR, EULAR_CATEGORY_LABELS)
    good = binary(ard, ch, EULAR_GOOD, c.LAST_WEEK)
    title = population_title(
        ard, "EULAR response (DAS28-ESR) by visit", record_participants(ard, ch)
    )
    note = footnote(
        ch,
        "Percentages of participants with a DAS28-ESR value at the visit (van "
        "Gestel 1996 criteria); visits without a value are left out.",
    )
    frame = eular_table_frame(ard, ids, EULAR_LEVELS)
    return Result(
        values=comparison_values(ard, good, f"{EULAR_GOOD}_w{c.LAST_WEEK}"),
        tables={"eular_table": HtmlTable.from_frame(frame, caption=title, footnote=note)},
        figures={"eular_fig": plot_eular_stacked(shares)},
        ard=ard,
    )


BOOLEAN_REMISSION: tuple[str, ...] = tuple(
    boolean_remission_col(v) for v in BOOLEAN_REMISSION_VERSIONS
)


def boolean_remission_by_visit(ch: Any) -> Result:
    """ACR/EULAR Boolean remission 2011 and 2022 by visit: glue values
    ``boolean_<version>_w24_*``; table ``boolean_table``."""
    ard = Ard(CHAPTER, ch.population)
    comparisons = [ids for e in BOOLEAN_REMISSION for ids in binary_by_visit(ard, ch, e)]
    values = {}
    for version, endpoint in zip(BOOLEAN_REMISSION_VERSIONS, BOOLEAN_REMISSION, strict=True):
        ids = binary(ard, ch, endpoint, c.LAST_WEEK)
        values.update(comparison_values(ard, ids, f"boolean_{version}_w{c.LAST_WEEK}"))
    return Result(
        values=values,
        tables={"boolean_table": comparison_table(ch, ard, comparisons, "Boolean remission")},
        ard=ard,
    )


def haq_summary(ch: Any) -> Result:
    """HAQ-DI: change from baseline (mixed model across visits, mean by visit) and the share
    improving by at least the MCID. Glue values ``haq_effect``, ``haq_p``,
    ``haq_mcid_w24_*``; table ``haq_table``."""
    ard = Ard(CHAPTER, ch.population)
    ids, model = change_model(ard, ch, c.HAQ)
    means = change_means(ard, ch, c.HAQ)
    mcid = binary(ard, ch, HAQ_MCID_COLUMN, c.LAST_WEEK)
    return Result(
        values={
            "haq_effect": estimate_of(ard, ids.across, 2),
            "haq_p": p_of(ard, ids.across),
            **comparison_values(ard, mcid, f"{HAQ_MCID_COLUMN}_w{c.LAST_WEEK}"),
        },
        tables={"haq_table": index_change_table(ch, ard, c.HAQ, means, ids, model)},
        ard=ard,
    )


COMPONENTS: tuple[tuple[str, str], ...] = (
    (c.TJC68, "Tender joints (of 68)"),
    (c.SJC66, "Swollen joints (of 66)"),
    (c.TJC28, "Tender joints (of 28)"),
    (c.SJC28, "Swollen joints (of 28)"),
    (c.PTGA, "Patient global (VAS mm)"),
    (c.PHGA, "Physician global (VAS mm)"),
    (c.PAIN, "Pain (VAS mm)"),
    (c.HAQ, "HAQ-DI (0-3)"),
    (c.ESR, "ESR (mm/h)"),
    (c.CRP, "CRP (mg/L)"),
)
"""The ACR core-set components with their axis labels (units)."""


def components_over_time(ch: Any) -> Result:
    """Figure ``components_fig``: mean change from baseline with 95% CI of every core-set
    component by visit and arm (:func:`ldil2.present.efficacy_figures.plot_components` of
    :data:`COMPONENTS`). The figure annotates no number, so it records no ARD row."""
    return Result(figures={"components_fig": plot_components(in_population(ch), COMPONENTS)})


FOREST_ENDPOINTS: tuple[str, ...] = (
    ACR20,
    ACR50,
    ACR70,
    remission_col(DAS28_ESR),
    remission_col(DAS28_CRP),
    *REMISSION_LDA,
    *BOOLEAN_REMISSION,
    EULAR_GOOD,
    EULAR_ANY,
    HAQ_MCID_COLUMN,
)
"""Every binary endpoint of the efficacy chapters, in the order of the forest plot."""


def forest_week24(ch: Any) -> Result:
    """Every binary endpoint at week 24 as a risk difference with its Newcombe 95% CI: figure
    ``forest_fig`` (drawn from the ARD rows of the table) and table ``forest_table``."""
    ard = Ard(CHAPTER, ch.population)
    comparisons = [binary(ard, ch, e, c.LAST_WEEK) for e in FOREST_ENDPOINTS]
    labels = [endpoint_label(e) for e in FOREST_ENDPOINTS]
    differences = [ids["difference"] for ids in comparisons]
    return Result(
        tables={"forest_table": comparison_table(ch, ard, comparisons, "Binary endpoints")},
        figures={"forest_fig": plot_forest(ard, differences, labels)},
        ard=ard,
    )
