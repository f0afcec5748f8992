"""ARD rows of the safety summaries (:mod:`ldil2.stats.safety`): exposure, adverse events,
their onset against the dosing periods, laboratory shifts and the sampled visits.

Each function records the numbers of one summary frame into an :class:`ldil2.results.ard.Ard`
and returns the result ids, keyed as the table that shows them is laid out; the text is written
from those rows by :mod:`ldil2.present.safety`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ldil2 import contract as c
from ldil2.results.ard import Ard
from ldil2.stats.safety import ALL_CYCLES, LAB_STATUSES

PERCENT, POINTS = "%", "percentage points"
EXPOSURE, INCIDENCE, ONSET, SHIFT = "exposure", "ae_incidence", "ae_onset_dosing", "lab_shift"
AE_ANY = "ae_any"
"""Endpoint of the participants (and events) with any adverse event."""


def _cycle_key(cycle: str) -> tuple[str, str]:
    """(endpoint suffix, reader words) of a cycle of ldil2.stats.safety.summarise_exposure."""
    if cycle == ALL_CYCLES:
        return "all_cycles", "over all cycles"
    return f"cycle{cycle}", f"in cycle {cycle}"


def record_exposure(ard: Ard, summary: pd.DataFrame) -> dict[str, dict[str, dict[str, str]]]:
    """Record :func:`ldil2.stats.safety.summarise_exposure` (analysis ``exposure``).

    Returns
    -------
    dict : cycle (text, e.g. ``1`` or ``All``) -> arm -> ``dosed`` (n dosed of N participants),
        ``received`` (count of doses, mean per participant, percent of planned), ``planned``
        (count of doses) result ids
    """
    ids: dict[str, dict[str, dict[str, str]]] = {}
    for _, line in summary.iterrows():
        key, when = _cycle_key(line[c.CYCLE])
        arm = line[c.ARM]
        ids.setdefault(line[c.CYCLE], {})[arm] = {
            "dosed": ard.record(
                f"dosed_{key}",
                f"Participants with at least one dose {when}",
                EXPOSURE,
                {"n": line["dosed"], "N": line["participants"]},
                group=arm,
            ),
            "received": ard.record(
                f"doses_received_{key}",
                f"Doses received {when} (count, mean per participant, % of planned)",
                EXPOSURE,
                {
                    "count": line[c.DOSES_RECEIVED],
                    "mean": line["mean_doses"],
                    "percent": line["pct_planned"],
                },
                group=arm,
                unit="doses",
            ),
            "planned": ard.record(
                f"doses_planned_{key}",
                f"Doses planned {when}",
                EXPOSURE,
                {"count": line[c.DOSES_PLANNED]},
                group=arm,
                unit="doses",
            ),
        }
    return ids


def _arm_stats(line: Mapping[str, Any], arm: str) -> dict[str, float]:
    return {
        "n": line[f"n_{arm}"],
        "N": line[f"N_{arm}"],
        "percent": line[f"pct_{arm}"],
        "count": line[f"events_{arm}"],
    }


def _incidence(
    ard: Ard, endpoint: str, label: str, line: Mapping[str, Any], population: str | None
) -> dict[str, str]:
    """arm -> id of participants with an event (n, N, percent) and events (count); and
    ``difference`` -> id of the Newcombe risk difference when the line has one."""
    ids = {
        arm: ard.record(
            endpoint, label, INCIDENCE, _arm_stats(line, arm), group=arm, unit=PERCENT,
            population=population,
        )
        for arm in c.ARMS
    }  # fmt: skip
    if pd.notna(line["rd"]):
        ids["difference"] = ard.record(
            endpoint,
            label,
            "difference_newcombe",
            {"estimate": line["rd"], "lcl": line["rd_low"], "ucl": line["rd_high"]},
            group="difference",
            unit=POINTS,
            population=population,
        )
    return ids


def record_ae_overview(
    ard: Ard, overview: pd.DataFrame, labels: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Record :func:`ldil2.stats.safety.summarise_ae_overview`: per kind of event (endpoint
    ``ae_<kind>``, label from `labels`), per arm the participants with such an event (analysis
    ``ae_incidence``: n, N, percent; events as ``count``) and the Newcombe risk difference
    (``difference_newcombe``, percentage points).

    Returns
    -------
    dict : kind -> {arm: id, "difference": id}
    """
    return {
        line["category"]: _incidence(
            ard, f"ae_{line['category']}", labels[line["category"]], line, None
        )
        for _, line in overview.iterrows()
    }


def record_ae_total(ard: Ard, events: int, label: str) -> str:
    """Record the number of adverse events of both arms (endpoint ``ae_any``, stat ``count``)."""
    return ard.record(AE_ANY, label, INCIDENCE, {"count": events}, unit="events")


