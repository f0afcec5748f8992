"""The format of the analysis-results dataset (ARD): columns, codes, one row per statistic.

The ARD is what leaves the book: every number a reader sees is one row of it, computed once, and
the tables, glued texts, ledger, release snapshots and "What changed" are rendered from these rows.
It follows the spirit of the CDISC Analysis Results Standard (one analysis result per row, with its
method) and of pharmaverse cards (long format, one statistic a row, values as numbers).

This module holds only the format (column names, codes, the analysis ids and their methods,
reading and writing): it imports nothing of the analysis, so the build pipeline can read the ARD
without importing statistics.

References
----------
CDISC Analysis Results Standard v1.0 (2024); pharmaverse cards, https://insightsengineering.github.io/cards/.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ldil2 import contract as c

COLUMNS: dict[str, str] = {
    "result_id": "stable, human-readable id of one analysis result, "
    "<endpoint>.<week>.<population>.<group>.<analysis> (e.g. acr20.w24.pp.difference.newcombe); "
    "the statistics of one result share it",
    "chapter": "the chapter (page) that computes the result",
    "endpoint": "the analysis-table column analysed (e.g. acr20, chg_cdai), or a named summary",
    "endpoint_label": "the endpoint as a reader reads it (e.g. ACR20 response)",
    "population": "analysis population: per_protocol | itt | safety",
    "analysis": "method id (the table of analysis ids below gives each method and reference)",
    "week": "visit week (integer); empty = across visits or not by visit",
    "group": "ldil2 | placebo | difference | empty (both arms or not by arm)",
    "stat": "the statistic: n, N, percent, mean, sd, median, q1, q3, estimate, lcl, ucl, p, ...",
    "value": "the number (never text); empty where the statistic is not estimable",
    "unit": "unit of value (e.g. %, percentage points, index points, odds ratio), or empty",
    "method": "one sentence a reader can read: what was computed and how",
}
"""Every column of the ARD, in order, with its meaning (documented on the Results dataset page)."""

GROUPS: tuple[str, ...] = (*c.ARMS, "difference", "")
POPULATION_CODES: dict[str, str] = {"per_protocol": "pp", "itt": "itt", "safety": "safety"}
ACROSS_VISITS = "all"
"""The week part of a result_id of a result across visits (or not by visit)."""

STATS: dict[str, str] = {
    "n": "count of participants (or events) with the characteristic",
    "N": "count of participants in the denominator",
    "percent": "percentage, 0-100",
    "mean": "arithmetic mean",
    "sd": "standard deviation",
    "median": "median",
    "q1": "first quartile",
    "q3": "third quartile",
    "min": "minimum",
    "max": "maximum",
    "estimate": "point estimate of the analysis (difference, ratio, AUC, ...)",
    "se": "standard error of the estimate",
    "lcl": "lower limit of the 95% confidence interval",
    "ucl": "upper limit of the 95% confidence interval",
    "p": "two-sided P value",
    "df": "degrees of freedom",
    "statistic": "test statistic",
    "fmi": "fraction of missing information",
    "count": "a count that is not of participants (events, visits, imputations, days)",
    "tolerance": "the tolerance of a comparison",
    "reproduced": "1 when a published number is reproduced exactly (equal at the precision "
    "the record prints it), 0 when not",
    "consistent": "1 when a published number agrees with the book's value only within its "
    "stated tolerance (not exactly), 0 when not; in the ledger summary, the count of them",
    # participants, methods, data contract
    "missing": "count of missing values (participants or visits without a value)",
    # declared conclusions (conclusions.yml)
    "met": "1 when a declared conclusion's decision rule is met, 0 when not; empty when it "
    "cannot be evaluated",
    "changed": "1 when a declared conclusion's status differs from the previous edition's, 0 "
    "when not; empty when there is no previous edition",
    "alpha": "the significance level of a decision rule (met when P is below it)",
    "no_effect": "the value of no difference a decision rule compares with (0, or 1 for a ratio)",
}
"""The statistics an ARD row may hold."""


@dataclass(frozen=True)
class Analysis:
    """One analysis id: the method in a sentence and where it is defined."""

    method: str
    reference: str


ANALYSES: dict[str, Analysis] = {
    "count": Analysis("Number and percentage of participants.", ""),
    "proportion_wilson": Analysis(
        "Proportion of responders with the Wilson score 95% confidence interval.",
        "Wilson, J Am Stat Assoc 1927;22:209-212.",
    ),
    "difference_newcombe": Analysis(
        "Difference of two proportions (Ld-IL2 minus placebo) with the Newcombe hybrid score "
        "95% confidence interval (method 10).",
        "Newcombe, Stat Med 1998;17:873-890.",
    ),
    "or_woolf": Analysis(
        "Odds ratio (Ld-IL2 vs placebo) with the Woolf logit 95% confidence interval; not "
        "estimable (empty value) when a cell is 0, with no continuity correction.",
        "Woolf, Ann Hum Genet 1955;19:251-253.",
    ),
    "fisher": Analysis(
        "Two-sided Fisher's exact test of the 2x2 table.", "Fisher, J R Stat Soc 1922;85:87-94."
    ),
    "gee_logit": Analysis(
        "Logistic generalized estimating equations across visits (arm and visit as factors, "
        "exchangeable working correlation by the statsmodels moment estimator, Mancl-DeRouen "
        "bias-reduced sandwich standard errors, Wald z tests).",
        "Liang & Zeger, Biometrika 1986;73:13-22; Mancl & DeRouen, Biometrics 2001;57:126-134.",
    ),
    "gee_logit_wald": Analysis(
        "Sensitivity analysis of the across-visit logistic GEE: the same fit with the "
        "uncorrected robust (Liang-Zeger) sandwich standard error and the Wald z test, the "
        "large-sample analysis the per-protocol results were first reported with.",
        "Liang & Zeger, Biometrika 1986;73:13-22.",
    ),
    "gee_risk_difference": Analysis(
        "Model-based risk difference at one visit from the logistic GEE with arm-by-visit "
        "interaction, with a delta-method 95% confidence interval.",
        "Liang & Zeger, Biometrika 1986;73:13-22.",
    ),
    "mixed_model": Analysis(
        "Linear mixed model for the change from baseline (arm, visit, arm-by-visit, baseline "
        "value; random intercept per participant; REML; t tests and CIs with Satterthwaite "
        "degrees of freedom, as R's lmerTest).",
        "Laird & Ware, Biometrics 1982;38:963-974; Kuznetsova et al., J Stat Softw 2017;82(13).",
    ),
    "mixed_model_wald": Analysis(
        "Sensitivity analysis of the across-visit mixed model: the same fit with the "
        "large-sample Wald z test and CI, the analysis the per-protocol results were first "
        "reported with.",
        "Laird & Ware, Biometrics 1982;38:963-974.",
    ),
    "mean_t": Analysis(
        "Mean with the t-based 95% confidence interval (observed values).",
        "Student, Biometrika 1908;6:1-25.",
    ),
    "median_iqr": Analysis("Median with first and third quartiles (observed values).", ""),
    "ancova": Analysis(
        "Analysis of covariance at one visit: linear regression of the change on arm and the "
        "baseline value; t-based 95% confidence interval and P value.",
        "Vickers & Altman, BMJ 2001;323:1123-1124.",
    ),
    "mi_ancova": Analysis(
        "ANCOVA after multiple imputation of missing changes (normal model by arm), pooled with "
        "Rubin's rules (Barnard-Rubin degrees of freedom).",
        "Rubin 1987; Barnard & Rubin, Biometrika 1999;86:948-955.",
    ),
    "mi_monte_carlo": Analysis(
        "Monte Carlo standard errors of the multiple-imputation result (how much it would move "
        "with another random seed): sqrt(B/m) for the pooled estimate, the jackknife over "
        "imputations for the pooled P value.",
        "White, Royston & Wood, Stat Med 2011;30:377-399.",
    ),
    "mi_imputations": Analysis(
        "Number of imputations by von Hippel's two-stage rule: pilot imputations estimate the "
        "fraction of missing information; its upper 95% confidence limit F sets "
        "m = 1 + 1/2 (F / cv)^2 for a target coefficient of variation cv of the standard error.",
        "von Hippel, Sociol Methods Res 2020;49:699-718.",
    ),
    "nri": Analysis(
        "Non-responder imputation: participants without a value count as non-responders.",
        "EMA Guideline on missing data in confirmatory clinical trials, 2010.",
    ),
    "tipping_point": Analysis(
        "Tipping-point analysis: the shift added to imputed values in the Ld-IL2 arm at which "
        "the multiple-imputation result stops being significant at 5%.",
        "Ratitch et al., Pharm Stat 2013;12:337-347.",
    ),
    "logistic_per_sd": Analysis(
        "Logistic regression of response on the standardised baseline marker (odds ratio "
        "per standard deviation, Wald 95% confidence interval and P value).",
        "Hosmer & Lemeshow, Applied Logistic Regression, 2000.",
    ),
    "logistic_interaction": Analysis(
        "Logistic regression with an arm-by-marker interaction (ratio of odds ratios).",
        "Hosmer & Lemeshow, Applied Logistic Regression, 2000.",
    ),
    "roc_delong": Analysis(
        "Area under the ROC curve with the DeLong 95% confidence interval.",
        "DeLong et al., Biometrics 1988;44:837-845.",
    ),
    "mann_whitney": Analysis(
        "Two-sided Mann-Whitney U test.", "Mann & Whitney, Ann Math Stat 1947;18:50-60."
    ),
    "detectable_or": Analysis(
        "Smallest odds ratio per SD detectable with 80% power at two-sided 5% (Hsieh).",
        "Hsieh et al., Stat Med 1998;17:1623-1634.",
    ),
    "exposure": Analysis("Exposure to study drug: doses and days on treatment.", ""),
    "ae_incidence": Analysis(
        "Participants with at least one adverse event of the kind (safety population).",
        "ICH E3 (1995), section 12.2.",
    ),
    "lab_shift": Analysis(
        "Participants whose laboratory value moved from within to outside the reference range.",
        "",
    ),
    "ledger": Analysis(
        "Comparison of a number of the published record with the value this book computes.", ""
    ),
    "edition": Analysis("A fact of the edition (participants, visits, imputations).", ""),
    # participants, methods, data contract
    "mean_sd": Analysis(
        "Mean and standard deviation of the observed values; the number missing is counted.",
        "",
    ),
    "min_max": Analysis("Smallest and largest observed value.", ""),
    "participant_flow": Analysis(
        "Participants per arm at each stage of the trial, from the subjects.csv flags "
        "(randomized, received at least one dose, withdrew before week 24 by recorded reason, "
        "completed week 24).",
        "Schulz et al., BMJ 2010;340:c332 (CONSORT 2010), item 13.",
    ),
    "visit_completeness": Analysis(
        "Participants of the population with a value of the endpoint at a scheduled visit "
        "(observed) out of the participants in the population (expected).",
        "Schulz et al., BMJ 2010;340:c332 (CONSORT 2010), item 13b.",
    ),
    "what_changed": Analysis(
        "Statistics of this build compared with the snapshot of the previous data release.", ""
    ),
    "conclusion": Analysis(
        "A conclusion declared in advance (conclusions.yml), evaluated on this edition: its "
        "decision rule applied to the result it names.",
        "Akl et al., J Clin Epidemiol 2017;91:23-30 (living systematic reviews).",
    ),
    "conclusion_previous": Analysis(
        "A conclusion declared in advance (conclusions.yml), evaluated on the previous "
        "edition's snapshot.",
        "Akl et al., J Clin Epidemiol 2017;91:23-30 (living systematic reviews).",
    ),
    # primary and secondary endpoints
    "published": Analysis(
        "A number of the published record (published.csv: the trial report's abstract or the "
        "trial registry), as printed there; not computed by this book.",
        "Signal Transduct Target Ther 2022;7:67; ClinicalTrials.gov NCT02467504.",
    ),
    # safety
    "ae_onset_dosing": Analysis(
        "Adverse events (events, not participants) whose onset fell on a day of a two-week "
        "dosing period (7 doses every other day from the cycle's first injection day), out of "
        "every event of the arm; the share of follow-up days in a dosing period is the share "
        "expected if onset had nothing to do with dosing.",
        "",
    ),
    # individual outputs: time to response, subgroups (ldil2.book.individual)
    "kaplan_meier": Analysis(
        "Kaplan-Meier estimate of the time to first response in weeks (the visit at which a "
        "response was first seen; participants without one censored at their last visit); "
        "median with the Brookmeyer-Crowley 95% confidence interval (log-log).",
        "Kaplan & Meier, J Am Stat Assoc 1958;53:457-481; Brookmeyer & Crowley, Biometrics "
        "1982;38:29-41.",
    ),
    "logrank": Analysis(
        "Two-sided log-rank test of equal time-to-response curves (chi-square, 1 df).",
        "Peto & Peto, J R Stat Soc A 1972;135:185-207.",
    ),
    "interaction_logistic": Analysis(
        "Wald test of the arm-by-subgroup interaction in a logistic regression of response on "
        "arm, subgroup level and their product; not estimable when an arm-by-level cell has "
        "only responders, only non-responders or no participant.",
        "Wang et al., N Engl J Med 2007;357:2189-2194 (reporting of subgroup analyses).",
    ),
    "interaction_ancova": Analysis(
        "t test of the arm-by-subgroup interaction in a linear regression of the change on "
        "arm, subgroup level, their product and the baseline value.",
        "Wang et al., N Engl J Med 2007;357:2189-2194 (reporting of subgroup analyses).",
    ),
}
"""Every analysis id of the ARD with its method and reference."""

IMPUTED = (
    "proportion_wilson",
    "difference_newcombe",
    "or_woolf",
    "fisher",
    "gee_logit",
    "gee_logit_wald",
    "gee_risk_difference",
    "logistic_per_sd",
    "logistic_interaction",
    "roc_delong",
    "detectable_or",
)
"""Analyses that also run on non-responder-imputed data, as ``<id>_nri``."""
for _analysis in IMPUTED:
    ANALYSES[f"{_analysis}_nri"] = Analysis(
        f"{ANALYSES[_analysis].method[:-1]}, after non-responder imputation (a participant "
        "without a value counts as a non-responder).",
        ANALYSES[_analysis].reference,
    )


def imputed(analysis: str, imputation: str) -> str:
    """The analysis id of `analysis` under a missing-data rule: itself for ``none`` (observed
    cases), ``<analysis>_nri`` for non-responder imputation.

    Raises
    ------
    ValueError : an unknown rule, or an analysis with no imputed variant
    """
    if imputation == "none":
        return analysis
    if imputation != "nri" or f"{analysis}_nri" not in ANALYSES:
        raise ValueError(f"analysis {analysis!r} under imputation {imputation!r}: no such id")
    return f"{analysis}_nri"


@dataclass(frozen=True)
class Row:
    """One statistic of one analysis result (the columns of :data:`COLUMNS`).

    Raises
    ------
    ValueError : a value that is not a number, an unknown analysis, group, stat or population,
        naming the result_id and the rule
    """

    result_id: str
    chapter: str
    endpoint: str
    endpoint_label: str
    population: str
    analysis: str
    week: int | None
    group: str
    stat: str
    value: float
    unit: str
    method: str

    def __post_init__(self) -> None:
        where = f"ARD row {self.result_id} {self.stat}"
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise ValueError(f"{where}: value {self.value!r} violates 'a number'")
        object.__setattr__(self, "value", float(self.value))
        if self.week is not None:
            object.__setattr__(self, "week", int(self.week))
        checks = (
            (self.analysis in ANALYSES, f"analysis {self.analysis!r} violates one of ANALYSES"),
            (self.group in GROUPS, f"group {self.group!r} violates one of {GROUPS}"),
            (self.stat in STATS, f"stat {self.stat!r} violates one of STATS"),
            (
                self.population in POPULATION_CODES,
                f"population {self.population!r} violates one of {tuple(POPULATION_CODES)}",
            ),
        )
        for ok, rule in checks:
            if not ok:
                raise ValueError(f"{where}: {rule}")

    @property
    def key(self) -> tuple[str, str]:
        """(result_id, stat): unique within one chapter's rows."""
        return (self.result_id, self.stat)

    def record(self) -> dict[str, Any]:
        """The row as a JSON-ready dict (a NaN value becomes None)."""
        out = {name: getattr(self, name) for name in COLUMNS}  # the fields, in column order
        if math.isnan(out["value"]):
            out["value"] = None
        return out

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Row:
        """A row from :meth:`record` output (None -> NaN; week "" or None -> None)."""
        values = {f.name: record[f.name] for f in fields(cls)}
        values["value"] = math.nan if values["value"] in (None, "") else float(values["value"])
        values["week"] = None if values["week"] in (None, "") else int(values["week"])
        return cls(**values)


