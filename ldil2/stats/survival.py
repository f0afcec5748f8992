"""Kaplan-Meier estimates, median time with its confidence interval, and the log-rank test.

statsmodels' :class:`~statsmodels.duration.survfunc.SurvfuncRight` and
:func:`~statsmodels.duration.survfunc.survdiff` are used rather than lifelines: lifelines 0.30.3
requires pandas < 3.0 and the book runs on pandas 3.1.1. Expected values in the tests come from
R's survival package (``survfit`` with ``conf.type = "log-log"``, ``survdiff``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from ldil2 import contract as c
from ldil2.derive.time_to_event import EVENT, TIME


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan-Meier estimate of one group.

    Attributes
    ----------
    times : the distinct event times (weeks)
    survival : S(t) just after each event time (share without the event yet)
    n_at_risk : participants at risk just before each event time
    median, median_low, median_high : the median time and its 95% CI (weeks); NaN where the
        estimate does not fall to 0.5 ("not reached") or a limit is not reached
    events, n : events and participants of the group
    """

    times: np.ndarray = field(repr=False)
    survival: np.ndarray = field(repr=False)
    n_at_risk: np.ndarray = field(repr=False)
    median: float
    median_low: float
    median_high: float
    events: int
    n: int


def _finite(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else math.nan


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> KaplanMeier:
    """Kaplan-Meier estimate with the median and its 95% CI.

    Parameters
    ----------
    time : follow-up time (weeks), > 0
    event : True = event at `time`, False = censored at `time`

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError : no participant, or a time that is missing or not > 0

    Notes
    -----
    S(t) = prod over event times t_i <= t of (1 - d_i / n_i). The median is the smallest time with
    S(t) <= 0.5; its CI is the Brookmeyer-Crowley interval on the complementary log-log scale
    (statsmodels ``quantile_ci(method="cloglog")``, R ``survfit(conf.type = "log-log")``).

    References
    ----------
    Kaplan & Meier, J Am Stat Assoc 1958;53:457-481; Brookmeyer & Crowley, Biometrics
    1982;38:29-41.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    if time.size == 0:
        raise ValueError("time: no participant")
    bad = ~np.isfinite(time) | (time <= 0)
    if bad.any():
        raise ValueError(f"time: {time[bad][0]!r} violates 'observed and > 0'")
    fit = SurvfuncRight(time, event.astype(float))
    low, high = fit.quantile_ci(0.5) if event.any() else (math.nan, math.nan)
    return KaplanMeier(
        times=np.asarray(fit.surv_times, dtype=float),
        survival=np.asarray(fit.surv_prob, dtype=float),
        n_at_risk=np.asarray(fit.n_risk, dtype=float),
        median=_finite(fit.quantile(0.5)) if event.any() else math.nan,
        median_low=_finite(low),
        median_high=_finite(high),
        events=int(event.sum()),
        n=int(time.size),
    )


@dataclass(frozen=True)
class LogRank:
    """The two-sided log-rank test of equal survival curves: chi-square statistic (1 df), P."""

    statistic: float
    df: int
    p_value: float


def logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> LogRank:
    """Log-rank test of two groups (statsmodels ``survdiff``, unweighted).

    Raises
    ------
    ValueError : not exactly two groups

    References
    ----------
    Mantel, Cancer Chemother Rep 1966;50:163-170; Peto & Peto, J R Stat Soc A 1972;135:185-207.
    """
    group = np.asarray(group)
    if len(set(group.tolist())) != 2:
        raise ValueError(f"group: {sorted(set(group.tolist()))} violates 'exactly two groups'")
    statistic, p = survdiff(np.asarray(time, float), np.asarray(event, float), group)
    return LogRank(float(statistic), 1, float(p))


@dataclass(frozen=True)
class TimeToEvent:
    """Kaplan-Meier estimate per arm and the log-rank test between arms."""

    arms: dict[str, KaplanMeier]
    logrank: LogRank


def time_to_event_by_arm(frame: pd.DataFrame) -> TimeToEvent:
    """:func:`kaplan_meier` per arm (contract.ARMS order) and :func:`logrank` between them.

    Parameters
    ----------
    frame : one row per participant: arm, time_weeks, event
        (:func:`ldil2.derive.time_to_event.derive_time_to_response`)

    Raises
    ------
    ValueError : an arm with no participant
    """
    arms = {}
    for arm in c.ARMS:
        part = frame[frame[c.ARM] == arm]
        if part.empty:
            raise ValueError(f"arm: no participant in arm {arm!r}")
        arms[arm] = kaplan_meier(part[TIME].to_numpy(), part[EVENT].to_numpy())
    test = logrank(frame[TIME].to_numpy(), frame[EVENT].to_numpy(), frame[c.ARM].to_numpy())
    return TimeToEvent(arms, test)
