"""Load and validate a data release against the data contract.

The contract (../shared/design/data-contract.md) lives here as pandera schemas, one per file, plus
the rules that span columns or files. :func:`load` reads every CSV as text, converts each column to
its contract type itself (so a non-numeric value is reported with its line, not raised as a
traceback), validates all files lazily and raises :class:`ReleaseError` listing every problem.
:func:`contract_table` renders the same schemas for the book's data appendix, so the documentation
and the checks cannot drift.
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

# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------

STRING, INTEGER, FLOAT, BOOLEAN = "string", "integer", "float", "boolean"
_PANDAS_DTYPE = {STRING: "str", INTEGER: "Int64", FLOAT: "float64", BOOLEAN: "boolean"}
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")

HAQ_STEP = 0.125
PROVENANCES = ("simulated", "trial")
METADATA_KEYS = ("title", "version", "data_cut", "provenance")
SIMULATED_METADATA_KEYS = ("seed", "scenario")


def _column(
    kind: str,
    *checks: pa.Check,
    nullable: bool = False,
    unique: bool = False,
    unit: str = "",
    description: str = "",
) -> pa.Column:
    return pa.Column(
        _PANDAS_DTYPE[kind],
        checks=list(checks),
        nullable=nullable,
        unique=unique,
        required=True,
        description=description,
        metadata={"kind": kind, "unit": unit},
    )


def _in_range(name: str, low: float, high: float) -> pa.Check:
    return pa.Check.in_range(low, high, error=f"{low} <= {name} <= {high}")


def _ge(name: str, low: float) -> pa.Check:
    return pa.Check.ge(low, error=f"{name} >= {low}")


def _gt(name: str, low: float) -> pa.Check:
    return pa.Check.gt(low, error=f"{name} > {low}")


def _isin(values: Iterable[str]) -> pa.Check:
    values = tuple(values)
    return pa.Check.isin(values, error="one of " + ", ".join(values))


def _multiple_of(name: str, step: float) -> pa.Check:
    return pa.Check(
        lambda s: ((s / step) - (s / step).round()).abs() < 1e-9,
        error=f"{name} is a multiple of {step}",
    )


def _subject_id() -> pa.Column:
    return _column(STRING, description="participant identifier (subjects.csv)")


def _week(description: str = "visit week; baseline is week 0") -> pa.Column:
    return _column(
        INTEGER,
        _in_range(c.WEEK, c.BASELINE_WEEK, c.LAST_WEEK),
        unit=c.WEEK,
        description=description,
    )


def _measure(name: str, unit: str, description: str, *checks: pa.Check) -> pa.Column:
    return _column(FLOAT, *checks, nullable=True, unit=unit, description=description)


def _count(name: str, high: int, description: str) -> pa.Column:
    return _column(
        INTEGER, _in_range(name, 0, high), nullable=True, unit="joints", description=description
    )


def _lab(name: str, unit: str, description: str) -> pa.Column:
    return _measure(name, unit, description, _ge(name, 0))


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    c.SUBJECTS: pa.DataFrameSchema(
        {
            c.SUBJECT_ID: _column(STRING, unique=True, description="participant identifier"),
            c.ARM: _column(STRING, _isin(c.ARMS), description="randomized arm"),
            "age": _column(INTEGER, _in_range("age", 18, 70), unit="years", description="age"),
            c.SEX: _column(STRING, _isin(("F", "M")), description="sex"),
            "disease_duration_years": _column(
                FLOAT, _ge("disease_duration_years", 0), unit="years", description="RA duration"
            ),
            "rf_positive": _column(BOOLEAN, description="rheumatoid factor positive"),
            "acpa_positive": _column(BOOLEAN, description="anti-CCP antibody positive"),
            "mtx_dose_mg_week": _column(
                FLOAT, _gt("mtx_dose_mg_week", 0), unit="mg/week", description="methotrexate dose"
            ),
            "completed": _column(BOOLEAN, description="completed week 24"),
            "withdrawal_week": _column(
                INTEGER,
                _in_range("withdrawal_week", c.BASELINE_WEEK, c.LAST_WEEK),
                nullable=True,
                unit=c.WEEK,
                description="week of withdrawal; empty if and only if completed",
            ),
            "withdrawal_reason": _column(
                STRING,
                nullable=True,
                description="reason for withdrawal; empty if and only if completed",
            ),
            "itt": _column(
                BOOLEAN,
                pa.Check(lambda s: s, error="itt is true (all randomized)"),
                description="intention-to-treat: all randomized",
            ),
            c.SAFETY: _column(BOOLEAN, description="received at least one dose"),
            "per_protocol": _column(BOOLEAN, description="the published analysis set"),
        },
        strict=False,
    ),
    c.ASSESSMENTS: pa.DataFrameSchema(
        {
            c.SUBJECT_ID: _subject_id(),
            c.WEEK: _week(),
            c.TJC28: _count(c.TJC28, 28, "tender joint count, 28 joints"),
            c.SJC28: _count(c.SJC28, 28, "swollen joint count, 28 joints"),
            c.TJC68: _count(c.TJC68, 68, "tender joint count, 68 joints"),
            c.SJC66: _count(c.SJC66, 66, "swollen joint count, 66 joints"),
            c.PTGA: _measure(
                c.PTGA, "mm", "patient global assessment, VAS", _in_range(c.PTGA, 0, 100)
            ),
            c.PHGA: _measure(
                c.PHGA, "mm", "physician global assessment, VAS", _in_range(c.PHGA, 0, 100)
            ),
            c.PAIN: _measure(c.PAIN, "mm", "patient pain, VAS", _in_range(c.PAIN, 0, 100)),
            c.HAQ: _measure(
                c.HAQ,
                "",
                "HAQ disability index",
                _in_range(c.HAQ, 0, 3),
                _multiple_of(c.HAQ, HAQ_STEP),
            ),
            c.ESR: _measure(c.ESR, "mm/h", "erythrocyte sedimentation rate", _gt(c.ESR, 0)),
            c.CRP: _measure(c.CRP, "mg/L", "C-reactive protein", _ge(c.CRP, 0)),
        },
        strict=False,
    ),
    c.ADVERSE_EVENTS: pa.DataFrameSchema(
        {
            c.AE_ID: _column(STRING, unique=True, description="event identifier"),
            c.SUBJECT_ID: _subject_id(),
            c.AE_TERM: _column(STRING, description="preferred term (MedDRA style)"),
            c.AE_SOC: _column(STRING, description="system organ class"),
            c.AE_ONSET_DAY: _column(
                INTEGER,
                _ge(c.AE_ONSET_DAY, c.FIRST_DOSE_DAY),
                unit="study day",
                description="onset",
            ),
            c.AE_END_DAY: _column(
                INTEGER,
                _ge(c.AE_END_DAY, c.FIRST_DOSE_DAY),
                nullable=True,
                unit="study day",
                description="resolution; empty if ongoing",
            ),
            c.AE_GRADE: _column(INTEGER, _in_range(c.AE_GRADE, 1, 5), description="CTCAE grade"),
            c.AE_SERIOUS: _column(BOOLEAN, description="serious adverse event"),
            c.AE_RELATED: _column(BOOLEAN, description="related to study drug (investigator)"),
            c.AE_LED_TO_WITHDRAWAL: _column(BOOLEAN, description="led to withdrawal"),
        },
        strict=False,
    ),
    c.LABS: pa.DataFrameSchema(
        {
            c.SUBJECT_ID: _subject_id(),
            c.WEEK: _week(),
            "wbc_10e9_l": _lab("wbc_10e9_l", "10^9/L", "white blood cells"),
            "neutrophils_10e9_l": _lab("neutrophils_10e9_l", "10^9/L", "neutrophils"),
            "lymphocytes_10e9_l": _lab("lymphocytes_10e9_l", "10^9/L", "lymphocytes"),
            "hemoglobin_g_l": _lab("hemoglobin_g_l", "g/L", "haemoglobin"),
            "platelets_10e9_l": _lab("platelets_10e9_l", "10^9/L", "platelets"),
            "alt_u_l": _lab("alt_u_l", "U/L", "alanine aminotransferase"),
            "ast_u_l": _lab("ast_u_l", "U/L", "aspartate aminotransferase"),
            "creatinine_umol_l": _lab("creatinine_umol_l", "µmol/L", "creatinine"),
        },
        strict=False,
    ),
    c.IMMUNOLOGY: pa.DataFrameSchema(
        {
            c.SUBJECT_ID: _subject_id(),
            c.WEEK: _week(),
            "cd4_per_ul": _lab("cd4_per_ul", "cells/µL", "CD4+ T cells"),
            "treg_pct_cd4": _measure(
                "treg_pct_cd4",
                "% of CD4+",
                "CD4+CD25+Foxp3+ regulatory T cells",
                _in_range("treg_pct_cd4", 0, 100),
            ),
            "treg_per_ul": _lab("treg_per_ul", "cells/µL", "regulatory T cells"),
            "th17_pct_cd4": _measure(
                "th17_pct_cd4", "% of CD4+", "Th17 cells", _in_range("th17_pct_cd4", 0, 100)
            ),
            "il21_pg_ml": _lab("il21_pg_ml", "pg/mL", "serum IL-21"),
            "il6_pg_ml": _lab("il6_pg_ml", "pg/mL", "serum IL-6"),
            "il17a_pg_ml": _lab("il17a_pg_ml", "pg/mL", "serum IL-17A"),
        },
        strict=False,
    ),
    c.EXPOSURE: pa.DataFrameSchema(
        {
            c.SUBJECT_ID: _subject_id(),
            c.CYCLE: _column(
                INTEGER, _in_range(c.CYCLE, 1, c.CYCLES), description="treatment cycle"
            ),
            c.DOSES_PLANNED: _column(
                INTEGER,
                _in_range(c.DOSES_PLANNED, 1, c.DOSES_PER_CYCLE),
                unit="doses",
                description="doses planned in the cycle",
            ),
            c.DOSES_RECEIVED: _column(
                INTEGER,
                _in_range(c.DOSES_RECEIVED, 0, c.DOSES_PER_CYCLE),
                unit="doses",
                description="doses received in the cycle",
            ),
        },
        strict=False,
    ),
    c.PUBLISHED: pa.DataFrameSchema(
        {
            "key": _column(STRING, unique=True, description="ledger key"),
            "source": _column(STRING, _isin(("abstract", "registry")), description="source"),
            "statement": _column(STRING, description="the published statement"),
            "population": _column(STRING, nullable=True, description="analysis population"),
            "endpoint": _column(STRING, nullable=True, description="endpoint"),
            c.WEEK: _column(INTEGER, nullable=True, unit=c.WEEK, description="time point"),
            c.ARM: _column(STRING, nullable=True, description="arm code; empty for a comparison"),
            "statistic": _column(
                STRING, _isin(("percent", "count", "p_value")), description="kind of number"
            ),
            "value": _column(FLOAT, description="the published value"),
            "comparison": _column(
                STRING, _isin(("exact", "within_factor")), description="how it is reproduced"
            ),
            "tolerance": _column(
                FLOAT, nullable=True, description="factor for within_factor; empty for exact"
            ),
        },
        strict=False,
    ),
}
"""The pandera schema of every CSV of a release (published.csv included)."""

# ---------------------------------------------------------------------------------------------
# Problems and the release
# ---------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Release:
    """A validated data release: one DataFrame per contract file, its metadata and record."""

    subjects: pd.DataFrame
    assessments: pd.DataFrame
    adverse_events: pd.DataFrame
    labs: pd.DataFrame
    immunology: pd.DataFrame
    exposure: pd.DataFrame
    metadata: dict[str, Any]
    published: pd.DataFrame
    data_dir: Path
    tables: tuple[str, ...] = field(default=c.RELEASE_TABLES)

    @property
    def version(self) -> str:
        """Release version from metadata.yml, e.g. ``2026.11.1``."""
        return str(self.metadata["version"])

    @property
    def provenance(self) -> str:
        """``simulated`` or ``trial``."""
        return str(self.metadata["provenance"])

    @property
    def is_simulated(self) -> bool:
        """True when the participants are simulated."""
        return self.provenance == "simulated"


_FIELD_OF_FILE = {
    c.SUBJECTS: "subjects",
    c.ASSESSMENTS: "assessments",
    c.ADVERSE_EVENTS: "adverse_events",
    c.LABS: "labs",
    c.IMMUNOLOGY: "immunology",
    c.EXPOSURE: "exposure",
}

# ---------------------------------------------------------------------------------------------
# Reading and type conversion
# ---------------------------------------------------------------------------------------------


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
            typed[column] = pd.Series(dtype=_PANDAS_DTYPE[kind], index=raw.index)
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
            col: pd.Series(dtype=_PANDAS_DTYPE[spec.metadata["kind"]])
            for col, spec in schema.columns.items()
        }
    )


# ---------------------------------------------------------------------------------------------
# Rules across columns and files
# ---------------------------------------------------------------------------------------------

Frames = dict[str, tuple[pd.DataFrame, pd.DataFrame]]


_PER_SUBJECT = (c.ASSESSMENTS, c.ADVERSE_EVENTS, c.LABS, c.IMMUNOLOGY, c.EXPOSURE)
_PER_VISIT = (c.ASSESSMENTS, c.LABS, c.IMMUNOLOGY)

RELATIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "withdrawal_week": ((c.SUBJECTS,), c.WITHDRAWAL_WEEK, "withdrawal_week empty iff completed"),
    "withdrawal_reason": (
        (c.SUBJECTS,),
        c.WITHDRAWAL_REASON,
        "withdrawal_reason empty iff completed",
    ),
    "baseline": (
        (c.SUBJECTS,),
        c.SUBJECT_ID,
        f"has a week {c.BASELINE_WEEK} visit in {c.ASSESSMENTS}",
    ),
    "known_subject": (_PER_SUBJECT, c.SUBJECT_ID, f"subject_id exists in {c.SUBJECTS}"),
    "unique_visit": (_PER_VISIT, c.WEEK, "(subject_id, week) is unique"),
    "unique_cycle": ((c.EXPOSURE,), c.CYCLE, "(subject_id, cycle) is unique"),
    "tjc": ((c.ASSESSMENTS,), c.TJC68, "tjc68 >= tjc28"),
    "sjc": ((c.ASSESSMENTS,), c.SJC66, "sjc66 >= sjc28"),
    "withdrawal": ((c.ASSESSMENTS,), c.WEEK, "week <= withdrawal_week"),
    "safety": ((c.ADVERSE_EVENTS,), c.SUBJECT_ID, "subject is in the safety population"),
    "end_day": ((c.ADVERSE_EVENTS,), c.AE_END_DAY, "end_day >= onset_day"),
    "doses": ((c.EXPOSURE,), c.DOSES_RECEIVED, "doses_received <= doses_planned"),
}
"""Rules across columns and files: name -> (files, column reported, rule). A message appends the
other side of a comparison in parentheses, e.g. ``"tjc68 >= tjc28 (20)"``."""


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
    for name in ("withdrawal_week", "withdrawal_reason"):
        filled = subjects[RELATIONS[name][1]].notna()
        problems += _relation(
            name, frames, c.SUBJECTS, (completed & filled) | (~completed & ~filled)
        )
    for file in _PER_SUBJECT:
        if file not in frames:
            continue
        frame = frames[file][0]
        ids = frame[c.SUBJECT_ID]
        problems += _relation(
            "known_subject", frames, file, ids.notna() & ~ids.isin(subjects[c.SUBJECT_ID])
        )
        name = (
            "unique_cycle" if file == c.EXPOSURE else "unique_visit" if file in _PER_VISIT else None
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
        problems += _relation("safety", frames, c.ADVERSE_EVENTS, unsafe)
        early = frame[c.AE_END_DAY] < frame[c.AE_ONSET_DAY]
        problems += _relation("end_day", frames, c.ADVERSE_EVENTS, early, c.AE_ONSET_DAY)
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
    provenance = metadata.get("provenance")
    if "provenance" in metadata and provenance not in PROVENANCES:
        problems.append(
            Problem(name, None, "provenance", str(provenance), "one of " + ", ".join(PROVENANCES))
        )
    if provenance == "simulated":
        problems += [
            Problem(name, None, key, "(missing)", "key present for simulated data")
            for key in SIMULATED_METADATA_KEYS
            if key not in metadata
        ]
    return problems


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def load(data_dir: str | Path, tables: Iterable[str] | None = None) -> Release:
    """Read and validate a data release.

    Parameters
    ----------
    data_dir : directory holding the contract's CSV files, ``metadata.yml`` and, optionally,
        ``published.csv``
    tables : file names to read (e.g. ``["assessments.csv"]``); ``subjects.csv`` and
        ``metadata.yml`` are always read. ``None`` reads every file. Tables not read are empty
        frames with the contract's columns.

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
    tables_out = {
        _FIELD_OF_FILE[name]: frames[name][0] if name in frames else _empty_frame(SCHEMAS[name])
        for name in c.RELEASE_TABLES
    }
    return Release(
        **tables_out,
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


def contract_table() -> pd.DataFrame:
    """The contract as a table for the book's appendix, generated from :data:`SCHEMAS`.

    Returns
    -------
    DataFrame : one row per file and column with ``file``, ``column``, ``type``, ``rule``
        (the column's checks, then the :data:`RELATIONS` reported on it, then "unique" and
        "required" / "may be empty", ``; ``-joined), ``unit`` and ``description``.
    """
    rows = []
    for name, schema in SCHEMAS.items():
        for column, spec in schema.columns.items():
            rules = [check.error for check in spec.checks]
            rules += [
                rule for files, col, rule in RELATIONS.values() if name in files and col == column
            ]
            if spec.unique:
                rules.append("unique")
            rules.append("may be empty" if spec.nullable else "required")
            rows.append(
                {
                    "file": name,
                    "column": column,
                    "type": spec.metadata["kind"],
                    "rule": "; ".join(rules),
                    "unit": spec.metadata["unit"],
                    "description": spec.description or "",
                }
            )
    return pd.DataFrame(rows)