def _slug(text: str) -> str:
    """'Injection site reaction' -> 'injection_site_reaction' (an id part; never empty)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def record_ae_terms(
    ard: Ard, terms: pd.DataFrame, any_label: str, population: str = c.SAFETY
) -> list[dict[str, str]]:
    """Record :func:`ldil2.stats.safety.summarise_ae_terms` (analysis ``ae_incidence``; common
    terms also ``difference_newcombe``).

    Endpoints: ``ae_any`` for every event (label `any_label`), ``ae_soc_<class>`` for a system
    organ class and ``ae_pt_<term>`` for a preferred term (lower case, non-alphanumerics as
    ``_``; a second use of one id gets ``_2``, ``_3``, ... in table order), labelled with the
    class or term as recorded.

    Returns
    -------
    list : one dict per table row, in order: ``level`` (any | soc | term), ``label`` (the
        row's text), arm -> id, and ``difference`` -> id for common terms
    """
    rows, used = [], set()
    for _, line in terms.iterrows():
        level = line["level"]
        if level == "any":
            endpoint, label = AE_ANY, any_label
        else:
            label = line[c.AE_SOC] if level == "soc" else line[c.AE_TERM]
            endpoint = f"ae_{'soc' if level == 'soc' else 'pt'}_{_slug(label)}"
            base, k = endpoint, 1
            while endpoint in used:
                k += 1
                endpoint = f"{base}_{k}"
        used.add(endpoint)
        rows.append(
            {"level": level, "label": label} | _incidence(ard, endpoint, label, line, population)
        )
    return rows


def record_ae_onset(ard: Ard, onset: pd.DataFrame) -> dict[str, str]:
    """Record :func:`ldil2.stats.safety.summarise_ae_onset` (analysis ``ae_onset_dosing``):
    per arm n = events with onset in a dosing period of N events, and the percent.

    Returns
    -------
    dict : arm -> id
    """
    return {
        line[c.ARM]: ard.record(
            "ae_onset_in_dosing",
            "Adverse events (events) with onset in a dosing period",
            ONSET,
            {"n": line["in_dosing"], "N": line["events"], "percent": line["pct"]},
            group=line[c.ARM],
            unit=PERCENT,
        )
        for _, line in onset.iterrows()
    }


def record_dosing_share(ard: Ard, dosing_days: int, follow_up_days: int) -> dict[str, str]:
    """Record the study days in a dosing period (count, and percent of follow-up) and the days
    of follow-up (count), analysis ``ae_onset_dosing``.

    Returns
    -------
    dict : ``dosing`` and ``follow_up`` -> id
    """
    share = 100 * dosing_days / follow_up_days if follow_up_days else float("nan")
    return {
        "dosing": ard.record(
            "dosing_period_days",
            "Study days in a dosing period (count, % of the follow-up days)",
            ONSET,
            {"count": dosing_days, "percent": share},
            unit="days",
        ),
        "follow_up": ard.record(
            "follow_up_days", "Study days of follow-up", ONSET, {"count": follow_up_days},
            unit="days",
        ),
    }  # fmt: skip


def record_lab_shifts(
    ard: Ard, shifts: pd.DataFrame, labels: Mapping[str, str]
) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """Record :func:`ldil2.stats.safety.summarise_lab_shifts` (analysis ``lab_shift``): for each
    measure, arm and baseline status, n = participants whose worst post-baseline status is
    normal (endpoint ``<measure>_<baseline>_to_normal``) or abnormal (``..._to_abnormal``), of
    N = participants with that baseline status.

    Returns
    -------
    dict : (measure, baseline) -> arm -> {"Normal": id, "Abnormal": id} (worst status)
    """
    ids: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    posts = dict(zip(LAB_STATUSES, ("post_normal", "post_abnormal"), strict=True))
    for _, line in shifts.iterrows():
        measure, arm, baseline = line["measure"], line[c.ARM], line["baseline"]
        cell = ids.setdefault((measure, baseline), {}).setdefault(arm, {})
        for status, column in posts.items():
            words = f"{baseline.lower()} at baseline, {status.lower()} at the worst later value"
            cell[status] = ard.record(
                f"{measure}_{baseline.lower()}_to_{status.lower()}",
                f"{labels[measure]}: {words}",
                SHIFT,
                {"n": line[column], "N": line["n"]},
                group=arm,
                method=(
                    f"Participants {baseline.lower()} at baseline (reference range) whose worst "
                    f"post-baseline value was {status.lower()}, of those {baseline.lower()} at "
                    "baseline with a post-baseline value."
                ),
            )
    return ids


def record_sampled_weeks(
    ard: Ard, counts: Mapping[int, int], endpoint: str, label: str
) -> dict[int, str]:
    """Record the participants sampled at each visit (analysis ``count``, stat ``n``, by week).

    Returns
    -------
    dict : week -> id, in increasing week order
    """
    return {
        week: ard.record(endpoint, label, "count", {"n": counts[week]}, week=week)
        for week in sorted(counts)
    }


def record_sampled_arms(
    ard: Ard, counts: Mapping[str, int], endpoint: str, label: str
) -> dict[str, str]:
    """Record the participants sampled at least once per arm (analysis ``count``, stat ``n``).

    Returns
    -------
    dict : arm -> id
    """
    return {
        arm: ard.record(endpoint, label, "count", {"n": counts[arm]}, group=arm) for arm in c.ARMS
    }
