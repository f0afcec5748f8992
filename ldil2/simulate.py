"""Simulate a data release of NCT02467504 from a scenario file and a seed.

The individual patient data of the trial are not public. This module draws a release that obeys
the data contract and is consistent with the published record. It simulates raw components only
(joint counts, globals, pain, HAQ-DI, ESR, CRP, laboratory values, cells, cytokines, adverse
events, exposure); every index, response and p-value of the book is computed from them by the ldil2
derivations. Every unpublished assumption is a named entry of the scenario's ``assumptions`` with a
value and a one-line ``why`` (:func:`assumptions_table`).

Model (all parameters are scenario entries):

- Each participant has a latent fractional improvement ``f(t) = (1 - exp(-t / tau)) * (p + a *
  d * (1 + g * m)) + u + e(t)``: ``p`` placebo plateau, ``d`` extra plateau on Ld-IL2 (``a`` = 1 on
  Ld-IL2), ``m`` the standardized effect modifier (low baseline Treg %, high baseline IL-21),
  ``u`` a participant intercept, ``e`` AR(1) visit noise. Each core-set component improves by
  ``f(t)`` plus its own noise: ``visit = baseline * (1 - improvement)``, rounded to its grid.
- Published ACR20 counts (per-protocol, weeks 12 and 24) are targets: at those visits the
  completers of each arm are ranked by ``f(t)``; the top ``k`` get components that meet the ACR20
  definition with a margin (tender and swollen counts and three other measures improved by at
  least 30%, rounded towards improvement), the others a tender or swollen count improved by at
  most 10% (rounded against). The responses themselves are computed later by the library.
- Treg % rises at the end of each Ld-IL2 dosing cycle and falls back during the break.

Output is written with fixed decimals per column, so a run with the same scenario and seed is
byte-for-byte identical.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ldil2 import contract as c
from ldil2.indices import das28_esr

# Decimals written per column (fixed formatting makes regeneration byte-for-byte).
DECIMALS: dict[str, int] = {
    c.DISEASE_DURATION: 1,
    c.MTX_DOSE: 1,
    c.PTGA: 0,
    c.PHGA: 0,
    c.PAIN: 0,
    c.HAQ: 3,
    c.ESR: 0,
    c.CRP: 1,
    "wbc_10e9_l": 2,
    "neutrophils_10e9_l": 2,
    "lymphocytes_10e9_l": 2,
    "hemoglobin_g_l": 0,
    "platelets_10e9_l": 0,
    "alt_u_l": 0,
    "ast_u_l": 0,
    "creatinine_umol_l": 0,
    "cd4_per_ul": 0,
    "treg_pct_cd4": 2,
    "treg_per_ul": 1,
    "th17_pct_cd4": 2,
    "il21_pg_ml": 1,
    "il6_pg_ml": 1,
    "il17a_pg_ml": 1,
}
RESPONDER_MARGIN = 0.30  # forced responders: improvement >= 30% (ACR20 needs 20%)
NON_RESPONDER_CEILING = 0.10  # forced non-responders: a joint count improves by <= 10%
OTHER_MEASURES = (c.PTGA, c.PHGA, c.PAIN, c.HAQ, c.CRP)  # ACR core set besides joint counts
CRP_GRID = 0.1
MAX_WORSENING = 0.5  # a component worsens by at most 50% of its baseline value
HAQ_STEP = 0.125
DAYS_PER_WEEK = 7
SCENARIO_COPY = "scenario.yml"  # name of the scenario copy inside a release
DOSING_WEEKS = c.DOSES_PER_CYCLE * c.DOSE_INTERVAL_DAYS // DAYS_PER_WEEK  # 7 doses, 2 days apart


# ---------------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read a scenario file; check that every assumption has a ``value`` and a ``why``."""
    scenario = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for section in ("release", "targets", "assumptions"):
        if section not in scenario:
            raise ValueError(f"{path}: section {section!r} missing")
    for name, entry in scenario["assumptions"].items():
        if not isinstance(entry, dict) or "value" not in entry or not entry.get("why"):
            raise ValueError(f"{path}: assumption {name!r} needs a value and a one-line why")
    return scenario


