"""Recorders of the efficacy results that :class:`ldil2.results.ard.Ard` has no method for.

Each function takes an :class:`~ldil2.results.ard.Ard` and a result of :mod:`ldil2.stats` (or a
frame of counts), records every number of it as ARD rows and returns the result_ids, so that
:mod:`ldil2.present` can render the tables and texts from the rows:

- :func:`record_gee`: a logistic GEE across visits (``gee_logit``: the across-visit odds ratio,
  the participants per arm in the model and the per-visit odds ratios), its per-visit
  model-based risk differences (``gee_risk_difference``) and the across-visit Wald result kept
  as sensitivity analysis (``gee_logit_wald``);
- :func:`record_mixed`: a linear mixed model for a change from baseline (``mixed_model``: the
  across-visit difference, the participants per arm and the per-visit differences, each with
  its Satterthwaite df; ``mixed_model_wald``: the across-visit Wald result, sensitivity);
- :func:`record_means`: means by arm and visit with t intervals (``mean_t``);
- :func:`record_shares`: counts and percentages of categories by arm and visit (``count``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.results.ard import Ard

ODDS_RATIO = "odds ratio"
PERCENTAGE_POINTS = "percentage points"


@dataclass(frozen=True)
class ModelIds:
    """The result_ids of one longitudinal model.

    Attributes
    ----------
    across : the across-visit effect (estimate, lcl, ucl, p)
    participants : arm -> the result holding the participants in the model (stat ``N``)
    visits : week -> the per-visit contrast (estimate, lcl, ucl, p; NaN where not estimable)
    risk_differences : week -> the per-visit risk difference (GEE only; percentage points)
    sensitivity : the across-visit effect with large-sample Wald inference (``gee_logit_wald``
        or ``mixed_model_wald``), None when the model has none (not estimable)
    """

    across: str
    participants: dict[str, str]
    visits: dict[int, str]
    risk_differences: dict[int, str] = field(default_factory=dict)
    sensitivity: str | None = None


def _participants(
    ard: Ard, endpoint: str, label: str, analysis: str, result: Any, **kw: Any
) -> dict[str, str]:
    """Participants per arm contributing to `result` (``n_subjects``), stat ``N``."""
    return {
        arm: ard.record(
            endpoint, label, analysis, {"N": result.n_subjects[arm]}, group=arm,
            method=result.description, **kw,
        )
        for arm in c.ARMS
    }  # fmt: skip


def _contrasts(
    ard: Ard,
    endpoint: str,
    label: str,
    analysis: str,
    per_visit: pd.DataFrame,
    columns: tuple[str, str, str, str | None],
    scale: float,
    **kw: Any,
) -> dict[int, str]:
    """One difference result per row of `per_visit` (week w): estimate, lcl, ucl (times
    `scale`) and p from `columns` (no p when its column is None)."""
    ids = {}
    for _, v in per_visit.iterrows():
        limits = zip(("estimate", "lcl", "ucl"), columns[:3], strict=True)
        values = {stat: scale * v[col] for stat, col in limits}
        if columns[3] is not None:
            values["p"] = v[columns[3]]
        ids[int(v[c.WEEK])] = ard.record(
            endpoint, label, analysis, values, week=int(v[c.WEEK]), group="difference", **kw
        )
    return ids


GEE_ANALYSES: tuple[str, ...] = ("gee_logit", "gee_risk_difference", "gee_logit_wald")
"""The analyses :func:`record_gee` records (the across-visit odds ratio first; each
``<analysis>_nri`` on non-responder-imputed data)."""

MIXED_ANALYSES: tuple[str, ...] = ("mixed_model", "mixed_model_wald")
"""The analyses :func:`record_mixed` records (the across-visit difference first)."""

MODEL_COLUMNS = ("estimate", "ci_low", "ci_high", "p_value")
RISK_DIFFERENCE_COLUMNS = ("risk_difference", "rd_ci_low", "rd_ci_high", None)


def record_gee(ard: Ard, endpoint: str, label: str, result: Any, **kw: Any) -> ModelIds:
    """Every number of a logistic GEE (:func:`ldil2.stats.longitudinal.gee_binary`).

    Records the across-visit odds ratio (``gee_logit``, week empty), the participants per arm in
    the model, and per visit the odds ratio with its Wald P (``gee_logit``, week w) and the
    model-based risk difference in percentage points with its delta-method CI
    (``gee_risk_difference``, week w). A visit whose contrast is not estimable
    (``per_visit["estimable"]`` False) is recorded with NaN values. `kw` go to
    :meth:`Ard.record` (e.g. ``imputation="nri"`` for a model of imputed data).
    """
    across = ard.effect(endpoint, label, "gee_logit", result, unit=ODDS_RATIO, **kw)
    participants = _participants(ard, endpoint, label, "gee_logit", result, **kw)
    visits = _contrasts(ard, endpoint, label, "gee_logit", result.per_visit, MODEL_COLUMNS, 1.0,
                        unit=ODDS_RATIO, method=result.description, **kw)  # fmt: skip
    differences = _contrasts(
        ard, endpoint, label, "gee_risk_difference", result.per_visit, RISK_DIFFERENCE_COLUMNS,
        100.0, unit=PERCENTAGE_POINTS, **kw,
    )  # fmt: skip
    sensitivity = _sensitivity(ard, endpoint, label, "gee_logit_wald", result, ODDS_RATIO, **kw)
    return ModelIds(across, participants, visits, differences, sensitivity)


def _sensitivity(
    ard: Ard, endpoint: str, label: str, analysis: str, result: Any, unit: str, **kw: Any
) -> str | None:
    """The across-visit Wald result of a model (``result.wald``) as the sensitivity analysis
    `analysis`, with the method sentence of the model followed by that of the test; None when
    the model has none."""
    if result.wald is None:
        return None
    method = f"{result.description} {result.wald.description}"
    return ard.effect(endpoint, label, analysis, result.wald, unit=unit, method=method, **kw)


def record_mixed(
    ard: Ard, endpoint: str, label: str, result: Any, unit: str, **kw: Any
) -> ModelIds:
    """Every number of a linear mixed model (:func:`ldil2.stats.longitudinal.mixed_change`):
    the across-visit difference with its Satterthwaite df (``mixed_model``, week empty), the
    participants per arm in the model, the per-visit differences with their t-based CI, P and
    df (``mixed_model``, week w), and the across-visit Wald z result as sensitivity analysis
    (``mixed_model_wald``)."""
    across = ard.effect(endpoint, label, "mixed_model", result, unit=unit, **kw)
    ard.record(endpoint, label, "mixed_model", {"df": result.df}, group="difference",
               unit=unit, method=result.description, **kw)  # fmt: skip
    participants = _participants(ard, endpoint, label, "mixed_model", result, **kw)
    visits = _contrasts(ard, endpoint, label, "mixed_model", result.per_visit, MODEL_COLUMNS, 1.0,
                        unit=unit, method=result.description, **kw)  # fmt: skip
    for _, visit in result.per_visit.iterrows():
        ard.record(endpoint, label, "mixed_model", {"df": visit["df"]}, week=int(visit[c.WEEK]),
                   group="difference", unit=unit, method=result.description, **kw)  # fmt: skip
    sensitivity = _sensitivity(ard, endpoint, label, "mixed_model_wald", result, unit, **kw)
    return ModelIds(across, participants, visits, sensitivity=sensitivity)


def record_means(
    ard: Ard, endpoint: str, label: str, means: pd.DataFrame, unit: str, **kw: Any
) -> dict[tuple[str, int], str]:
    """n, mean and the t-based 95% CI (``mean_t``; NaN limits when n < 2) of every arm and week
    of :func:`ldil2.stats.means.mean_by_visit`; returns (arm, week) -> result_id."""
    ids = {}
    for _, row in means.iterrows():
        arm, week = str(row[c.ARM]), int(row[c.WEEK])
        ids[(arm, week)] = ard.record(
            endpoint,
            label,
            "mean_t",
            {"n": row["n"], "mean": row["mean"], "lcl": row["ci_low"], "ucl": row["ci_high"]},
            week=week,
            group=arm,
            unit=unit,
            **kw,
        )
    return ids


def record_shares(
    ard: Ard, shares: pd.DataFrame, category: str, labels: Mapping[str, str], **kw: Any
) -> dict[tuple[str, int, str], str]:
    """n, N and percent (``count``) of every arm, week and category of a frame of shares.

    Parameters
    ----------
    shares : one row per arm, week and category with ``n``, ``total`` and ``percent`` (e.g.
        the EULAR categories of :func:`ldil2.book.secondary.eular_shares`)
    category : the column of the category; the ARD endpoint is ``<category>_<level>``
    labels : level -> the reader label of the endpoint

    Returns
    -------
    dict : (arm, week, level) -> result_id
    """
    ids = {}
    for _, row in shares.iterrows():
        arm, week, level = str(row[c.ARM]), int(row[c.WEEK]), str(row[category])
        ids[(arm, week, level)] = ard.record(
            f"{category}_{level}",
            labels[level],
            "count",
            {"n": row["n"], "N": row["total"], "percent": row["percent"]},
            week=week,
            group=arm,
            unit="%",
            **kw,
        )
    return ids
