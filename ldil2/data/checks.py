"""Checks of a data release against the contract: one :class:`Problem` per violation.

Reading a CSV as text and converting each column to its contract type (:func:`read_csv`), the
pandera schema checks (:func:`schema_problems`), the rules across columns and files
(:func:`cross_file_rules`) and the rules of metadata.yml (:func:`metadata_problems`). Every
function returns problems; none raises on bad data, so that :func:`ldil2.data.release.load`
lists every violation at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ldil2 import contract as c
from ldil2.data.schemas import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    METADATA_KEYS,
    OPTIONAL_METADATA_COUNTS,
    PANDAS_DTYPE,
    PER_SUBJECT,
    PER_VISIT,
    PROVENANCES,
    RELATIONS,
    SIMULATED_METADATA_KEYS,
    STRING,
)

_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class Problem:
    """One violation of the contract: where it is, what it is, which rule it breaks."""

    file: str
    line: int | None
    column: str | None
    value: str
    rule: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f'{where}: {self.value} violates "{self.rule}"'


def _line(index: Any) -> int:
    """CSV line number of a row index (the header is line 1)."""
    return int(index) + 2


def _shown(text: str) -> str:
    return text if text.strip() != "" else "(empty)"


def convert(raw: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """Convert a text column to ``kind``; return the values and a mask of unconvertible cells.

    Blank text is missing. Booleans accept true/false, 1/0, yes/no (any case); integers must
    have no fractional part; numbers must be finite.
    """
    text = np.array([value.strip() for value in raw.to_numpy(dtype=object)], dtype=object)
    empty = text == ""
    index = raw.index
    if kind == STRING:
        values = raw.to_numpy(dtype=object).copy()
        values[empty] = None
        return pd.Series(values, index=index, dtype="str"), np.zeros(len(text), dtype=bool)
    if kind == BOOLEAN:
        lower = np.array([value.lower() for value in text], dtype=object)
        is_true, is_false = np.isin(lower, _TRUE), np.isin(lower, _FALSE)
        values = pd.array(is_true, dtype="boolean")
        values[~(is_true | is_false)] = pd.NA
        return pd.Series(values, index=index), ~(empty | is_true | is_false)
    text[empty] = np.nan
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    finite = np.isfinite(numbers)
    bad = ~empty & ~finite
    if kind == INTEGER:
        bad |= finite & (numbers != np.round(numbers))
        numbers[bad] = np.nan
        return pd.Series(pd.array(numbers, dtype="Int64"), index=index), bad
    numbers[bad] = np.nan
    return pd.Series(numbers, index=index, dtype="float64"), bad


_TYPE_RULE = {INTEGER: "an integer", FLOAT: "a number", BOOLEAN: "true or false"}


def read_csv(
    path: Path, schema: pa.DataFrameSchema
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[Problem]]:
    """Read ``path`` as text and convert it; return (typed frame, raw text frame, problems).
    An unreadable file gives no frames and one problem."""
    name = path.name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        problem = Problem(name, None, None, f"({first_line})", "a UTF-8 CSV file with a header row")
        return None, None, [problem]
    problems: list[Problem] = []
    typed = {}
    for column, spec in schema.columns.items():
        kind = spec.metadata["kind"]
        if column not in raw.columns:
            problems.append(Problem(name, None, column, "(missing)", "column present"))
            typed[column] = pd.Series(dtype=PANDAS_DTYPE[kind], index=raw.index)
            continue
        values, bad = convert(raw[column], kind)
        for index in raw.index[bad]:
            text = _shown(raw.at[index, column])
            problems.append(Problem(name, _line(index), column, text, _TYPE_RULE[kind]))
        typed[column] = values
    extra = {col: raw[col] for col in raw.columns if col not in schema.columns}
    return pd.DataFrame({**typed, **extra}, index=raw.index), raw, problems


def schema_problems(
    name: str, frame: pd.DataFrame, raw: pd.DataFrame, schema: pa.DataFrameSchema
) -> list[Problem]:
    """Validate ``frame`` lazily and translate pandera's failure cases into problems."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases
    else:
        return []
    problems = []
    for case in cases.itertuples(index=False):
        column, check, index = case.column, str(case.check), case.index
        if column not in raw.columns or pd.isna(index):
            continue  # a missing column is reported by the reader
        text = _shown(raw.at[int(index), column])
        if check == "not_nullable":
            if text != "(empty)":
                continue  # a value that could not be converted is already reported
            rule = "not empty"
        elif check == "field_uniqueness":
            rule = f"{column} is unique"
        else:
            rule = check
        problems.append(Problem(name, _line(index), column, text, rule))
    return problems


_FILE_ORDER = (*c.RELEASE_TABLES, c.METADATA, c.PUBLISHED)


def problem_order(problem: Problem) -> tuple[int, int]:
    """Problems are listed by file (contract order), then by line; file-level problems first."""
    return _FILE_ORDER.index(problem.file), problem.line or 0


Frames = dict[str, tuple[pd.DataFrame, pd.DataFrame]]