def assumptions_table(scenario: str | Path | dict[str, Any]) -> pd.DataFrame:
    """Every unpublished assumption of a scenario: name, value (as text), justification."""
    if not isinstance(scenario, dict):
        scenario = load_scenario(scenario)
    rows = [
        {"name": name, "value": _text(entry["value"]), "justification": entry["why"]}
        for name, entry in scenario["assumptions"].items()
    ]
    return pd.DataFrame(rows, columns=["name", "value", "justification"])


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


class _Scenario:
    """Attribute access to a scenario's assumption values."""

    def __init__(self, scenario: dict[str, Any]):
        self.targets = {name: entry["value"] for name, entry in scenario["targets"].items()}
        self.a = {name: entry["value"] for name, entry in scenario["assumptions"].items()}


def _targets(s: _Scenario, per_arm: int | None) -> dict[str, Any]:
    """Arm sizes, withdrawals and ACR20 responder counts, scaled to ``per_arm`` if given."""
    randomized = {arm: int(s.targets["randomized"][arm]) for arm in c.ARMS}
    withdrawals = {arm: int(s.targets["withdrawals"][arm]) for arm in c.ARMS}
    responders = {
        int(week): {arm: int(n[arm]) for arm in c.ARMS}
        for week, n in s.targets["acr20_responders"].items()
    }
    if per_arm is not None:
        scale = {arm: per_arm / randomized[arm] for arm in c.ARMS}
        completers = {arm: randomized[arm] - withdrawals[arm] for arm in c.ARMS}
        withdrawals = {arm: round(withdrawals[arm] * scale[arm]) for arm in c.ARMS}
        responders = {
            week: {
                arm: round(n[arm] / completers[arm] * (per_arm - withdrawals[arm]))
                for arm in c.ARMS
            }
            for week, n in responders.items()
        }
        randomized = dict.fromkeys(c.ARMS, per_arm)
    return {"randomized": randomized, "withdrawals": withdrawals, "responders": responders}


# ---------------------------------------------------------------------------------------------
# Participants
# ---------------------------------------------------------------------------------------------


def _lognormal(rng: np.random.Generator, spec: dict[str, float], n: int) -> np.ndarray:
    return np.exp(np.log(spec["median"]) + spec["log_sd"] * rng.standard_normal(n))


def _subjects(rng: np.random.Generator, s: _Scenario, t: dict[str, Any]) -> pd.DataFrame:
    arms = np.concatenate([np.repeat(arm, t["randomized"][arm]) for arm in c.ARMS])
    arms = rng.permutation(arms)
    n = len(arms)
    width = max(3, len(str(n)))
    ids = [f"S{i + 1:0{width}d}" for i in range(n)]
    age = np.clip(np.round(rng.normal(s.a["age_years"]["mean"], s.a["age_years"]["sd"], n)), 18, 70)
    withdrawn = np.zeros(n, dtype=bool)
    for arm in c.ARMS:
        members = np.flatnonzero(arms == arm)
        withdrawn[rng.choice(members, t["withdrawals"][arm], replace=False)] = True
    week = np.where(withdrawn, rng.choice(s.a["withdrawal_weeks"], n), 0)
    reason = np.where(withdrawn, rng.choice(s.a["withdrawal_reasons"], n), "")
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ids,
            c.ARM: arms,
            c.AGE: age.astype(int),
            c.SEX: np.where(rng.random(n) < s.a["female_fraction"], "F", "M"),
            c.DISEASE_DURATION: _lognormal(rng, s.a["disease_duration_years"], n),
            c.RF_POSITIVE: rng.random(n) < s.a["rf_positive_fraction"],
            c.ACPA_POSITIVE: rng.random(n) < s.a["acpa_positive_fraction"],
            c.MTX_DOSE: rng.choice(np.asarray(s.a["mtx_dose_mg_week"], dtype=float), n),
            c.COMPLETED: ~withdrawn,
            c.WITHDRAWAL_WEEK: pd.Series(week, dtype="Int64").where(withdrawn),
            c.WITHDRAWAL_REASON: reason,
            c.ITT: True,
            c.SAFETY: True,
            c.PER_PROTOCOL: ~withdrawn,
        }
    )


