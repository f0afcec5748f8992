"""The data contract as pandera schemas, one per file, plus the rules that span columns or files.

:func:`contract_table` renders the same schemas for the book's data appendix, so the
documentation and the checks cannot drift. Column names come from :mod:`ldil2.contract`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa

from ldil2 import contract as c

STRING, INTEGER, FLOAT, BOOLEAN = "string", "integer", "float", "boolean"


PANDAS_DTYPE = {STRING: "str", INTEGER: "Int64", FLOAT: "float64", BOOLEAN: "boolean"}


PROVENANCES = (c.SIMULATED, c.TRIAL)


METADATA_KEYS = (c.META_TITLE, c.META_VERSION, c.META_DATA_CUT, c.META_PROVENANCE)


SIMULATED_METADATA_KEYS = (c.META_SEED, c.META_SCENARIO)


OPTIONAL_METADATA_COUNTS: dict[str, str] = {
    c.META_ASSESSED: "people assessed for eligibility before randomisation (CONSORT flow "
    "diagram); when absent the diagram says 'not reported'",
}
"""Optional metadata.yml keys that hold a count (an integer >= 0), with their meaning."""


PUBLISHED_SOURCES = ("abstract", "registry")
"""Values of published.csv ``source``: where the published statement comes from."""


PUBLISHED_STATISTICS = ("percent", "count", "p_value")
"""Values of published.csv ``statistic``: the kind of number published."""


PUBLISHED_COMPARISONS = ("exact", "within_factor")
"""Values of published.csv ``comparison``: how the book's number must reproduce it."""


def _column(
    kind: str,
    *checks: pa.Check,
    nullable: bool = False,
    unique: bool = False,
    unit: str = "",
    description: str = "",
) -> pa.Column:
    return pa.Column(
        PANDAS_DTYPE[kind],
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
            c.AGE: _column(INTEGER, _in_range(c.AGE, 18, 70), unit="years", description="age"),
            c.SEX: _column(STRING, _isin(c.SEXES), description="sex"),
            c.DISEASE_DURATION: _column(
                FLOAT, _ge(c.DISEASE_DURATION, 0), unit="years", description="RA duration"
            ),
            c.RF_POSITIVE: _column(BOOLEAN, description="rheumatoid factor positive"),
            c.ACPA_POSITIVE: _column(BOOLEAN, description="anti-CCP antibody positive"),
            c.MTX_DOSE: _column(
                FLOAT, _gt(c.MTX_DOSE, 0), unit="mg/week", description="methotrexate dose"
            ),
            c.COMPLETED: _column(BOOLEAN, description=f"completed week {c.LAST_WEEK}"),
            c.WITHDRAWAL_WEEK: _column(
                INTEGER,
                _in_range(c.WITHDRAWAL_WEEK, c.BASELINE_WEEK, c.LAST_WEEK),
                nullable=True,
                unit=c.WEEK,
                description="week of withdrawal; empty if and only if completed",
            ),
            c.WITHDRAWAL_REASON: _column(
                STRING,
                nullable=True,
                description="reason for withdrawal; empty if and only if completed",
            ),
            c.ITT: _column(
                BOOLEAN,
                pa.Check(lambda s: s, error=f"{c.ITT} is true (all randomized)"),
                description="intention-to-treat: all randomized",
            ),
            c.SAFETY: _column(BOOLEAN, description="received at least one dose"),
            c.PER_PROTOCOL: _column(BOOLEAN, description="the published analysis set"),
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
                _multiple_of(c.HAQ, c.HAQ_STEP),
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
            c.WBC: _lab(c.WBC, "10^9/L", "white blood cells"),
            c.NEUTROPHILS: _lab(c.NEUTROPHILS, "10^9/L", "neutrophils"),
            c.LYMPHOCYTES: _lab(c.LYMPHOCYTES, "10^9/L", "lymphocytes"),
            c.HEMOGLOBIN: _lab(c.HEMOGLOBIN, "g/L", "haemoglobin"),
            c.PLATELETS: _lab(c.PLATELETS, "10^9/L", "platelets"),
            c.ALT: _lab(c.ALT, "U/L", "alanine aminotransferase"),
            c.AST: _lab(c.AST, "U/L", "aspartate aminotransferase"),
            c.CREATININE: _lab(c.CREATININE, "µmol/L", "creatinine"),
        },
        strict=False,
    ),
    c.IMMUNOLOGY: pa.DataFrameSchema(
        {
            c.SUBJECT_ID: _subject_id(),
            c.WEEK: _week(),
            c.CD4: _lab(c.CD4, "cells/µL", "CD4+ T cells"),
            c.TREG_PCT: _measure(
                c.TREG_PCT,
                "% of CD4+",
                "CD4+CD25+Foxp3+ regulatory T cells",
                _in_range(c.TREG_PCT, 0, 100),
            ),
            c.TREG_PER_UL: _lab(c.TREG_PER_UL, "cells/µL", "regulatory T cells"),
            c.TH17_PCT: _measure(
                c.TH17_PCT, "% of CD4+", "Th17 cells", _in_range(c.TH17_PCT, 0, 100)
            ),
            c.IL21: _lab(c.IL21, "pg/mL", "serum IL-21"),
            c.IL6: _lab(c.IL6, "pg/mL", "serum IL-6"),
            c.IL17A: _lab(c.IL17A, "pg/mL", "serum IL-17A"),
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
            c.PUB_KEY: _column(STRING, unique=True, description="ledger key"),
            c.PUB_SOURCE: _column(STRING, _isin(PUBLISHED_SOURCES), description="source"),
            c.PUB_STATEMENT: _column(STRING, description="the published statement"),
            c.PUB_POPULATION: _column(STRING, nullable=True, description="analysis population"),
            c.PUB_ENDPOINT: _column(STRING, nullable=True, description="endpoint"),
            c.WEEK: _column(INTEGER, nullable=True, unit=c.WEEK, description="time point"),
            c.ARM: _column(STRING, nullable=True, description="arm code; empty for a comparison"),
            c.PUB_STATISTIC: _column(
                STRING, _isin(PUBLISHED_STATISTICS), description="kind of number"
            ),
            c.PUB_VALUE: _column(FLOAT, description="the published value"),
            c.PUB_COMPARISON: _column(
                STRING, _isin(PUBLISHED_COMPARISONS), description="how it is reproduced"
            ),
            c.PUB_TOLERANCE: _column(
                FLOAT, nullable=True, description="factor for within_factor; empty for exact"
            ),
        },
        strict=False,
    ),
}
"""The pandera schema of every CSV of a release (published.csv included)."""


