"""ARD rows of the immunological-marker analyses (:mod:`ldil2.stats.markers`): means by visit,
change from baseline, and baseline markers of response.

Each function records one result into an :class:`ldil2.results.ard.Ard` and returns its result
id(s); the text is written from those rows by :mod:`ldil2.present.markers`. The endpoint of a
marker result is the marker column (``chg_<marker>`` for its change from baseline); the week of a
response analysis is the week of the response.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ldil2 import contract as c
from ldil2.derive.analysis import chg_col
from ldil2.results.ard import Ard
from ldil2.stats.markers import MarkerAssociation, MarkerInteraction, RocResult

ODDS_RATIO = "odds ratio per SD"
NRI_RULE = "Non-responder imputation: a participant without a response counts as a non-responder."


def _method(sentence: str, imputation: str) -> str:
    """The row's method sentence, with the missing-response rule under ``nri``."""
    return f"{sentence} {NRI_RULE}" if imputation == "nri" else sentence


def record_means(
    ard: Ard, course: pd.DataFrame, marker: str, label: str
) -> dict[tuple[str, int], str]:
    """Record the means by arm and visit of :func:`ldil2.stats.means.mean_by_visit` (analysis
    ``mean_t``: n, mean, sd, lcl, ucl).

    Returns
    -------
    dict : (arm, week) -> id
    """
    return {
        (line[c.ARM], int(line[c.WEEK])): ard.record(
            marker,
            label,
            "mean_t",
            {
                "n": line["n"],
                "mean": line["mean"],
                "sd": line["sd"],
                "lcl": line["ci_low"],
                "ucl": line["ci_high"],
            },
            week=int(line[c.WEEK]),
            group=line[c.ARM],
        )
        for _, line in course.iterrows()
    }


def record_change(
    ard: Ard, change: pd.DataFrame, labels: Mapping[str, str]
) -> list[dict[str, object]]:
    """Record :func:`ldil2.stats.markers.summarise_marker_change`: per marker, week and arm the
    median change (analysis ``median_iqr``: n, median, q1, q3) and the rank-sum P between arms
    (``mann_whitney``, group ``difference``).

    Returns
    -------
    list : one dict per table row: ``marker``, ``week``, arm -> id, ``p`` -> id
    """
    rows: list[dict[str, object]] = []
    for _, line in change.iterrows():
        marker, week = line["marker"], int(line[c.WEEK])
        endpoint, label = chg_col(marker), f"Change from baseline in {labels[marker]}"
        row: dict[str, object] = {"marker": marker, c.WEEK: week}
        for arm in c.ARMS:
            row[arm] = ard.record(
                endpoint,
                label,
                "median_iqr",
                {
                    "n": line[f"n_{arm}"],
                    "median": line[f"median_{arm}"],
                    "q1": line[f"q1_{arm}"],
                    "q3": line[f"q3_{arm}"],
                },
                week=week,
                group=arm,
            )
        row["p"] = ard.record(
            endpoint, label, "mann_whitney", {"p": line["p"]}, week=week, group="difference"
        )
        rows.append(row)
    return rows


def record_association(
    ard: Ard, result: MarkerAssociation, label: str, week: int, imputation: str = "none"
) -> str:
    """Record a :class:`ldil2.stats.markers.MarkerAssociation` (analysis ``logistic_per_sd``:
    estimate, lcl, ucl, p; N analysed, n responders, sd of the marker)."""
    return ard.record(
        result.marker,
        label,
        "logistic_per_sd",
        {
            "estimate": result.odds_ratio,
            "lcl": result.ci_low,
            "ucl": result.ci_high,
            "p": result.p_value,
            "N": result.n,
            "n": result.responders,
            "sd": result.sd,
        },
        week=week,
        group=result.arm,
        unit=ODDS_RATIO,
        method=_method(f"{result.description}.", imputation),
        imputation=imputation,
    )


def record_interaction(
    ard: Ard, result: MarkerInteraction, label: str, week: int, imputation: str = "none"
) -> str:
    """Record a :class:`ldil2.stats.markers.MarkerInteraction` (analysis
    ``logistic_interaction``, group ``difference``: estimate = ratio of the per-SD odds ratios,
    lcl, ucl, p; N analysed, n responders)."""
    return ard.record(
        result.marker,
        label,
        "logistic_interaction",
        {
            "estimate": result.ratio,
            "lcl": result.ci_low,
            "ucl": result.ci_high,
            "p": result.p_value,
            "N": result.n,
            "n": result.responders,
        },
        week=week,
        group="difference",
        unit="ratio of odds ratios",
        method=_method(f"{result.description}.", imputation),
        imputation=imputation,
    )


def record_roc(ard: Ard, result: RocResult, label: str, week: int, imputation: str = "none") -> str:
    """Record a :class:`ldil2.stats.markers.RocResult` (analysis ``roc_delong``: estimate =
    AUC, lcl, ucl; n responders of N analysed)."""
    return ard.record(
        result.marker,
        label,
        "roc_delong",
        {
            "estimate": result.auc,
            "lcl": result.ci_low,
            "ucl": result.ci_high,
            "n": result.n_responders,
            "N": result.n_responders + result.n_non_responders,
        },
        week=week,
        group=result.arm,
        unit="AUC",
        method=_method(
            f"{result.description}; {result.direction} values taken to predict response.",
            imputation,
        ),
        imputation=imputation,
    )


def record_sample(
    ard: Ard, sample: pd.DataFrame, label: str, week: int
) -> dict[str, dict[str, str]]:
    """Record :func:`ldil2.stats.markers.summarise_marker_sample` per arm: responders
    (endpoint ``marker_sample_responders``) and non-responders (``marker_sample_non_responders``),
    n of N participants (analysis ``count``).

    Returns
    -------
    dict : arm -> {"responders": id, "non_responders": id}
    """
    ids: dict[str, dict[str, str]] = {}
    for _, line in sample.iterrows():
        ids[line[c.ARM]] = {
            kind: ard.record(
                f"marker_sample_{kind}",
                f"{label}: {kind.replace('_', '-')}",
                "count",
                {"n": line[kind], "N": line["n"]},
                week=week,
                group=line[c.ARM],
            )
            for kind in ("responders", "non_responders")
        }
    return ids


def record_detectable_or(
    ard: Ard,
    odds_ratio: float,
    n: int,
    responders: int,
    power: float,
    label: str,
    week: int,
    imputation: str = "none",
) -> str:
    """Record the smallest detectable odds ratio per SD (:func:`ldil2.stats.markers.
    detectable_odds_ratio`; analysis ``detectable_or``: estimate, n responders of N)."""
    return ard.record(
        "marker_detectable_or",
        label,
        "detectable_or",
        {"estimate": odds_ratio, "n": responders, "N": n},
        week=week,
        group=c.ARM_LDIL2,
        unit=ODDS_RATIO,
        method=_method(
            f"Smallest odds ratio per SD of a normal baseline marker that a two-sided 5% Wald "
            f"test detects with {100 * power:.0f}% power, given the participants and the "
            "response rate (Hsieh, Bloch and Larsen, Stat Med 1998;17:1623-34, formula 1).",
            imputation,
        ),
        imputation=imputation,
    )