def _baseline(rng: np.random.Generator, s: _Scenario, n: int) -> pd.DataFrame:
    """Baseline components; participants are redrawn until DAS28-ESR exceeds the margin."""
    frame = _draw_baseline(rng, s, n)
    while True:
        low = das28_esr(frame[c.TJC28], frame[c.SJC28], frame[c.ESR], frame[c.PTGA]).to_numpy()
        redo = np.flatnonzero(low <= s.a["min_baseline_das28_esr"])
        if redo.size == 0:
            return frame
        fresh = _draw_baseline(rng, s, redo.size)
        frame.iloc[redo] = fresh.to_numpy()


def _draw_baseline(rng: np.random.Generator, s: _Scenario, n: int) -> pd.DataFrame:
    a = s.a
    tjc28 = np.clip(np.round(rng.normal(a["baseline_tjc28"]["mean"], a["baseline_tjc28"]["sd"], n)),
                    a["baseline_tjc28"]["min"], 28)  # fmt: skip
    sjc28 = np.clip(np.round(rng.normal(a["baseline_sjc28"]["mean"], a["baseline_sjc28"]["sd"], n)),
                    a["baseline_sjc28"]["min"], 28)  # fmt: skip
    g = a["baseline_globals_mm"]
    vas = {
        col: np.clip(np.round(rng.normal(g[key], g["sd"], n)), 10, 100)
        for col, key in ((c.PTGA, "ptga"), (c.PHGA, "phga"), (c.PAIN, "pain"))
    }
    h = a["baseline_haq_di"]
    haq = np.clip(np.round(rng.normal(h["mean"], h["sd"], n) / HAQ_STEP) * HAQ_STEP, h["min"], 3)
    return pd.DataFrame(
        {
            c.TJC28: tjc28,
            c.SJC28: sjc28,
            "extra_tender": rng.poisson(a["extra_joints_68"]["tender"], n).astype(float),
            "extra_swollen": rng.poisson(a["extra_joints_68"]["swollen"], n).astype(float),
            **vas,
            c.HAQ: haq,
            c.ESR: np.maximum(np.round(_lognormal(rng, a["baseline_esr_mm_h"], n)), 2.0),
            c.CRP: np.maximum(np.round(_lognormal(rng, a["baseline_crp_mg_l"], n), 1), 1.0),
        }
    )


# ---------------------------------------------------------------------------------------------
# Latent improvement and clinical assessments
# ---------------------------------------------------------------------------------------------


def _latent(
    rng: np.random.Generator, s: _Scenario, on_ldil2: np.ndarray, modifier: np.ndarray
) -> np.ndarray:
    """Latent fractional improvement, participants x visit weeks (week 0 = 0)."""
    a = s.a
    weeks = np.asarray(a["visit_weeks"], dtype=float)
    n = on_ldil2.size
    build_up = 1 - np.exp(-weeks / a["improvement_time_constant_weeks"])
    plateau = a["improvement_placebo"] + on_ldil2 * a["improvement_ldil2_extra"] * (
        1 + a["effect_modifier"] * modifier
    )
    rho, sd = a["visit_autocorrelation"], a["visit_sd"]
    noise = np.empty((n, weeks.size))
    noise[:, 0] = rng.normal(0, sd, n)
    for j in range(1, weeks.size):
        noise[:, j] = rho * noise[:, j - 1] + math.sqrt(1 - rho**2) * rng.normal(0, sd, n)
    latent = build_up * plateau[:, None] + rng.normal(0, a["subject_sd"], n)[:, None] + noise
    latent[:, weeks == c.BASELINE_WEEK] = 0.0
    return latent