PER_SUBJECT = (c.ASSESSMENTS, c.ADVERSE_EVENTS, c.LABS, c.IMMUNOLOGY, c.EXPOSURE)


PER_VISIT = (c.ASSESSMENTS, c.LABS, c.IMMUNOLOGY)


RELATIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "withdrawal_week_filled": (
        (c.SUBJECTS,),
        c.WITHDRAWAL_WEEK,
        f"{c.WITHDRAWAL_WEEK} empty iff {c.COMPLETED}",
    ),
    "withdrawal_reason_filled": (
        (c.SUBJECTS,),
        c.WITHDRAWAL_REASON,
        f"{c.WITHDRAWAL_REASON} empty iff {c.COMPLETED}",
    ),
    "baseline": (
        (c.SUBJECTS,),
        c.SUBJECT_ID,
        f"has a week {c.BASELINE_WEEK} visit in {c.ASSESSMENTS}",
    ),
    "known_subject": (PER_SUBJECT, c.SUBJECT_ID, f"{c.SUBJECT_ID} exists in {c.SUBJECTS}"),
    "unique_visit": (PER_VISIT, c.WEEK, f"({c.SUBJECT_ID}, {c.WEEK}) is unique"),
    "unique_cycle": ((c.EXPOSURE,), c.CYCLE, f"({c.SUBJECT_ID}, {c.CYCLE}) is unique"),
    "tjc": ((c.ASSESSMENTS,), c.TJC68, f"{c.TJC68} >= {c.TJC28}"),
    "sjc": ((c.ASSESSMENTS,), c.SJC66, f"{c.SJC66} >= {c.SJC28}"),
    "withdrawal": ((c.ASSESSMENTS,), c.WEEK, f"{c.WEEK} <= {c.WITHDRAWAL_WEEK}"),
    "safety_population": (
        (c.ADVERSE_EVENTS,),
        c.SUBJECT_ID,
        "subject is in the safety population",
    ),
    "ae_end_after_onset": (
        (c.ADVERSE_EVENTS,),
        c.AE_END_DAY,
        f"{c.AE_END_DAY} >= {c.AE_ONSET_DAY}",
    ),
    "doses": ((c.EXPOSURE,), c.DOSES_RECEIVED, f"{c.DOSES_RECEIVED} <= {c.DOSES_PLANNED}"),
}
"""Rules across columns and files: name -> (files, column reported, rule). A message appends the
other side of a comparison in parentheses, e.g. ``"tjc68 >= tjc28 (20)"``."""


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


def metadata_table() -> pd.DataFrame:
    """The keys of metadata.yml for the book's appendix: ``field`` (the key) and ``rule``
    (required, required for simulated data, or optional with its rule and meaning)."""
    rows = [(name, "required") for name in METADATA_KEYS]
    rows += [(name, "required for simulated data") for name in SIMULATED_METADATA_KEYS]
    rows += [
        (name, f"optional; an integer >= 0: {meaning}")
        for name, meaning in OPTIONAL_METADATA_COUNTS.items()
    ]
    return pd.DataFrame(rows, columns=["field", "rule"])
