"""Small data releases for tests: build one in a temporary directory, then break it on purpose.

A test asks for a small valid release from the shipped scenario (few participants per arm, with
a withdrawn participant per arm and some missed visits by default), optionally with no adverse
events in one arm, and then changes one value, drops rows or drops a file to check how the code
reacts::

    from ldil2 import testing
    data_dir = testing.small_release(tmp_path)
    testing.set_value(data_dir, "assessments.csv", line=3, column="esr_mm_h", value="0")
    testing.drop_rows(data_dir, "immunology.csv", subject_id="S002", week=2)
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ldil2 import contract as c
from ldil2.simulate.release import simulate, write_release
from ldil2.simulate.scenario import SCENARIO_COPY, load_scenario

REPOSITORY = Path(__file__).resolve().parent.parent
SHIPPED_DATA = REPOSITORY / "data"
SHIPPED_SCENARIO = SHIPPED_DATA / "scenario.yml"


def small_scenario(
    per_arm: int = 6,
    withdrawals: dict[str, int] | None = None,
    missed_visit_probability: float = 0.1,
    no_adverse_events_in: str | None = None,
    scenario: str | Path = SHIPPED_SCENARIO,
) -> dict[str, Any]:
    """The shipped scenario resized to ``per_arm`` participants per arm.

    ``withdrawals`` defaults to one per arm; ACR20 responder targets are scaled to the completers
    of each arm; ``no_adverse_events_in`` (an arm code) sets that arm's adverse-event risks to 0.
    """
    s = copy.deepcopy(load_scenario(scenario))
    targets = s["targets"]
    withdrawals = withdrawals or dict.fromkeys(c.ARMS, 1)
    old = {arm: targets["randomized"]["value"][arm] - targets["withdrawals"]["value"][arm]
           for arm in c.ARMS}  # fmt: skip
    for counts in targets["acr20_responders"]["value"].values():
        for arm in c.ARMS:
            counts[arm] = round(counts[arm] / old[arm] * (per_arm - withdrawals[arm]))
    targets["randomized"]["value"] = dict.fromkeys(c.ARMS, per_arm)
    targets["withdrawals"]["value"] = dict(withdrawals)
    s["assumptions"]["missed_visit_probability"]["value"] = missed_visit_probability
    if no_adverse_events_in is not None:
        for event in s["assumptions"]["adverse_events"]["value"]:
            event[no_adverse_events_in] = 0.0
    return s


def small_release(
    out: str | Path,
    seed: int = 7,
    with_published: bool = True,
    **scenario_options: Any,
) -> Path:
    """Write a small valid release to ``out`` and return its path.

    Parameters
    ----------
    out : directory to write (created)
    seed : generator seed
    with_published : copy the shipped ``published.csv`` into the release
    **scenario_options : passed to :func:`small_scenario` (``per_arm``, ``withdrawals``,
        ``missed_visit_probability``, ``no_adverse_events_in``)
    """
    out = Path(out)
    scenario = small_scenario(**scenario_options)
    out.mkdir(parents=True, exist_ok=True)
    scenario_path = out / SCENARIO_COPY
    scenario_path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    write_release(simulate(scenario, seed=seed), scenario_path, out)
    published = SHIPPED_DATA / c.PUBLISHED
    if with_published and published.is_file():
        shutil.copyfile(published, out / c.PUBLISHED)
    return out


def read_text_table(data_dir: str | Path, file: str) -> pd.DataFrame:
    """A release CSV as text, exactly as written (no type conversion)."""
    return pd.read_csv(Path(data_dir) / file, dtype=str, keep_default_na=False, na_filter=False)


def _write_text_table(frame: pd.DataFrame, data_dir: str | Path, file: str) -> None:
    frame.to_csv(Path(data_dir) / file, index=False, lineterminator="\n")


def set_value(data_dir: str | Path, file: str, line: int, column: str, value: str) -> None:
    """Replace one cell: ``line`` is the CSV line number (the header is line 1)."""
    frame = read_text_table(data_dir, file)
    if not 2 <= line <= len(frame) + 1:
        raise ValueError(f"line: {line} violates 2 <= line <= {len(frame) + 1} in {file}")
    frame.loc[line - 2, column] = value
    _write_text_table(frame, data_dir, file)


def line_of(data_dir: str | Path, file: str, **where: Any) -> int:
    """CSV line number of the first row whose columns equal ``where`` (e.g. subject_id, week)."""
    frame = read_text_table(data_dir, file)
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == str(value)
    if not mask.any():
        raise ValueError(f"{file}: no row with {where}")
    return int(mask.to_numpy().argmax()) + 2


def drop_rows(data_dir: str | Path, file: str, **where: Any) -> int:
    """Remove the rows whose columns equal ``where``; return how many were removed."""
    frame = read_text_table(data_dir, file)
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == str(value)
    _write_text_table(frame[~mask], data_dir, file)
    return int(mask.sum())


def drop_column(data_dir: str | Path, file: str, column: str) -> None:
    """Remove one column of a release CSV."""
    _write_text_table(read_text_table(data_dir, file).drop(columns=[column]), data_dir, file)


def remove_file(data_dir: str | Path, file: str) -> None:
    """Delete one file of the release."""
    (Path(data_dir) / file).unlink()