def _forced_status(
    latent: np.ndarray, subjects: pd.DataFrame, s: _Scenario, t: dict[str, Any]
) -> np.ndarray:
    """+1 forced ACR20 responder, -1 forced non-responder, 0 free; participants x visit weeks."""
    weeks = list(s.a["visit_weeks"])
    status = np.zeros(latent.shape, dtype=int)
    completers = subjects[c.PER_PROTOCOL].to_numpy()
    for week, counts in t["responders"].items():
        j = weeks.index(week)
        for arm in c.ARMS:
            members = np.flatnonzero(completers & (subjects[c.ARM].to_numpy() == arm))
            order = members[np.argsort(-latent[members, j], kind="stable")]
            status[order[: counts[arm]], j] = 1
            status[order[counts[arm] :], j] = -1
    return status


def _to_grid(value: np.ndarray, step: float, mode: np.ndarray) -> np.ndarray:
    """Round to a grid: towards lower values where mode = +1, higher where -1, nearest if 0."""
    scaled = value / step
    return (
        np.select([mode > 0, mode < 0], [np.floor(scaled), np.ceil(scaled)], np.round(scaled))
        * step
    )


def _assessments(
    rng: np.random.Generator,
    s: _Scenario,
    subjects: pd.DataFrame,
    base: pd.DataFrame,
    latent: np.ndarray,
    status: np.ndarray,
) -> pd.DataFrame:
    a = s.a
    n, v = latent.shape
    parts = ["tender", "swollen", *OTHER_MEASURES, c.ESR]
    at_baseline = np.asarray(a["visit_weeks"]) == c.BASELINE_WEEK
    gain = {
        p: np.where(at_baseline, 0.0, np.clip(latent + rng.normal(0, a["component_sd"], (n, v)),
                                              -MAX_WORSENING, 1.0))
        for p in parts
    }  # fmt: skip
    # forced responders: both counts and the three best other measures improve >= the margin
    others = np.stack([gain[m] for m in OTHER_MEASURES])
    best3 = np.argsort(-others, axis=0, kind="stable")[:3]
    mode = {p: np.where(status > 0, 1, 0) for p in parts}
    for p in ("tender", "swollen"):
        gain[p] = np.where(status > 0, np.maximum(gain[p], RESPONDER_MARGIN), gain[p])
    for k, m in enumerate(OTHER_MEASURES):
        chosen = (status > 0) & (best3 == k).any(axis=0)
        gain[m] = np.where(chosen, np.maximum(gain[m], RESPONDER_MARGIN), gain[m])
        mode[m] = np.where(chosen, 1, 0)
    # forced non-responders: one joint count (tender or swollen) improves by at most the ceiling
    which = rng.random((n, v)) < 0.5
    for p, pick in (("tender", which), ("swollen", ~which)):
        capped = (status < 0) & pick
        gain[p] = np.where(capped, np.minimum(gain[p], NON_RESPONDER_CEILING), gain[p])
        mode[p] = np.where(capped, -1, mode[p])

    def visit(col: str, part: str, step: float, high: float) -> np.ndarray:
        value = base[col].to_numpy()[:, None] * (1 - gain[part])
        return np.clip(_to_grid(value, step, mode[part]), 0, high)

    tjc28 = visit(c.TJC28, "tender", 1, 28)
    sjc28 = visit(c.SJC28, "swollen", 1, 28)
    values = {
        c.TJC28: tjc28,
        c.SJC28: sjc28,
        c.TJC68: tjc28 + visit("extra_tender", "tender", 1, 40),
        c.SJC66: sjc28 + visit("extra_swollen", "swollen", 1, 38),
        c.PTGA: visit(c.PTGA, c.PTGA, 1, 100),
        c.PHGA: visit(c.PHGA, c.PHGA, 1, 100),
        c.PAIN: visit(c.PAIN, c.PAIN, 1, 100),
        c.HAQ: visit(c.HAQ, c.HAQ, HAQ_STEP, 3),
        c.ESR: np.maximum(np.round(base[c.ESR].to_numpy()[:, None] * (1 - 0.6 * gain[c.ESR])), 2.0),
        c.CRP: visit(c.CRP, c.CRP, CRP_GRID, 300),
    }
    weeks = np.asarray(a["visit_weeks"])
    attended = _attended(rng, s, subjects, weeks)
    rows = np.argwhere(attended)
    frame = pd.DataFrame(
        {
            c.SUBJECT_ID: subjects[c.SUBJECT_ID].to_numpy()[rows[:, 0]],
            c.WEEK: weeks[rows[:, 1]],
        }
    )
    for col in c.ASSESSMENT_MEASURES:
        frame[col] = values[col][rows[:, 0], rows[:, 1]]
    for col in (c.TJC28, c.SJC28, c.TJC68, c.SJC66):
        frame[col] = frame[col].astype("Int64")
    return frame


