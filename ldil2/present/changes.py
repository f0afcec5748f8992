"""What a reader sees of a change between editions: the declared conclusions table, the changed
results grouped by page and endpoint, the full list, and the one-line verdict.

Every text is read from ARD rows (the rows of this edition, of the previous edition's snapshot
and of the "What changed" page's own records) and formatted by :mod:`ldil2.present.format`.
Reader labels come from the rows (``endpoint_label``, ``week``, ``group``, ``unit``), the
page titles from the table of contents: no result_id, chapter name or analysis id is shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ldil2 import contract as c
from ldil2.present.format import (
    NOT_ESTIMABLE,
    format_count,
    format_signed,
    format_threshold,
    interval_text,
    p_cell,
)
from ldil2.present.labels import CHANGE_UNITS
from ldil2.present.tables import HtmlTable
from ldil2.results import conclusions as cc
from ldil2.results.ard import Ard
from ldil2.results.changes import ChangedResult
from ldil2.results.conclusions import Conclusion, Evaluation
from ldil2.results.format import Row

# ---------------------------------------------------------------------------------------------
# A result in words
# ---------------------------------------------------------------------------------------------

ANALYSIS_LABELS: dict[str, str] = {
    "count": "participants",
    "proportion_wilson": "responders",
    "difference_newcombe": "difference in proportions",
    "or_woolf": "odds ratio",
    "fisher": "Fisher's exact test",
    "gee_logit": "odds ratio (GEE)",
    "gee_risk_difference": "risk difference (GEE)",
    "mixed_model": "difference in mean change (mixed model)",
    "mean_t": "mean (95% CI)",
    "median_iqr": "median (quartiles)",
    "ancova": "difference in mean change (ANCOVA)",
    "mi_ancova": "difference in mean change (multiple imputation)",
    "tipping_point": "tipping point",
    "logistic_per_sd": "odds ratio per SD",
    "logistic_interaction": "ratio of odds ratios (arm by marker)",
    "roc_delong": "area under the ROC curve",
    "mann_whitney": "Mann-Whitney test",
    "detectable_or": "detectable odds ratio",
    "exposure": "exposure",
    "ae_incidence": "participants with an event",
    "lab_shift": "shifts out of the reference range",
    "ledger": "published number reproduced",
    "mean_sd": "mean (SD)",
    "min_max": "range",
    "participant_flow": "participants",
    "visit_completeness": "values observed",
    "ae_onset_dosing": "events in a dosing period",
    "gee_logit_wald": "odds ratio (GEE, large-sample Wald sensitivity analysis)",
    "mixed_model_wald": "difference in mean change (mixed model, large-sample Wald sensitivity "
    "analysis)",
    "mi_monte_carlo": "Monte Carlo error of the multiple imputation",
    "mi_imputations": "number of imputations",
    "kaplan_meier": "time to first response (Kaplan-Meier)",
    "logrank": "log-rank test",
    "interaction_logistic": "arm-by-subgroup interaction (logistic regression)",
    "interaction_ancova": "arm-by-subgroup interaction (linear model)",
    "nri": "non-responder imputation",
}
"""Short reader name of each analysis id (a ``_nri`` variant adds the imputation); an id not
listed reads as the first clause of its method sentence."""

LONGITUDINAL = ("gee_logit", "mixed_model", "gee_logit_wald", "mixed_model_wald")
"""Analyses whose result without a week is the one across visits."""

DIGITS_BY_UNIT: dict[str, int] = {
    "%": 1,
    "percentage points": 1,
    "odds ratio": 2,
    **dict(CHANGE_UNITS.values()),
}
"""Decimals of an estimate by unit (other units: 2 below 10, else 1)."""

_NRI = "_nri"


def analysis_label(row: Row) -> str:
    """The reader name of the row's analysis (:data:`ANALYSIS_LABELS`)."""
    base = row.analysis.removesuffix(_NRI)
    label = ANALYSIS_LABELS.get(base) or row.method.split(" (")[0].split(".")[0]
    return f"{label}, non-responder imputation" if row.analysis.endswith(_NRI) else label


def result_label(row: Row, population: str) -> str:
    """A result in words, from its row: when, which arm or comparison, what, e.g.
    ``Week 24, Ld-IL2 + MTX vs Placebo + MTX: difference in proportions``; the population is
    named when it is not the edition's `population`."""
    if row.week is not None:
        when = f"Week {row.week}"
    else:
        when = "Across visits" if row.analysis.removesuffix(_NRI) in LONGITUDINAL else ""
    if row.group == "difference":
        who = " vs ".join(c.ARM_LABELS[arm] for arm in c.ARMS)
    else:
        who = c.ARM_LABELS.get(row.group, "")
    head = ", ".join(part for part in (when, who) if part)
    text = f"{head}: {analysis_label(row)}" if head else analysis_label(row)
    if row.population != population:
        text += f" ({c.POPULATION_LABELS[row.population]})"
    return text[0].upper() + text[1:]


