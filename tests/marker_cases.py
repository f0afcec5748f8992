"""Small hand-made biomarker frames shared by the tests of ldil2.derive.markers,
ldil2.stats.markers, ldil2.present.markers and ldil2.book.biomarkers (import
``from marker_cases import ...``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldil2 import contract as c


def marker_subjects(arms: list[str]) -> pd.DataFrame:
    """One participant per entry of ``arms`` (S0, S1, ...), all female, per-protocol and in the
    safety population."""
    n = len(arms)
    return pd.DataFrame(
        {
            c.SUBJECT_ID: [f"S{i}" for i in range(n)],
            c.ARM: arms,
            c.SEX: ["F"] * n,
            c.PER_PROTOCOL: pd.array([True] * n, dtype="boolean"),
            c.SAFETY: pd.array([True] * n, dtype="boolean"),
        }
    )


def immunology_frame(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    """(subject, week, treg %, th17 %) rows; other markers filled with a constant."""
    frame = pd.DataFrame(rows, columns=[c.SUBJECT_ID, c.WEEK, "treg_pct_cd4", "th17_pct_cd4"])
    for measure in c.IMMUNOLOGY_MEASURES:
        if measure not in frame:
            frame[measure] = 1.0
    frame[c.WEEK] = frame[c.WEEK].astype("Int64")
    return frame


def marker_frame(seed: int = 3, n: int = 40) -> pd.DataFrame:
    """``n`` participants, arms alternating (Ld-IL2 first), a normal IL-21 value (mean 5, SD 2)
    and a response whose log-odds rise with IL-21 in the Ld-IL2 arm only."""
    rng = np.random.default_rng(seed)
    marker = rng.normal(5, 2, size=n)
    arm = np.where(np.arange(n) % 2 == 0, c.ARM_LDIL2, c.ARM_PLACEBO)
    logit = -0.5 + 0.6 * (marker - 5) * (arm == c.ARM_LDIL2)
    response = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            c.SUBJECT_ID: [f"S{i}" for i in range(n)],
            c.ARM: arm,
            "il21_pg_ml": marker,
            "response": response,
        }
    )
