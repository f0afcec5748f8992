"""Recorders of the individual-level outputs: time to first response (Kaplan-Meier medians and
the log-rank test), subgroup effects with their interaction P, and the waterfall's counts.

Each ``record_*`` writes the numbers of a :mod:`ldil2.stats` result as ARD rows and returns the
result_ids the presenters read back (:mod:`ldil2.present.individual`).
"""

from __future__ import annotations

from typing import Any

from ldil2 import contract as c
from ldil2.derive.subgroups import SUBGROUPS
from ldil2.results.ard import Ard


def record_time_to_event(ard: Ard, endpoint: str, label: str, result: Any) -> dict[str, str]:
    """Per arm: events (n), participants (N), median with its 95% CI (weeks; NaN = not
    reached), analysis ``kaplan_meier``; the log-rank statistic, df and P (``logrank``).

    Returns
    -------
    dict : ``{arm: id, "logrank": id}``
    """
    ids = {
        arm: ard.record(
            endpoint,
            label,
            "kaplan_meier",
            {
                "n": km.events,
                "N": km.n,
                "median": km.median,
                "lcl": km.median_low,
                "ucl": km.median_high,
            },
            group=arm,
            unit="weeks",
        )
        for arm, km in result.arms.items()
    }
    test = result.logrank
    ids["logrank"] = ard.record(
        endpoint,
        label,
        "logrank",
        {"statistic": test.statistic, "df": test.df, "p": test.p_value},
        group="difference",
    )
    return ids


def subgroup_endpoint(endpoint: str, subgroup: str, level: str) -> str:
    """The ARD endpoint of one subgroup level: ``<endpoint>_<subgroup>_<level>`` (lower case),
    e.g. ``acr20_sg_sex_f``."""
    return f"{endpoint}_{subgroup}_{level}".lower()


def subgroup_label(label: str, subgroup: str, level: str) -> str:
    """'ACR20 response, Sex: Female'."""
    sg = SUBGROUPS[subgroup]
    return f"{label}, {sg.label}: {sg.levels[level]}"


MEAN_CHANGE = "Mean change from baseline of the participants with a value."

_DIFFERENCES = {
    True: ("difference_newcombe", 100.0, "percentage points", "interaction_logistic"),
    False: ("ancova", 1.0, "index points", "interaction_ancova"),
}
"""binary? -> (analysis of the difference within a level, scale, unit, interaction analysis)."""


def record_subgroups(
    ard: Ard, endpoint: str, label: str, week: int, effects: list[Any], binary: bool
) -> dict[str, dict[str, Any]]:
    """The rows of :class:`ldil2.stats.subgroups.SubgroupEffect` results.

    Per subgroup level and arm: for a binary response (`binary`) the responders (n) and the
    participants (N) (``count``); for a change the participants (N) and the mean change
    (``mean_sd``). Per level the difference Ld-IL2 minus placebo: the Newcombe risk difference
    in percentage points (``difference_newcombe``) or the ANCOVA difference in index points
    (``ancova``). Per subgroup the interaction P (``interaction_logistic`` or
    ``interaction_ancova``, endpoint ``<endpoint>_<subgroup>``).

    Returns
    -------
    dict : subgroup -> ``{"levels": {level: {arm: id, "difference": id}}, "interaction": id}``
    """
    analysis, scale, unit, interaction = _DIFFERENCES[binary]
    out: dict[str, dict[str, Any]] = {}
    for effect in effects:
        levels = {}
        for lv in effect.levels:
            name = subgroup_endpoint(endpoint, effect.subgroup, lv.level)
            text = subgroup_label(label, effect.subgroup, lv.level)
            ids = {arm: _record_arm(ard, name, text, week, lv, arm, binary) for arm in c.ARMS}
            ids["difference"] = ard.record(
                name,
                text,
                analysis,
                {
                    "estimate": scale * lv.estimate,
                    "lcl": scale * lv.ci_low,
                    "ucl": scale * lv.ci_high,
                },  # fmt: skip
                week=week,
                group="difference",
                unit=unit,
            )
            levels[lv.level] = ids
        rid = _interaction(ard, endpoint, label, week, effect, interaction)
        out[effect.subgroup] = {"levels": levels, "interaction": rid}
    return out


def _record_arm(ard: Ard, name: str, text: str, week: int, lv: Any, arm: str, binary: bool) -> str:
    n, total = lv.counts[arm]
    if binary:
        return ard.record(name, text, "count", {"n": n, "N": total}, week=week, group=arm)
    return ard.record(name, text, "mean_sd", {"N": total, "mean": lv.means[arm]}, week=week,
                      group=arm, unit="index points", method=MEAN_CHANGE)  # fmt: skip


def _interaction(ard: Ard, endpoint: str, label: str, week: int, effect: Any, analysis: str) -> str:
    sg = SUBGROUPS[effect.subgroup]
    return ard.record(
        f"{endpoint}_{effect.subgroup}",
        f"{label}, arm-by-{sg.label.lower()} interaction",
        analysis,
        {"p": effect.interaction_p},
        week=week,
        group="difference",
    )


def record_waterfall(
    ard: Ard, endpoint: str, label: str, week: int, changes: Any
) -> dict[str, str]:
    """Per arm: participants whose change at `week` is below 0 (n, improved) of those with a
    value (N), analysis ``count``.

    Parameters
    ----------
    changes : one row per participant: arm and the change (column `endpoint`)
    """
    ids = {}
    for arm in c.ARMS:
        values = changes.loc[changes[c.ARM] == arm, endpoint].dropna()
        ids[arm] = ard.record(
            f"{endpoint}_improved",
            f"{label}: participants with a decrease (improvement)",
            "count",
            {"n": int((values < 0).sum()), "N": len(values)},
            week=week,
            group=arm,
        )
    return ids
