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


PER_SUBJECT = (c.ASSESSMENTS, c.ADVERSE_EVENTS, c.LABS, c.IMMUNOLOGY, c.EXPOSURE)


PER_VISIT = (c.ASSESSMENTS, c.LABS, c.IMMUNOLOGY)


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
    "known_subject": (PER_SUBJECT, c.SUBJECT_ID, f"subject_id exists in {c.SUBJECTS}"),
    "unique_visit": (PER_VISIT, c.WEEK, "(subject_id, week) is unique"),
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
