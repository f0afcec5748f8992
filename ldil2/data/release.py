"""Load and validate a data release against the data contract (:mod:`ldil2.data.schemas`).

:func:`load` reads every CSV as text, converts each column to its contract type itself (so a
non-numeric value is reported with its line, not raised as a traceback), validates all files
lazily and raises :class:`ReleaseError` listing every problem. A table the caller did not ask
for is not read, and reading it from the :class:`Release` raises :class:`UndeclaredTableError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml

from ldil2 import contract as c
from ldil2.data.schemas import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    METADATA_KEYS,
    PANDAS_DTYPE,
    PER_SUBJECT,
    PER_VISIT,
    PROVENANCES,
    RELATIONS,
    SCHEMAS,
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


class ReleaseError(ValueError):
    """A data release breaks the contract. ``.problems`` lists every violation found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UndeclaredTableError(LookupError):
    """A table of the release was read that the caller did not load (a chapter that does not
    declare the file under ``ldil2: reads:`` in its front matter)."""

    def __init__(self, file: str):
        self.file = file
        super().__init__(
            f"{file} is read but was not loaded: declare it under `ldil2: reads:` in the "
            "chapter's front matter"
        )


@dataclass(frozen=True)
class Release:
    """A validated data release: one DataFrame per contract file read, its metadata and record.

    Attributes
    ----------
    frames : contract file name -> its typed frame, for the files read
    metadata : metadata.yml
    published : the published record (published.csv; empty when absent)
    data_dir : where the release was read from
    tables : the contract files read (subjects.csv always)

    The tables are read as attributes (``release.assessments``); a table that was not read
    raises :class:`UndeclaredTableError` naming its file, never an empty frame.
    """

    frames: dict[str, pd.DataFrame] = field(repr=False)
    metadata: dict[str, Any]
    published: pd.DataFrame
    data_dir: Path
    tables: tuple[str, ...] = field(default=c.RELEASE_TABLES)

    def table(self, file: str) -> pd.DataFrame:
        """The frame of contract file `file` (e.g. ``labs.csv``).

        Raises
        ------
        UndeclaredTableError : the file was not read
        """
        if file not in self.frames:
            raise UndeclaredTableError(file)
        return self.frames[file]

    @property
    def subjects(self) -> pd.DataFrame:
        """subjects.csv."""
        return self.table(c.SUBJECTS)

    @property
    def assessments(self) -> pd.DataFrame:
        """assessments.csv."""
        return self.table(c.ASSESSMENTS)

    @property
    def adverse_events(self) -> pd.DataFrame:
        """adverse_events.csv."""
        return self.table(c.ADVERSE_EVENTS)

    @property
    def labs(self) -> pd.DataFrame:
        """labs.csv."""
        return self.table(c.LABS)

    @property
    def immunology(self) -> pd.DataFrame:
        """immunology.csv."""
        return self.table(c.IMMUNOLOGY)

    @property
    def exposure(self) -> pd.DataFrame:
        """exposure.csv."""
        return self.table(c.EXPOSURE)

    @property
    def version(self) -> str:
        """Release version from metadata.yml, e.g. ``2026.11.1``."""
        return str(self.metadata[c.META_VERSION])

    @property
    def provenance(self) -> str:
        """``simulated`` or ``trial``."""
        return str(self.metadata[c.META_PROVENANCE])

    @property
    def is_simulated(self) -> bool:
        """True when the participants are simulated."""
        return self.provenance == c.SIMULATED


def _line(index: Any) -> int:
    """CSV line number of a row index (the header is line 1)."""
    return int(index) + 2


def _shown(text: str) -> str:
    return text if text.strip() != "" else "(empty)"


