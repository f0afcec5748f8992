"""Participants, baseline components, the latent improvement and the clinical assessments of a
simulated release (model: :mod:`ldil2.simulate`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.derive.indices import das28_esr
from ldil2.simulate.scenario import Scenario, lognormal

RESPONDER_MARGIN = 0.30
"""Forced ACR20 responders: improvement >= 30% (ACR20 needs 20%)."""

NON_RESPONDER_CEILING = 0.10
"""Forced non-responders: a joint count improves by <= 10%."""

OTHER_MEASURES: tuple[str, ...] = (c.PTGA, c.PHGA, c.PAIN, c.HAQ, c.CRP)
"""The ACR core set besides the joint counts."""

CRP_GRID = 0.1
MAX_WORSENING = 0.5
"""A component worsens by at most 50% of its baseline value."""

EXTRA_TENDER, EXTRA_SWOLLEN = "extra_tender", "extra_swollen"
"""Baseline-frame columns (not in the release): joints of the 68/66 set outside the 28."""

TENDER, SWOLLEN = "tender", "swollen"
"""Improvement parts of the joint counts (the 28 and the 68/66 count share one part)."""

PROTECTED_WEEKS: tuple[int, ...] = (c.BASELINE_WEEK, c.END_OF_TREATMENT_WEEK, c.LAST_WEEK)
"""Visits never missed by a participant still in the study."""


def draw_subjects(rng: np.random.Generator, s: Scenario, t: dict[str, Any]) -> pd.DataFrame:
    """subjects.csv: arms in random order, demographics, withdrawals (exactly the targets' count
    per arm, at a scenario week and reason) and population flags (per-protocol = completers)."""
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
    female, male = c.SEXES
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ids,
            c.ARM: arms,
            c.AGE: age.astype(int),
            c.SEX: np.where(rng.random(n) < s.a["female_fraction"], female, male),
            c.DISEASE_DURATION: lognormal(rng, s.a["disease_duration_years"], n),
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


def draw_baseline(rng: np.random.Generator, s: Scenario, n: int) -> pd.DataFrame:
    """Baseline components of `n` participants (one row each); a participant is redrawn until
    DAS28-ESR exceeds the scenario's ``min_baseline_das28_esr``."""
    frame = _draw_baseline(rng, s, n)
    while True:
        low = das28_esr(frame[c.TJC28], frame[c.SJC28], frame[c.ESR], frame[c.PTGA]).to_numpy()
        redo = np.flatnonzero(low <= s.a["min_baseline_das28_esr"])
        if redo.size == 0:
            return frame
        fresh = _draw_baseline(rng, s, redo.size)
        frame.iloc[redo] = fresh.to_numpy()


def _draw_baseline(rng: np.random.Generator, s: Scenario, n: int) -> pd.DataFrame:
    """One draw of the baseline components: normal joint counts, globals and HAQ-DI rounded to
    their grids and clipped to their ranges, Poisson extra joints of the 68/66 set, lognormal
    ESR (>= 2 mm/h) and CRP (>= 1 mg/L)."""
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
    step = c.HAQ_STEP
    haq = np.clip(np.round(rng.normal(h["mean"], h["sd"], n) / step) * step, h["min"], 3)
    return pd.DataFrame(
        {
            c.TJC28: tjc28,
            c.SJC28: sjc28,
            EXTRA_TENDER: rng.poisson(a["extra_joints_68"]["tender"], n).astype(float),
            EXTRA_SWOLLEN: rng.poisson(a["extra_joints_68"]["swollen"], n).astype(float),
            **vas,
            c.HAQ: haq,
            c.ESR: np.maximum(np.round(lognormal(rng, a["baseline_esr_mm_h"], n)), 2.0),
            c.CRP: np.maximum(np.round(lognormal(rng, a["baseline_crp_mg_l"], n), 1), 1.0),
        }
    )


def draw_latent(
    rng: np.random.Generator, s: Scenario, on_ldil2: np.ndarray, modifier: np.ndarray
) -> np.ndarray:
    """Latent fractional improvement f(t), participants x visit weeks (0 at week 0): see the
    model in :mod:`ldil2.simulate`."""
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


