"""Descriptive statistics of one characteristic in one group: mean and SD, median and quartiles,
or the number and percentage with a level; the number missing is counted in each.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

MEAN_SD, MEDIAN_IQR, COUNT = "mean_sd", "median_iqr", "count"
SUMMARIES: tuple[str, ...] = (MEAN_SD, MEDIAN_IQR, COUNT)
"""The kinds of summary (the ARD analysis ids of their rows)."""


def describe(values: pd.Series, kind: str, level: Any = True) -> dict[str, float]:
    """Summary statistics of the non-missing `values`.

    Parameters
    ----------
    values : one characteristic of the participants of one group (missing values allowed)
    kind : ``mean_sd``, ``median_iqr`` or ``count`` (participants whose value equals `level`)
    level : the value counted by ``count`` (e.g. True, or "F")

    Returns
    -------
    dict : always ``missing`` (number of missing values) and ``n`` (number known, the percent's
        denominator ``N`` for ``count``); ``mean_sd``: ``mean``, ``sd`` (sample SD, n - 1; NaN
        when n < 2); ``median_iqr``: ``median``, ``q1``, ``q3`` (numpy linear interpolation);
        ``count``: ``n`` participants with `level`, ``N`` known, ``percent`` = 100 n / N.
        Statistics of no known value are NaN.

    Raises
    ------
    ValueError : an unknown kind
    """
    if kind not in SUMMARIES:
        raise ValueError(f"kind: {kind!r} violates one of {SUMMARIES}")
    known = values.dropna()
    out: dict[str, float] = {"missing": len(values) - len(known)}
    if kind == COUNT:
        hits = int((known == level).sum())
        share = 100 * hits / len(known) if len(known) else math.nan
        return out | {"n": hits, "N": len(known), "percent": share}
    x = known.astype(float)
    out["n"] = len(x)
    if kind == MEAN_SD:
        mean = float(x.mean()) if len(x) else math.nan
        return out | {"mean": mean, "sd": float(x.std()) if len(x) > 1 else math.nan}
    q1, q2, q3 = np.percentile(x, [25, 50, 75]) if len(x) else (math.nan,) * 3
    return out | {"median": float(q2), "q1": float(q1), "q3": float(q3)}
