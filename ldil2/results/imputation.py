"""Recorders of the sensitivity analyses of the primary endpoints (Estimands chapter).

Each function takes an :class:`~ldil2.results.ard.Ard` and a result of :mod:`ldil2.stats`,
records its numbers as ARD rows and returns the result_ids:

- :func:`record_pooled`: a multiple-imputation ANCOVA (``mi_ancova``: the pooled difference with
  its fraction of missing information and the number of imputations; per arm the participants,
  those imputed and the mean outcome over the imputations), its Monte Carlo error
  (``mi_monte_carlo``) and the choice of the number of imputations (``mi_imputations``);
- :func:`record_tipping`: a tipping-point analysis (``tipping_point``: the tipping shift and the
  range of shifts tried).
"""

from __future__ import annotations

import math
from typing import Any

from ldil2 import contract as c
from ldil2.results.ard import Ard
from ldil2.stats.imputation import MultipleImputation, TippingPoint


def record_pooled(
    ard: Ard, endpoint: str, label: str, mi: MultipleImputation, unit: str, **kw: Any
) -> dict[str, str]:
    """Every number of a multiple-imputation ANCOVA (analysis ``mi_ancova``, week ``mi.week``).

    Records the pooled difference (group ``difference``: estimate, lcl, ucl, p, df, fmi and
    ``count`` = the number of imputations), its Monte Carlo standard errors (analysis
    ``mi_monte_carlo``: ``se`` of the estimate, ``p`` = the MCSE of the P value), the choice of
    the number of imputations (analysis ``mi_imputations``: ``count`` = the pilot imputations,
    ``fmi`` = the pilot's fraction of missing information, ``tolerance`` = the target
    coefficient of variation of the SE, ``estimate`` = the number von Hippel's rule gives) and
    per arm the participants (``N``), those whose outcome was imputed (``n``) and the mean
    outcome over every imputation (``mean``).

    Returns
    -------
    dict : ``{"difference": id, "monte_carlo": id, "imputations": id, arm: id}``
    """
    kw.setdefault("method", mi.description)
    pooled = mi.pooled
    ids = {
        "difference": ard.record(
            endpoint,
            label,
            "mi_ancova",
            {
                "estimate": pooled.estimate,
                "lcl": pooled.ci_low,
                "ucl": pooled.ci_high,
                "p": pooled.p_value,
                "df": pooled.df,
                "fmi": pooled.fmi,
                "count": pooled.m,
            },
            week=mi.week,
            group="difference",
            unit=unit,
            **kw,
        )
    }
    ids["monte_carlo"] = ard.record(
        endpoint, label, "mi_monte_carlo", {"se": mi.mcse.estimate, "p": mi.mcse.p_value},
        week=mi.week, group="difference", unit=unit, **kw,
    )  # fmt: skip
    ids["imputations"] = ard.record(
        endpoint, label, "mi_imputations",
        {"count": mi.pilot, "fmi": mi.pilot_fmi, "tolerance": mi.cv, "estimate": pooled.m},
        week=mi.week, **kw,
    )  # fmt: skip
    for arm in c.ARMS:
        ids[arm] = ard.record(
            endpoint,
            label,
            "mi_ancova",
            {"N": mi.n_subjects(arm), "n": mi.n_imputed(arm), "mean": mi.arm_mean(arm)},
            week=mi.week,
            group=arm,
            unit=unit,
            **kw,
        )
    return ids


def record_tipping(
    ard: Ard, endpoint: str, label: str, tp: TippingPoint, week: int, unit: str, **kw: Any
) -> str:
    """A tipping-point analysis (analysis ``tipping_point``, group ``ldil2``: the shift is
    added to the imputed Ld-IL2 outcomes): ``estimate`` = the tipping shift (NaN when no shift
    of the grid tips the result), ``min`` and ``max`` = the first and last shift of the grid,
    ``tolerance`` = the precision of the tipping shift."""
    delta = math.nan if tp.tipping_delta is None else tp.tipping_delta
    grid = tp.grid["delta"]
    return ard.record(
        endpoint,
        label,
        "tipping_point",
        {
            "estimate": delta,
            "min": float(grid.iloc[0]),
            "max": float(grid.iloc[-1]),
            "tolerance": tp.tolerance,
        },
        week=week,
        group=c.ARM_LDIL2,
        unit=unit,
        **kw,
    )