def _convert(raw: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
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


def _read_csv(
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
        values, bad = _convert(raw[column], kind)
        for index in raw.index[bad]:
            text = _shown(raw.at[index, column])
            problems.append(Problem(name, _line(index), column, text, _TYPE_RULE[kind]))
        typed[column] = values
    extra = {col: raw[col] for col in raw.columns if col not in schema.columns}
    return pd.DataFrame({**typed, **extra}, index=raw.index), raw, problems


def _schema_problems(
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


def _problem_order(problem: Problem) -> tuple[int, int]:
    """Problems are listed by file (contract order), then by line; file-level problems first."""
    return _FILE_ORDER.index(problem.file), problem.line or 0


def _empty_frame(schema: pa.DataFrameSchema) -> pd.DataFrame:
    return pd.DataFrame(
        {
            col: pd.Series(dtype=PANDAS_DTYPE[spec.metadata["kind"]])
            for col, spec in schema.columns.items()
        }
    )


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


def _cross_file_rules(frames: Frames) -> list[Problem]:
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
        problems += _relation(
            "ae_end_after_onset", frames, c.ADVERSE_EVENTS, early, c.AE_ONSET_DAY
        )
    if c.EXPOSURE in frames:
        frame = frames[c.EXPOSURE][0]
        excess = frame[c.DOSES_RECEIVED] > frame[c.DOSES_PLANNED]
        problems += _relation("doses", frames, c.EXPOSURE, excess, c.DOSES_PLANNED)
    return problems


def _metadata_problems(metadata: Any) -> list[Problem]:
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
    return problems


def load(data_dir: str | Path, tables: Iterable[str] | None = None) -> Release:
    """Read and validate a data release.

    Parameters
    ----------
    data_dir : directory holding the contract's CSV files, ``metadata.yml`` and, optionally,
        ``published.csv``
    tables : file names to read (e.g. ``["assessments.csv"]``); ``subjects.csv`` and
        ``metadata.yml`` are always read. ``None`` reads every file. Reading a table not read
        raises :class:`UndeclaredTableError`.

    Returns
    -------
    Release : typed frames (nullable ``Int64`` counts and weeks, ``float64`` measures,
        ``boolean`` flags, ``str`` text), the metadata and the published record.

    Raises
    ------
    ReleaseError : every problem found, one per line, each naming file, line (header = line 1),
        column, value and rule. Cross-file rules are checked among the tables read.
    """
    data_dir = Path(data_dir)
    wanted = c.RELEASE_TABLES if tables is None else tuple(tables)
    unknown = [t for t in wanted if t not in c.RELEASE_TABLES]
    if unknown:
        raise ValueError(f"tables: unknown file(s) {unknown}; expected some of {c.RELEASE_TABLES}")
    read = tuple(t for t in c.RELEASE_TABLES if t == c.SUBJECTS or t in wanted)
    problems: list[Problem] = []
    frames: Frames = {}
    for name in read:
        path = data_dir / name
        if not path.is_file():
            problems.append(Problem(name, None, None, "(missing)", "file present"))
            continue
        frame, raw, found = _read_csv(path, SCHEMAS[name])
        problems += found
        if frame is not None:
            problems += _schema_problems(name, frame, raw, SCHEMAS[name])
            frames[name] = (frame, raw)
    if c.SUBJECTS in frames:
        problems += _cross_file_rules(frames)
    metadata: Any = {}
    meta_path = data_dir / c.METADATA
    if meta_path.is_file():
        try:
            metadata = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as error:
            first_line = str(error).strip().splitlines()[0]
            problems.append(Problem(c.METADATA, None, None, f"({first_line})", "valid UTF-8 YAML"))
            metadata = {}
        else:
            problems += _metadata_problems(metadata)
    else:
        problems.append(Problem(c.METADATA, None, None, "(missing)", "file present"))
    published = _empty_frame(SCHEMAS[c.PUBLISHED])
    if (data_dir / c.PUBLISHED).is_file():
        frame, raw, found = _read_csv(data_dir / c.PUBLISHED, SCHEMAS[c.PUBLISHED])
        problems += found
        if frame is not None:
            problems += _schema_problems(c.PUBLISHED, frame, raw, SCHEMAS[c.PUBLISHED])
            published = frame
    if problems:
        raise ReleaseError(sorted(problems, key=_problem_order))
    return Release(
        frames={name: frames[name][0] for name in read if name in frames},
        metadata=metadata,
        published=published,
        data_dir=data_dir,
        tables=read,
    )


def validate_command(data_dir: str | Path) -> int:
    """``python -m ldil2 validate DATA_DIR``: 0 if the release is valid, else print every problem
    (one per line, on standard output) and return 1."""
    try:
        release = load(data_dir)
    except ReleaseError as error:
        print(f"{data_dir}: {len(error.problems)} problem(s)")
        print(error)
        return 1
    n = len(release.subjects)
    print(f"{data_dir}: valid release {release.version} ({release.provenance}, {n} participants)")
    return 0
