"""The simulated release: drawing every file (:func:`simulate`), writing it byte-for-byte
reproducibly (:func:`write_release`) and ``python -m ldil2 simulate`` (:func:`simulate_command`).
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
from ldil2.data.release import ReleaseError, load
from ldil2.simulate.clinical import (
    draw_assessments,
    draw_baseline,
    draw_latent,
    draw_subjects,
    forced_status,
)
from ldil2.simulate.markers import draw_immunology, draw_labs
from ldil2.simulate.scenario import SCENARIO_COPY, Scenario, load_scenario, targets
from ldil2.simulate.treatment import draw_adverse_events, draw_exposure

DECIMALS: dict[str, int] = {
    c.DISEASE_DURATION: 1,
    c.MTX_DOSE: 1,
    c.PTGA: 0,
    c.PHGA: 0,
    c.PAIN: 0,
    c.HAQ: 3,
    c.ESR: 0,
    c.CRP: 1,
    c.WBC: 2,
    c.NEUTROPHILS: 2,
    c.LYMPHOCYTES: 2,
    c.HEMOGLOBIN: 0,
    c.PLATELETS: 0,
    c.ALT: 0,
    c.AST: 0,
    c.CREATININE: 0,
    c.CD4: 0,
    c.TREG_PCT: 2,
    c.TREG_PER_UL: 1,
    c.TH17_PCT: 2,
    c.IL21: 1,
    c.IL6: 1,
    c.IL17A: 1,
}
"""Decimals written per column (fixed formatting makes regeneration byte-for-byte)."""

GENERATOR = "ldil2.simulate"
"""metadata.yml ``generator`` of a simulated release."""

PARTICIPANTS_PER_ARM, GENERATOR_KEY = "participants_per_arm", "generator"
"""metadata.yml keys written only by the simulator."""


def simulate(
    scenario: dict[str, Any], seed: int | None = None, per_arm: int | None = None
) -> dict[str, Any]:
    """Draw a simulated data release.

    Parameters
    ----------
    scenario : a scenario as read by :func:`~ldil2.simulate.scenario.load_scenario`
        (``release``, ``targets``, ``assumptions``)
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
    described in :mod:`ldil2.simulate`; only raw components are drawn, never derived results.
    """
    s = Scenario(scenario)
    seed = int(scenario["release"]["seed"] if seed is None else seed)
    rng = np.random.default_rng(seed)
    t = targets(s, per_arm)
    subjects = draw_subjects(rng, s, t)
    n = len(subjects)
    base = draw_baseline(rng, s, n)
    z = {"treg": rng.standard_normal(n), "il21": rng.standard_normal(n)}
    modifier = (z["il21"] - z["treg"]) / math.sqrt(2)
    on_ldil2 = (subjects[c.ARM] == c.ARM_LDIL2).to_numpy(dtype=float)
    latent = draw_latent(rng, s, on_ldil2, modifier)
    status = forced_status(latent, subjects, s, t)
    assessments = draw_assessments(rng, s, subjects, base, latent, status)
    release = {
        c.SUBJECTS: subjects,
        c.ASSESSMENTS: assessments,
        c.ADVERSE_EVENTS: draw_adverse_events(rng, s, subjects),
        c.LABS: draw_labs(rng, s, subjects, assessments),
        c.IMMUNOLOGY: draw_immunology(rng, s, subjects, assessments, z, latent),
        c.EXPOSURE: draw_exposure(rng, s, subjects),
    }
    r = scenario["release"]
    release[c.METADATA] = {
        c.META_TITLE: r[c.META_TITLE],
        c.META_VERSION: str(r[c.META_VERSION]),
        c.META_DATA_CUT: str(r[c.META_DATA_CUT]),
        **({c.META_RELEASED: str(r[c.META_RELEASED])} if c.META_RELEASED in r else {}),
        c.META_PROVENANCE: c.SIMULATED,
        c.VISIT_SCHEDULE: [int(w) for w in s.a["visit_weeks"]],
        c.IMMUNOLOGY_SCHEDULE: [int(w) for w in s.a["immunology_weeks"]],
        c.LAB_SCHEDULE: [int(w) for w in s.a["lab_weeks"]],
        c.META_SEED: seed,
        c.META_SCENARIO: SCENARIO_COPY,
        PARTICIPANTS_PER_ARM: t["randomized"],
        GENERATOR_KEY: GENERATOR,
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
    """``python -m ldil2 simulate``: write a release to ``out``, validate it, print a summary.

    Returns 0 when the written release is valid, 1 (after printing every problem) otherwise.
    """
    scenario, out = Path(scenario), Path(out)
    release = simulate(load_scenario(scenario), seed, per_arm)
    write_release(release, scenario, out)
    try:
        loaded = load(out)
    except ReleaseError as error:
        print(f"{out}: the simulated release breaks the contract:\n{error}")
        return 1
    counts = loaded.subjects[c.ARM].value_counts().to_dict()
    seed_used = release[c.METADATA][c.META_SEED]
    print(f"{out}: simulated release {loaded.version}, seed {seed_used}, {counts}")
    return 0
