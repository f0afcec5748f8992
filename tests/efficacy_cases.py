"""Hand-made efficacy results shared by the tests of ldil2.present.endpoints and ldil2.book.efficacy
(import ``from efficacy_cases import ...``)."""

from __future__ import annotations

import pandas as pd

from ldil2 import contract as c
from ldil2.stats.longitudinal import LongitudinalResult


def across_odds_ratio() -> LongitudinalResult:
    """A logistic GEE across visits: odds ratio 2.5 (95% CI 1.1 to 5.7), P = 0.0142, two
    participants per arm, week 24 only, no per-visit rows."""
    return LongitudinalResult(
        estimate=2.5, ci_low=1.1, ci_high=5.7, p_value=0.0142, measure="odds ratio",
        per_visit=pd.DataFrame(), n_subjects={c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2},
        n_observations=4, weeks=(24,), description="Logistic GEE.",
    )  # fmt: skip
