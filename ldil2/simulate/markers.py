"""Immunology (T-cell subsets, cytokines) and laboratory values of a simulated release, at the
scenario's sampling weeks and the visits each participant attended."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ldil2 import contract as c
from ldil2.simulate.scenario import Scenario, lognormal

DOSING_WEEKS = c.DOSES_PER_CYCLE * c.DOSE_INTERVAL_DAYS // c.DAYS_PER_WEEK
"""Weeks of injections in a cycle (7 doses, 2 days apart: 2 weeks); then the break."""

CYTOKINE_FALL = 0.3
"""Cytokines fall by this fraction of the latent improvement (inflammation settles)."""


def treg_factor(week: int, rise: np.ndarray, residual: float) -> np.ndarray:
    """Multiplicative Treg % change on Ld-IL2 at `week`: ``1 + rise`` at the end of a dosing
    cycle, ``1 + residual * rise`` after the cycle's break (up to the end of treatment), 1
    before dosing and at follow-up."""
    starts = c.DOSING_CYCLE_START_WEEKS
    cycle_weeks = starts[1] - starts[0]
    for start in starts:
        if week == start + DOSING_WEEKS:
            return 1 + rise
        if week == start + cycle_weeks and week <= c.END_OF_TREATMENT_WEEK:
            return 1 + residual * rise
    return np.ones_like(rise)


def _baseline_markers(
    rng: np.random.Generator, s: Scenario, z: dict[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    """Baseline immunology, lognormal; Treg % and IL-21 from the standard normals `z` that also
    set the effect modifier."""
    a = s.a
    return {
        c.CD4: lognormal(rng, a["baseline_cd4_per_ul"], n),
        c.TREG_PCT: np.exp(
            np.log(a["baseline_treg_pct_cd4"]["median"])
            + a["baseline_treg_pct_cd4"]["log_sd"] * z["treg"]
        ),
        c.TH17_PCT: lognormal(rng, a["baseline_th17_pct_cd4"], n),
        c.IL21: np.exp(
            np.log(a["baseline_il21_pg_ml"]["median"])
            + a["baseline_il21_pg_ml"]["log_sd"] * z["il21"]
        ),
        c.IL6: lognormal(rng, a["baseline_il6_pg_ml"], n),
        c.IL17A: lognormal(rng, a["baseline_il17a_pg_ml"], n),
    }


def draw_immunology(
    rng: np.random.Generator,
    s: Scenario,
    subjects: pd.DataFrame,
    assessments: pd.DataFrame,
    z: dict[str, np.ndarray],
    latent: np.ndarray,
) -> pd.DataFrame:
    """immunology.csv at the scenario's ``immunology_weeks`` the participant attended: baseline
    values times lognormal noise; Treg % follows the dosing cycles on Ld-IL2
    (:func:`treg_factor`), Treg per µL = CD4 x Treg % / 100, cytokines fall with the latent
    improvement (:data:`CYTOKINE_FALL`)."""
    a = s.a
    n = len(subjects)
    on = (subjects[c.ARM] == c.ARM_LDIL2).to_numpy()
    base = _baseline_markers(rng, s, z, n)
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
            base[c.TREG_PCT] * treg_factor(week, rise, a["treg_residual_after_break"])
            * noise[c.TREG_PCT],
            0,
            100,
        )  # fmt: skip
        cd4 = base[c.CD4] * noise[c.CD4]
        calm = 1 - CYTOKINE_FALL * improvement
        frames.append(
            pd.DataFrame(
                {
                    c.SUBJECT_ID: subjects[c.SUBJECT_ID].to_numpy(),
                    c.WEEK: week,
                    c.CD4: cd4,
                    c.TREG_PCT: treg,
                    c.TREG_PER_UL: cd4 * treg / 100,
                    c.TH17_PCT: base[c.TH17_PCT] * noise[c.TH17_PCT],
                    c.IL21: base[c.IL21] * noise[c.IL21] * calm,
                    c.IL6: base[c.IL6] * noise[c.IL6] * calm,
                    c.IL17A: base[c.IL17A] * noise[c.IL17A] * calm,
                }
            )
        )
    return keep_attended(pd.concat(frames, ignore_index=True), assessments)


def keep_attended(frame: pd.DataFrame, assessments: pd.DataFrame) -> pd.DataFrame:
    """Rows of `frame` at visits the participant attended (a subject and week of
    `assessments`), sorted by participant and week."""
    keys = pd.MultiIndex.from_frame(assessments[[c.SUBJECT_ID, c.WEEK]])
    mask = pd.MultiIndex.from_frame(frame[[c.SUBJECT_ID, c.WEEK]]).isin(keys)
    return frame[mask].sort_values([c.SUBJECT_ID, c.WEEK], kind="stable").reset_index(drop=True)


def draw_labs(
    rng: np.random.Generator, s: Scenario, subjects: pd.DataFrame, assessments: pd.DataFrame
) -> pd.DataFrame:
    """labs.csv at the scenario's ``lab_weeks`` the participant attended: a participant level
    plus visit noise (the scenario's within-subject share of the SD), at least 5% of the mean."""
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
    return keep_attended(pd.concat(frames, ignore_index=True), assessments)