def forced_status(
    latent: np.ndarray, subjects: pd.DataFrame, s: Scenario, t: dict[str, Any]
) -> np.ndarray:
    """+1 forced ACR20 responder, -1 forced non-responder, 0 free; participants x visit weeks.

    At each target week the completers of each arm are ranked by the latent improvement (ties in
    participant order); the top k (the target) are responders, the others non-responders.
    """
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


def to_grid(value: np.ndarray, step: float, mode: np.ndarray) -> np.ndarray:
    """Round to a grid of `step`: towards lower values where mode = +1, higher where -1, to the
    nearest where 0."""
    scaled = value / step
    return (
        np.select([mode > 0, mode < 0], [np.floor(scaled), np.ceil(scaled)], np.round(scaled))
        * step
    )


def _gains(
    rng: np.random.Generator, s: Scenario, latent: np.ndarray, status: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-part fractional improvements and rounding modes (see :func:`to_grid`), with forced
    responders and non-responders applied."""
    a = s.a
    n, v = latent.shape
    parts = [TENDER, SWOLLEN, *OTHER_MEASURES, c.ESR]
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
    for p in (TENDER, SWOLLEN):
        gain[p] = np.where(status > 0, np.maximum(gain[p], RESPONDER_MARGIN), gain[p])
    for k, m in enumerate(OTHER_MEASURES):
        chosen = (status > 0) & (best3 == k).any(axis=0)
        gain[m] = np.where(chosen, np.maximum(gain[m], RESPONDER_MARGIN), gain[m])
        mode[m] = np.where(chosen, 1, 0)
    # forced non-responders: one joint count (tender or swollen) improves by at most the ceiling
    which = rng.random((n, v)) < 0.5
    for p, pick in ((TENDER, which), (SWOLLEN, ~which)):
        capped = (status < 0) & pick
        gain[p] = np.where(capped, np.minimum(gain[p], NON_RESPONDER_CEILING), gain[p])
        mode[p] = np.where(capped, -1, mode[p])
    return gain, mode


def draw_assessments(
    rng: np.random.Generator,
    s: Scenario,
    subjects: pd.DataFrame,
    base: pd.DataFrame,
    latent: np.ndarray,
    status: np.ndarray,
) -> pd.DataFrame:
    """assessments.csv: every component at every attended visit, ``baseline * (1 -
    improvement)`` on its grid (joint counts 1, VAS 1 mm, HAQ-DI 1/8, CRP 0.1 mg/L, ESR 1 mm/h
    with 60% of the improvement, at least 2 mm/h)."""
    gain, mode = _gains(rng, s, latent, status)

    def visit(col: str, part: str, step: float, high: float) -> np.ndarray:
        value = base[col].to_numpy()[:, None] * (1 - gain[part])
        return np.clip(to_grid(value, step, mode[part]), 0, high)

    tjc28 = visit(c.TJC28, TENDER, 1, 28)
    sjc28 = visit(c.SJC28, SWOLLEN, 1, 28)
    values = {
        c.TJC28: tjc28,
        c.SJC28: sjc28,
        c.TJC68: tjc28 + visit(EXTRA_TENDER, TENDER, 1, 40),
        c.SJC66: sjc28 + visit(EXTRA_SWOLLEN, SWOLLEN, 1, 38),
        c.PTGA: visit(c.PTGA, c.PTGA, 1, 100),
        c.PHGA: visit(c.PHGA, c.PHGA, 1, 100),
        c.PAIN: visit(c.PAIN, c.PAIN, 1, 100),
        c.HAQ: visit(c.HAQ, c.HAQ, c.HAQ_STEP, 3),
        c.ESR: np.maximum(np.round(base[c.ESR].to_numpy()[:, None] * (1 - 0.6 * gain[c.ESR])), 2.0),
        c.CRP: visit(c.CRP, c.CRP, CRP_GRID, 300),
    }
    weeks = np.asarray(s.a["visit_weeks"])
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
    rng: np.random.Generator, s: Scenario, subjects: pd.DataFrame, weeks: np.ndarray
) -> np.ndarray:
    """Attended visits: up to withdrawal, less missed visits (never PROTECTED_WEEKS)."""
    last = subjects[c.WITHDRAWAL_WEEK].fillna(c.LAST_WEEK).to_numpy(dtype=float)
    attended = weeks[None, :] <= last[:, None]
    protected = np.isin(weeks, PROTECTED_WEEKS)
    missed = (rng.random(attended.shape) < s.a["missed_visit_probability"]) & ~protected
    return attended & ~missed