def _attended(
    rng: np.random.Generator, s: _Scenario, subjects: pd.DataFrame, weeks: np.ndarray
) -> np.ndarray:
    """Attended visits: up to withdrawal, less missed visits (never baseline, week 12 or 24)."""
    last = subjects[c.WITHDRAWAL_WEEK].fillna(c.LAST_WEEK).to_numpy(dtype=float)
    attended = weeks[None, :] <= last[:, None]
    protected = np.isin(weeks, [c.BASELINE_WEEK, c.END_OF_TREATMENT_WEEK, c.LAST_WEEK])
    missed = (rng.random(attended.shape) < s.a["missed_visit_probability"]) & ~protected
    return attended & ~missed


# ---------------------------------------------------------------------------------------------
# Immunology, labs, exposure, adverse events
# ---------------------------------------------------------------------------------------------


def _treg_factor(week: int, rise: np.ndarray, residual: float) -> np.ndarray:
    """Multiplicative Treg % change on Ld-IL2 at ``week``: the full rise at the end of a dosing
    cycle, ``residual`` of it after the cycle's break, none before dosing or at follow-up."""
    starts = c.DOSING_CYCLE_START_WEEKS
    cycle_weeks = starts[1] - starts[0]
    for start in starts:
        if week == start + DOSING_WEEKS:
            return 1 + rise
        if week == start + cycle_weeks and week <= c.END_OF_TREATMENT_WEEK:
            return 1 + residual * rise
    return np.ones_like(rise)