def result_id(endpoint: str, week: int | None, population: str, group: str, analysis: str) -> str:
    """The stable id of one analysis result.

    ``<endpoint>.w<week>|all.<pp|itt|safety>.<group|all>.<analysis>``, where an analysis id that
    starts with the group's name drops it (``difference_newcombe`` under group ``difference`` is
    ``newcombe``): e.g. ``acr20.w24.pp.difference.newcombe``, ``acr20.all.pp.all.gee_logit``.
    """
    when = ACROSS_VISITS if week is None else f"w{int(week)}"
    short = analysis.removeprefix(f"{group}_") if group else analysis
    return ".".join((endpoint, when, POPULATION_CODES[population], group or "all", short))


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """Rows in a fixed order (chapter, result_id, stat) so that two builds write the same bytes."""
    return sorted(rows, key=lambda r: (r.chapter, r.result_id, r.stat))


def json_document(rows: Iterable[Row]) -> dict[str, Any]:
    """The JSON document of rows: ``{"columns": [...], "rows": [<record>, ...]}``, rows sorted."""
    return {"columns": list(COLUMNS), "rows": [r.record() for r in sort_rows(rows)]}


def to_json(rows: Iterable[Row]) -> str:
    """Deterministic JSON of rows (:func:`json_document`), sorted keys, one key a line."""
    return json.dumps(json_document(rows), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def from_json(text: str, source: str = "ARD") -> list[Row]:
    """Rows of :func:`to_json` output.

    Raises
    ------
    ValueError : names `source` when the text is not an ARD document
    """
    return from_document(json.loads(text), source)


def from_document(document: Any, source: str = "ARD") -> list[Row]:
    """Rows of a :func:`json_document` (parsed JSON).

    Raises
    ------
    ValueError : names `source` when the document is not an ARD document
    """
    if not isinstance(document, dict) or not isinstance(document.get("rows"), list):
        raise ValueError(f"{source}: not an ARD document (no 'rows' list)")
    return [Row.from_record(record) for record in document["rows"]]


def to_csv(rows: Iterable[Row]) -> str:
    """The rows as CSV with the :data:`COLUMNS` header; value written with ``repr`` precision
    (empty when NaN), week empty across visits."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sort_rows(rows):
        record = row.record()
        record["value"] = "" if record["value"] is None else repr(record["value"])
        record["week"] = "" if record["week"] is None else record["week"]
        writer.writerow(record[column] for column in COLUMNS)
    return buffer.getvalue()


ARD_GLUE_PREFIX = "ldil2_ard_"
"""Glue names under which a chapter records its ARD rows (JSON text) in its executed notebook;
the build collects them and leaves them out of the page's values."""


def is_ard_glue(name: str) -> bool:
    """True for the glue name of a chapter's ARD rows."""
    return name.startswith(ARD_GLUE_PREFIX)


FILE_GLUE_PREFIX = "ldil2_file_"
"""Glue names under which a chapter records a file for the site (the RTF of a numbered table,
:mod:`ldil2.book.outputs`): ``ldil2_file_<path on the site>``, the glued value the file's text.
The build copies them to the site and leaves them out of the page's values."""


def is_file_glue(name: str) -> bool:
    """True for the glue name of a file for the site."""
    return name.startswith(FILE_GLUE_PREFIX)


TLF_DIR = "tlf"
"""Folder of the tables' RTF files (:mod:`ldil2.book.outputs`) and of their zip on the site."""


def tlf_zip_path(version: str) -> str:
    """The zip of every RTF file of an edition on the site: ``tlf/tlf-<version>.zip``."""
    return f"{TLF_DIR}/tlf-{version}.zip"