def _digits(unit: str, values: Sequence[float]) -> int:
    if unit in DIGITS_BY_UNIT:
        return DIGITS_BY_UNIT[unit]
    finite = [abs(v) for v in values if math.isfinite(v)]
    return 2 if not finite or max(finite) < 10 else 1


def _number(value: float) -> str:
    """A statistic without a layout of its own: an integer as such, else 3 decimals below 1
    and 2 above."""
    if not math.isfinite(value):
        return NOT_ESTIMABLE
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def result_text(stats: Mapping[str, float] | None, unit: str) -> str:
    """The statistics of one result but its P as a reader reads them: ``4.08 (1.35 to 12.33)``
    (estimate, 95% CI), ``13/17 (76.5%)`` (n of N), ``-5.7 (-8.1 to -3.3); n = 17`` (mean),
    ``reproduced (computed 0.013)``, '' for a P alone; '-' when the edition lacks the result.
    The P goes in a column of its own (:func:`result_p`)."""
    if stats is None:
        return "-"
    s = dict(stats)
    parts: list[str] = []
    centre = next((k for k in ("estimate", "mean", "median") if k in s), None)
    low, high = ("q1", "q3") if centre == "median" else ("lcl", "ucl")
    if "reproduced" in s:
        verdict = "reproduced" if s.pop("reproduced") == 1 else "not reproduced"
        s.pop("tolerance", None)
        parts.append(f"{verdict} (computed {_number(s.pop('estimate', math.nan))})")
        centre = None
    if centre and low in s and high in s:
        d = _digits(unit, [s[centre], s[low], s[high]])
        if math.isfinite(s[centre]):
            parts.append(interval_text(s.pop(centre), s.pop(low), s.pop(high), d))
        else:
            parts.append(NOT_ESTIMABLE)
            s.pop(centre), s.pop(low), s.pop(high)
    if {"n", "N"} <= set(s) and (centre is None or "percent" in s):
        parts.append(format_count(int(s.pop("n")), int(s.pop("N"))))
        s.pop("percent", None)
        s.pop("lcl", None), s.pop("ucl", None)
    s.pop("p", None)
    parts += [f"{stat} = {_number(value)}" for stat, value in sorted(s.items())]
    return "; ".join(parts)


def result_p(stats: Mapping[str, float] | None) -> str:
    """The P of one result as a table cell (:func:`ldil2.present.format.p_cell`): '' when the
    result has none, '-' when the edition lacks the result."""
    if stats is None:
        return "-"
    return p_cell(stats["p"]) if "p" in stats else ""


PRINCIPAL = ("reproduced", "estimate", "percent", "mean", "median", "p", "n", "count", "N")
"""The statistics whose change is the size of a result's change: the first that changed."""


def change_text(change: ChangedResult) -> str:
    """The size of a change: the first changed statistic of :data:`PRINCIPAL` (else the first
    changed one), this edition minus the previous one, in its unit (``+4.3 percentage points``,
    ``P +0.044``, ``+2``; a number of the published record: ``now reproduced`` or the change of
    the computed number); ``new result`` / ``no longer computed`` when one edition lacks the
    result."""
    if change.previous is None:
        return "new result"
    if change.current is None:
        return "no longer computed"
    both = [s for s in (*PRINCIPAL, *change.stats) if s in change.previous and s in change.current]
    stat = next((s for s in both if s in change.stats), change.stats[0])
    old, new = change.previous.get(stat, math.nan), change.current.get(stat, math.nan)
    if math.isnan(old) != math.isnan(new):
        return "now estimable" if math.isnan(old) else "now not estimable"
    if stat == "reproduced":
        return "now reproduced" if new == 1 else "no longer reproduced"
    if "reproduced" in change.current:
        return f"computed number {format_signed(new - old, 3)}"
    unit = change.row.unit
    if stat == "p":
        return f"P {format_signed(new - old, 3)}"
    if stat in ("n", "N", "count", "missing"):
        return f"{format_signed(new - old, 0)} {unit}".rstrip()
    if stat == "percent" or unit == "%":
        return f"{format_signed(new - old, 1)} percentage points"
    digits = _digits(unit, [old, new])
    return f"{format_signed(new - old, digits)} {unit}".rstrip()