def _immunology(
    rng: np.random.Generator,
    s: _Scenario,
    subjects: pd.DataFrame,
    assessments: pd.DataFrame,
    z: dict[str, np.ndarray],
    latent: np.ndarray,
) -> pd.DataFrame:
    a = s.a
    n = len(subjects)
    on = (subjects[c.ARM] == c.ARM_LDIL2).to_numpy()
    base = {
        "cd4_per_ul": _lognormal(rng, a["baseline_cd4_per_ul"], n),
        "treg_pct_cd4": np.exp(
            np.log(a["baseline_treg_pct_cd4"]["median"])
            + a["baseline_treg_pct_cd4"]["log_sd"] * z["treg"]
        ),
        "th17_pct_cd4": _lognormal(rng, a["baseline_th17_pct_cd4"], n),
        "il21_pg_ml": np.exp(
            np.log(a["baseline_il21_pg_ml"]["median"])
            + a["baseline_il21_pg_ml"]["log_sd"] * z["il21"]
        ),
        "il6_pg_ml": _lognormal(rng, a["baseline_il6_pg_ml"], n),
        "il17a_pg_ml": _lognormal(rng, a["baseline_il17a_pg_ml"], n),
    }
    rise = (
        np.clip(
            rng.normal(a["treg_rise_end_of_cycle"]["mean"], a["treg_rise_end_of_cycle"]["sd"], n),
            0,
            None,
        )
        * on
    )
    visit_weeks = list(a["visit_weeks"])
    frames = []
    for week in a["immunology_weeks"]:
        improvement = np.clip(latent[:, visit_weeks.index(week)], 0, 1)
        noise = {k: np.exp(a["biomarker_noise_log_sd"] * rng.standard_normal(n)) for k in base}
        treg = np.clip(
            base["treg_pct_cd4"] * _treg_factor(week, rise, a["treg_residual_after_break"])
            * noise["treg_pct_cd4"],
            0,
            100,
        )  # fmt: skip
        cd4 = base["cd4_per_ul"] * noise["cd4_per_ul"]
        calm = 1 - 0.3 * improvement  # cytokines fall as inflammation improves
        frames.append(
            pd.DataFrame(
                {
                    c.SUBJECT_ID: subjects[c.SUBJECT_ID].to_numpy(),
                    c.WEEK: week,
                    "cd4_per_ul": cd4,
                    "treg_pct_cd4": treg,
                    "treg_per_ul": cd4 * treg / 100,
                    "th17_pct_cd4": base["th17_pct_cd4"] * noise["th17_pct_cd4"],
                    "il21_pg_ml": base["il21_pg_ml"] * noise["il21_pg_ml"] * calm,
                    "il6_pg_ml": base["il6_pg_ml"] * noise["il6_pg_ml"] * calm,
                    "il17a_pg_ml": base["il17a_pg_ml"] * noise["il17a_pg_ml"] * calm,
                }
            )
        )
    return _keep_attended(pd.concat(frames, ignore_index=True), assessments)