def _relation(
    name: str, frames: Frames, file: str, mask: pd.Series, other: str | Callable | None = None
) -> list[Problem]:
    """Problems for the rows of ``file`` where ``mask`` holds, under relation ``name``;
    ``other`` (a column or a function of the row) gives the compared value."""
    frame, raw = frames[file]
    _, column, rule = RELATIONS[name]
    problems = []
    for i in frame.index[mask.fillna(False).to_numpy(dtype=bool)]:
        text = rule
        if other is not None:
            text += f" ({frame.at[i, other] if isinstance(other, str) else other(frame.loc[i])})"
        problems.append(Problem(file, _line(i), column, _shown(raw.at[i, column]), text))
    return problems


def _by_subject(subjects: pd.DataFrame, column: str) -> pd.Series:
    values = subjects.set_index(c.SUBJECT_ID)[column]
    return values[~values.index.duplicated()]


def cross_file_rules(frames: Frames) -> list[Problem]:
    """Problems of the :data:`~ldil2.data.schemas.RELATIONS` among the files read (`frames`:
    file -> (typed frame, raw text frame); subjects.csv always present): withdrawal fields
    filled iff withdrawn, known and unique subjects and visits, 68/66 >= 28 joint counts, no
    visit after withdrawal, a baseline visit per subject, adverse events in the safety
    population ending after onset, doses received <= planned."""
    subjects = frames[c.SUBJECTS][0]
    completed = subjects[c.COMPLETED]
    problems = []
    for name in ("withdrawal_week_filled", "withdrawal_reason_filled"):
        filled = subjects[RELATIONS[name][1]].notna()
        problems += _relation(
            name, frames, c.SUBJECTS, (completed & filled) | (~completed & ~filled)
        )
    for file in PER_SUBJECT:
        if file not in frames:
            continue
        frame = frames[file][0]
        ids = frame[c.SUBJECT_ID]
        problems += _relation(
            "known_subject", frames, file, ids.notna() & ~ids.isin(subjects[c.SUBJECT_ID])
        )
        name = (
            "unique_cycle" if file == c.EXPOSURE else "unique_visit" if file in PER_VISIT else None
        )
        if name is not None:
            key = RELATIONS[name][1]
            dup = frame.duplicated([c.SUBJECT_ID, key], keep="first") & frame[key].notna()
            problems += _relation(name, frames, file, dup)
    if c.ASSESSMENTS in frames:
        frame = frames[c.ASSESSMENTS][0]
        problems += _relation(
            "tjc", frames, c.ASSESSMENTS, frame[c.TJC68] < frame[c.TJC28], c.TJC28
        )
        problems += _relation(
            "sjc", frames, c.ASSESSMENTS, frame[c.SJC66] < frame[c.SJC28], c.SJC28
        )
        last = frame[c.SUBJECT_ID].map(_by_subject(subjects, c.WITHDRAWAL_WEEK))
        after = last.notna() & (frame[c.WEEK] > last)
        problems += _relation(
            "withdrawal", frames, c.ASSESSMENTS, after, lambda row: last[row.name]
        )
        baseline = frame.loc[frame[c.WEEK] == c.BASELINE_WEEK, c.SUBJECT_ID]
        ids = subjects[c.SUBJECT_ID]
        problems += _relation("baseline", frames, c.SUBJECTS, ids.notna() & ~ids.isin(baseline))
    if c.ADVERSE_EVENTS in frames:
        frame = frames[c.ADVERSE_EVENTS][0]
        unsafe = frame[c.SUBJECT_ID].map(_by_subject(subjects, c.SAFETY)).eq(False)
        problems += _relation("safety_population", frames, c.ADVERSE_EVENTS, unsafe)
        early = frame[c.AE_END_DAY] < frame[c.AE_ONSET_DAY]
        problems += _relation("ae_end_after_onset", frames, c.ADVERSE_EVENTS, early, c.AE_ONSET_DAY)
    if c.EXPOSURE in frames:
        frame = frames[c.EXPOSURE][0]
        excess = frame[c.DOSES_RECEIVED] > frame[c.DOSES_PLANNED]
        problems += _relation("doses", frames, c.EXPOSURE, excess, c.DOSES_PLANNED)
    return problems


def metadata_problems(metadata: Any) -> list[Problem]:
    """Problems of metadata.yml: a mapping, with every key of METADATA_KEYS, a provenance of
    PROVENANCES, for simulated data every key of SIMULATED_METADATA_KEYS, and each optional key
    of OPTIONAL_METADATA_COUNTS that is present an integer >= 0."""
    name = c.METADATA
    if not isinstance(metadata, dict):
        return [Problem(name, None, None, "(not a mapping)", "a YAML mapping of release facts")]
    problems = [
        Problem(name, None, key, "(missing)", "key present")
        for key in METADATA_KEYS
        if key not in metadata
    ]
    provenance = metadata.get(c.META_PROVENANCE)
    if c.META_PROVENANCE in metadata and provenance not in PROVENANCES:
        rule = "one of " + ", ".join(PROVENANCES)
        problems.append(Problem(name, None, c.META_PROVENANCE, str(provenance), rule))
    if provenance == c.SIMULATED:
        problems += [
            Problem(name, None, key, "(missing)", "key present for simulated data")
            for key in SIMULATED_METADATA_KEYS
            if key not in metadata
        ]
    for key in OPTIONAL_METADATA_COUNTS:
        value = metadata.get(key)
        if key in metadata and (type(value) is not int or value < 0):
            problems.append(Problem(name, None, key, str(value), "an integer >= 0"))
    return problems