# ---------------------------------------------------------------------------------------------
# The declared conclusions
# ---------------------------------------------------------------------------------------------


def _measure(unit: str) -> str:
    return f"the {unit}" if "ratio" in unit else "the difference"


def rule_text(conclusion: Conclusion, unit: str, ard: Ard, rid: str) -> str:
    """The decision rule in words, its numbers read from the conclusion's ARD rows, e.g.
    ``P < 0.05 and the odds ratio above 1``, ``95% CI of the difference above 0``."""
    rule = conclusion.rule
    side = "above" if rule.direction == "greater" else "below"
    no_effect = _number(ard.get(rid, "no_effect"))
    parts = []
    if rule.alpha is not None:
        parts.append(format_threshold(ard.get(rid, "alpha")))
    if rule.ci_excludes_no_effect:
        parts.append(f"95% CI of {_measure(unit)} {side} {no_effect}")
    else:
        parts.append(f"{_measure(unit)} {side} {no_effect}")
    return " and ".join(parts)


def evaluation_text(evaluation: Evaluation) -> str:
    """Estimate (95% CI) of one edition's deciding result; '-' when not computed."""
    if evaluation.status == cc.NOT_COMPUTED:
        return "-"
    stats = {"estimate": evaluation.estimate, "lcl": evaluation.lcl, "ucl": evaluation.ucl}
    return result_text(stats, evaluation.unit)


def evaluation_p(evaluation: Evaluation) -> str:
    """The P of one edition's deciding result as a table cell; '' when its rule has none, '-'
    when not computed."""
    if evaluation.status == cc.NOT_COMPUTED:
        return "-"
    return "" if math.isnan(evaluation.p) else p_cell(evaluation.p)


def status_text(ard: Ard, rid: str, evaluation: Evaluation) -> str:
    """``met`` / ``not met`` from the recorded ``met`` row; ``not estimable`` or ``not
    computed`` when it is empty."""
    met = ard.get(rid, "met")
    if math.isnan(met):
        return evaluation.status
    return cc.MET if met == 1 else cc.NOT_MET


NOT_COMPARABLE = "cannot be compared"
"""A conclusion whose rule cannot be evaluated in one of the editions."""


def changed_text(ard: Ard, rid: str) -> str:
    """``yes`` / ``no`` from the recorded ``changed`` row; :data:`NOT_COMPARABLE` when it is
    empty."""
    changed = ard.get(rid, "changed")
    return NOT_COMPARABLE if math.isnan(changed) else ("yes" if changed == 1 else "no")


STATUS_HEADER = "status: estimate (95% CI)"
"""What an edition's first cell of the conclusions table holds (its P is in the next one)."""


def edition_cell(ard: Ard, rid: str, evaluation: Evaluation) -> str:
    """One edition's first cell of a conclusion: ``met: 4.08 (1.35 to 12.33)``."""
    text = evaluation_text(evaluation)
    status = status_text(ard, rid, evaluation)
    return status if text == "-" else f"{status}: {text}"


def conclusions_table(
    conclusions: Sequence[Conclusion],
    current: Mapping[str, Evaluation],
    previous: Mapping[str, Evaluation] | None,
    ard: Ard,
    ids: Mapping[str, dict],
    versions: tuple[str, str | None],
    footnote: Sequence[str],
) -> HtmlTable:
    """Table 1 of "What changed": each declared conclusion under a heading of its role, its
    decision rule, previous edition -> this edition (status, estimate and 95% CI, P) and
    whether it changed; without a previous edition, this edition only."""
    version, before = versions
    header = ["Declared conclusion", "Decision rule"]
    if previous is not None:
        header += [f"Edition {before}: {STATUS_HEADER}", f"Edition {before}: P"]
    header += [f"Edition {version}: {STATUS_HEADER}", f"Edition {version}: P"]
    if previous is not None:
        header.append("Conclusion changed")
    rows: list[tuple[str, ...]] = []
    kinds: list[str] = []
    role = None
    for conclusion in conclusions:
        if conclusion.role != role:
            role = conclusion.role
            rows.append((cc.ROLES[role],))
            kinds.append("section")
        now, rid = current[conclusion.key], ids[conclusion.key]["current"]
        unit = now.unit or (previous[conclusion.key].unit if previous else "")
        cells = [conclusion.statement, rule_text(conclusion, unit, ard, rid)]
        if previous is not None:
            old = previous[conclusion.key]
            cells += [edition_cell(ard, ids[conclusion.key]["previous"], old), evaluation_p(old)]
        cells += [edition_cell(ard, rid, now), evaluation_p(now)]
        if previous is not None:
            cells.append(changed_text(ard, rid))
        rows.append(tuple(cells))
        kinds.append("")
    caption = (
        f"Declared conclusions, edition {before} and edition {version}"
        if previous is not None
        else f"Declared conclusions, edition {version}"
    )
    return HtmlTable(caption, tuple(header), tuple(rows), tuple(footnote), tuple(kinds))