def _keep_attended(frame: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Rows at visits the participant attended, sorted by participant and week."""
    keys = pd.MultiIndex.from_frame(assessments[[c.SUBJECT_ID, c.WEEK]])
    mask = pd.MultiIndex.from_frame(frame[[c.SUBJECT_ID, c.WEEK]]).isin(keys)
    return frame[mask].sort_values([c.SUBJECT_ID, c.WEEK], kind="stable").reset_index(drop=True)


def _labs(
    rng: np.random.Generator, s: _Scenario, subjects: pd.DataFrame, assessments: pd.DataFrame
) -> pd.DataFrame:
    a = s.a
    n = len(subjects)
    within = a["lab_within_subject_sd_fraction"]
    level = {
        col: rng.normal(spec["mean"], spec["sd"] * math.sqrt(1 - within**2), n)
        for col, spec in a["labs"].items()
    }
    frames = []
    for week in a["lab_weeks"]:
        values = {
            col: np.maximum(level[col] + rng.normal(0, spec["sd"] * within, n), 0.05 * spec["mean"])
            for col, spec in a["labs"].items()
        }
        frames.append(
            pd.DataFrame({c.SUBJECT_ID: subjects[c.SUBJECT_ID].to_numpy(), c.WEEK: week, **values})
        )
    return _keep_attended(pd.concat(frames, ignore_index=True), assessments)


def _exposure(rng: np.random.Generator, s: _Scenario, subjects: pd.DataFrame) -> pd.DataFrame:
    n = len(subjects)
    last = subjects[c.WITHDRAWAL_WEEK].fillna(c.LAST_WEEK + 1).to_numpy(dtype=float)
    frames = []
    for cycle, start in enumerate(c.DOSING_CYCLE_START_WEEKS, start=1):
        missed = (rng.random(n) < s.a["doses_missed_probability"]).astype(int)
        received = np.where(start < last, c.DOSES_PER_CYCLE - missed, 0)
        frames.append(
            pd.DataFrame(
                {
                    c.SUBJECT_ID: subjects[c.SUBJECT_ID].to_numpy(),
                    c.CYCLE: cycle,
                    c.DOSES_PLANNED: c.DOSES_PER_CYCLE,
                    c.DOSES_RECEIVED: received,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values([c.SUBJECT_ID, c.CYCLE], kind="stable").reset_index(drop=True)


def _adverse_events(rng: np.random.Generator, s: _Scenario, subjects: pd.DataFrame) -> pd.DataFrame:
    a = s.a
    n = len(subjects)
    arms = subjects[c.ARM].to_numpy()
    days_on_study = subjects[c.WITHDRAWAL_WEEK].fillna(c.LAST_WEEK).to_numpy(float) * DAYS_PER_WEEK
    days_on_study = np.maximum(days_on_study, 1)
    rows = []
    for event in a["adverse_events"]:
        risk = np.where(arms == c.ARM_LDIL2, event[c.ARM_LDIL2], event[c.ARM_PLACEBO])
        occurs = rng.random(n) < risk
        onset = 1 + np.floor(rng.random(n) * days_on_study).astype(int)
        duration = rng.geometric(1 / event["days"], n)
        grade = np.where(rng.random(n) < a["grade_2_probability"], 2, 1)
        for i in np.flatnonzero(occurs):
            rows.append(
                {
                    c.SUBJECT_ID: subjects[c.SUBJECT_ID].iat[i],
                    c.AE_TERM: event["term"],
                    c.AE_SOC: event["soc"],
                    c.AE_ONSET_DAY: onset[i],
                    c.AE_END_DAY: onset[i] + duration[i] - 1,
                    c.AE_GRADE: grade[i],
                    c.AE_SERIOUS: False,
                    c.AE_RELATED: bool(event["related"]),
                    c.AE_LED_TO_WITHDRAWAL: False,
                }
            )
    columns = [c.SUBJECT_ID, c.AE_TERM, c.AE_SOC, c.AE_ONSET_DAY, c.AE_END_DAY, c.AE_GRADE,
               c.AE_SERIOUS, c.AE_RELATED, c.AE_LED_TO_WITHDRAWAL]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values([c.SUBJECT_ID, c.AE_ONSET_DAY, c.AE_TERM], kind="stable")
    frame.insert(0, c.AE_ID, [f"AE{i + 1:04d}" for i in range(len(frame))])
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The release
# ---------------------------------------------------------------------------------------------


def simulate(
    scenario: dict[str, Any], seed: int | None = None, per_arm: int | None = None
) -> dict[str, Any]:
    """Draw a simulated data release.

    Parameters
    ----------
    scenario : a scenario as read by :func:`load_scenario` (``release``, ``targets``,
        ``assumptions``)
    seed : seed of ``numpy.random.default_rng``; default the scenario's ``release.seed``
    per_arm : participants per arm (scale tests); withdrawals and ACR20 responder targets are
        scaled in proportion and rounded. Default: the published arm sizes (23 and 24).

    Returns
    -------
    dict : ``{file name: DataFrame}`` for every CSV of the contract (contract column names, the
        values before text formatting) and ``metadata.yml`` as a dict (title, version, data_cut,
        ``provenance: simulated``, visit schedule, seed, scenario file name).

    Notes
    -----
    Deterministic: the same scenario, seed and size give the same frames. The model is
    described in the module docstring; only raw components are drawn, never derived results.
    """
    s = _Scenario(scenario)
    seed = int(scenario["release"]["seed"] if seed is None else seed)
    rng = np.random.default_rng(seed)
    t = _targets(s, per_arm)
    subjects = _subjects(rng, s, t)
    n = len(subjects)
    base = _baseline(rng, s, n)
    z = {"treg": rng.standard_normal(n), "il21": rng.standard_normal(n)}
    modifier = (z["il21"] - z["treg"]) / math.sqrt(2)
    on_ldil2 = (subjects[c.ARM] == c.ARM_LDIL2).to_numpy(dtype=float)
    latent = _latent(rng, s, on_ldil2, modifier)
    status = _forced_status(latent, subjects, s, t)
    assessments = _assessments(rng, s, subjects, base, latent, status)
    release = {
        c.SUBJECTS: subjects,
        c.ASSESSMENTS: assessments,
        c.ADVERSE_EVENTS: _adverse_events(rng, s, subjects),
        c.LABS: _labs(rng, s, subjects, assessments),
        c.IMMUNOLOGY: _immunology(rng, s, subjects, assessments, z, latent),
        c.EXPOSURE: _exposure(rng, s, subjects),
    }
    r = scenario["release"]
    release[c.METADATA] = {
        "title": r["title"],
        "version": str(r["version"]),
        "data_cut": str(r["data_cut"]),
        "provenance": "simulated",
        c.VISIT_SCHEDULE: [int(w) for w in s.a["visit_weeks"]],
        "immunology_weeks": [int(w) for w in s.a["immunology_weeks"]],
        "lab_weeks": [int(w) for w in s.a["lab_weeks"]],
        "seed": seed,
        "scenario": SCENARIO_COPY,
        "participants_per_arm": t["randomized"],
        "generator": "ldil2.simulate",
    }
    return release


def _format(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text: fixed decimals for floats, ``true``/``false``, empty for missing."""
    out = {}
    for col in frame.columns:
        values = frame[col]
        if values.dtype == bool or str(values.dtype) == "boolean":
            text = values.map(lambda x: "" if pd.isna(x) else ("true" if x else "false"))
        elif col in DECIMALS:
            text = values.map(lambda x, d=DECIMALS[col]: "" if pd.isna(x) else f"{x:.{d}f}")
        else:
            text = values.map(lambda x: "" if pd.isna(x) else str(x))
        out[col] = text.astype(str)
    return pd.DataFrame(out)


def write_release(release: dict[str, Any], scenario_path: Path, out: Path) -> None:
    """Write a release drawn by :func:`simulate` to ``out``.

    Every CSV is written with fixed decimals per column (:data:`DECIMALS`), ``true``/``false``
    flags, empty cells for missing values and ``\\n`` line ends, so that the bytes depend only on
    the values. ``metadata.yml`` is written in key order. The scenario file is copied as
    ``scenario.yml`` and the ``published.csv`` next to it, if any, is copied too.
    """
    out.mkdir(parents=True, exist_ok=True)
    for name in c.RELEASE_TABLES:
        _format(release[name]).to_csv(out / name, index=False, lineterminator="\n")
    text = yaml.safe_dump(release[c.METADATA], sort_keys=False, allow_unicode=True)
    (out / c.METADATA).write_text(text, encoding="utf-8")
    copies = {
        scenario_path: out / SCENARIO_COPY,
        scenario_path.parent / c.PUBLISHED: out / c.PUBLISHED,
    }
    for source, target in copies.items():
        if source.is_file() and source.resolve() != target.resolve():
            shutil.copyfile(source, target)


def simulate_command(
    scenario: str | Path, seed: int | None, per_arm: int | None, out: str | Path
) -> int:
    """``python -m ldil2 simulate``: write a release to ``out``, validate it, print a summary."""
    from ldil2.data import ReleaseError, load

    scenario, out = Path(scenario), Path(out)
    release = simulate(load_scenario(scenario), seed, per_arm)
    write_release(release, scenario, out)
    try:
        loaded = load(out)
    except ReleaseError as error:
        print(f"{out}: the simulated release breaks the contract:\n{error}")
        return 1
    counts = loaded.subjects[c.ARM].value_counts().to_dict()
    print(
        f"{out}: simulated release {loaded.version}, seed {release[c.METADATA]['seed']}, {counts}"
    )
    return 0
