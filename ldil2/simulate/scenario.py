"""A simulation scenario: reading it, its assumptions as a table, and the targets it sets.

A scenario file (``data/scenario.yml``) has three sections: ``release`` (title, version, data
cut, seed), ``targets`` (published facts the release reproduces: arm sizes, withdrawals, ACR20
responders) and ``assumptions`` (every unpublished modelling choice, each with a ``value`` and a
one-line ``why``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ldil2 import contract as c

SCENARIO_COPY = "scenario.yml"
"""Name of the scenario copy inside a release."""

SECTIONS: tuple[str, ...] = ("release", "targets", "assumptions")
"""Sections every scenario file has."""

ASSUMPTION_COLUMNS: tuple[str, ...] = ("name", "value", "justification")
"""Columns of :func:`assumptions_table`."""


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read a scenario file.

    Returns
    -------
    dict : the scenario as YAML (``release``, ``targets``, ``assumptions``)

    Raises
    ------
    ValueError : names the file and the missing section, or the assumption without a ``value``
        and a non-empty ``why``
    """
    scenario = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for section in SECTIONS:
        if section not in scenario:
            raise ValueError(f"{path}: section {section!r} missing")
    for name, entry in scenario["assumptions"].items():
        if not isinstance(entry, dict) or "value" not in entry or not entry.get("why"):
            raise ValueError(f"{path}: assumption {name!r} needs a value and a one-line why")
    return scenario


def assumptions_table(scenario: str | Path | dict[str, Any]) -> pd.DataFrame:
    """Every unpublished assumption of a scenario (a path or a loaded scenario).

    Returns
    -------
    DataFrame : one row per assumption, in file order, with ``name``, ``value`` as text (a
        mapping as ``key: value; ...``, a list as ``a, b, ...``) and ``justification`` (its why)
    """
    if not isinstance(scenario, dict):
        scenario = load_scenario(scenario)
    name, value, justification = ASSUMPTION_COLUMNS
    rows = [
        {name: key, value: _text(entry["value"]), justification: entry["why"]}
        for key, entry in scenario["assumptions"].items()
    ]
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def _text(value: Any) -> str:
    """A scenario value as text: ``key: value; ...`` for a mapping, ``a, b`` for a list."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


class Scenario:
    """Attribute access to a scenario's values: ``targets`` and ``a`` (the assumptions), each
    name -> its ``value``."""

    def __init__(self, scenario: dict[str, Any]):
        self.targets = {name: entry["value"] for name, entry in scenario["targets"].items()}
        self.a = {name: entry["value"] for name, entry in scenario["assumptions"].items()}


def targets(s: Scenario, per_arm: int | None) -> dict[str, Any]:
    """Arm sizes, withdrawals and ACR20 responder counts of the release to draw.

    Returns
    -------
    dict : ``randomized`` and ``withdrawals`` (arm code -> participants) and ``responders``
        (week -> arm code -> ACR20 responders among the completers). With ``per_arm``, every arm
        has ``per_arm`` participants, withdrawals scale with the arm size and responders with the
        completers, rounded to the nearest integer.
    """
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


def lognormal(rng: np.random.Generator, spec: dict[str, float], n: int) -> np.ndarray:
    """`n` draws of exp(ln(median) + log_sd * Z), Z standard normal, from a scenario entry with
    ``median`` and ``log_sd``."""
    return np.exp(np.log(spec["median"]) + spec["log_sd"] * rng.standard_normal(n))