def _in_sentence(statement: str) -> str:
    """A statement inside a sentence: its first letter in lower case unless it starts an
    abbreviation (``More participants`` -> ``more participants``, ``DAS28-CRP`` unchanged)."""
    return statement[0].lower() + statement[1:] if statement[1:2].islower() else statement


def conclusions_line(
    conclusions: Sequence[Conclusion],
    ard: Ard,
    ids: Mapping[str, dict],
    versions: tuple[str, str | None],
    current: Mapping[str, Evaluation],
) -> str:
    """One sentence: whether any declared conclusion changed since the previous edition, from
    the recorded counts (``No declared conclusion changed since edition 2026.08.1.``, ``1 of 8
    declared conclusions changed since edition 2026.08.1: more participants ... (now met).``);
    on a first edition, that there is no earlier edition."""
    version, before = versions
    declared = int(ard.get(ids["count"], "N"))
    if before is None:
        return (
            f"This is the first edition (data release {version}): there is no earlier "
            f"edition to compare its {declared} declared conclusions with."
        )
    changed = [k for k in conclusions if changed_text(ard, ids[k.key]["current"]) == "yes"]
    n_changed = int(ard.get(ids["count"], "n"))
    open_ = sum(changed_text(ard, ids[k.key]["current"]) == NOT_COMPARABLE for k in conclusions)
    aside = (
        f"; {open_} of the {declared} {NOT_COMPARABLE} (not computed or not estimable in one "
        "edition)"
        if open_
        else ""
    )
    if not n_changed:
        return f"No declared conclusion changed since edition {before}{aside}."
    which = "; ".join(
        f"{_in_sentence(k.statement)} "
        f"(now {status_text(ard, ids[k.key]['current'], current[k.key])})"
        for k in changed
    )
    return (
        f"{n_changed} of {declared} declared conclusions changed since edition {before}: "
        f"{which}{aside}."
    )


# ---------------------------------------------------------------------------------------------
# The changed results, grouped by page and endpoint
# ---------------------------------------------------------------------------------------------

CHANGE_HEADER = ("Result", "Previous edition", "P", "This edition", "P", "Change")


def is_comparison(change: ChangedResult) -> bool:
    """A comparison of the arms or a total of a page (not one arm's descriptive statistic)."""
    return change.row.group not in c.ARMS


def _week_order(row: Row) -> tuple:
    return (row.week is not None, row.week or 0)


def order_changes(changes: Sequence[ChangedResult], pages: Sequence[str]) -> list[ChangedResult]:
    """Changes in book order: page (the toc order of `pages`; others after, by name), endpoint
    label, week (across visits first), arm then comparison, analysis."""
    rank = {page: i for i, page in enumerate(pages)}
    groups = {g: i for i, g in enumerate((*c.ARMS, "difference", ""))}

    def key(change: ChangedResult) -> tuple:
        row = change.row
        return (
            rank.get(row.chapter, len(rank)),
            row.chapter,
            row.endpoint_label,
            _week_order(row),
            groups.get(row.group, 9),
            row.analysis,
            row.result_id,
        )

    return sorted(changes, key=key)


def changes_table(
    changes: Sequence[ChangedResult],
    titles: Mapping[str, str],
    population: str,
    caption: str,
    footnote: Sequence[str],
) -> HtmlTable:
    """The changed results under a heading per page (its title, :data:`titles`) and a group
    row per endpoint (its reader label), one row each: result in words, previous edition,
    this edition, size of the change. `changes` are in :func:`order_changes` order."""
    rows: list[tuple[str, ...]] = []
    kinds: list[str] = []
    page = endpoint = None
    for change in changes:
        row = change.row
        if row.chapter != page:
            page, endpoint = row.chapter, None
            rows.append((titles.get(page, page),))
            kinds.append("section")
        if row.endpoint_label != endpoint:
            endpoint = row.endpoint_label
            rows.append((endpoint, *[""] * (len(CHANGE_HEADER) - 1)))
            kinds.append("group")
        rows.append(
            (
                result_label(row, population),
                result_text(change.previous, row.unit),
                result_p(change.previous),
                result_text(change.current, row.unit),
                result_p(change.current),
                change_text(change),
            )
        )
        kinds.append("indent")
    return HtmlTable(caption, CHANGE_HEADER, tuple(rows), tuple(footnote), tuple(kinds))
