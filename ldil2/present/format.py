"""Text of numbers: the one formatter of P values, intervals, counts and percentages.

Every number a reader sees is an ARD row first (:mod:`ldil2.results`); these functions turn
numbers, or the rows of one result, into the text of a page or a table cell. Nothing else in the
package formats a P value or an interval.
"""

from __future__ import annotations

import math

from ldil2.results.ard import Ard

NOT_ESTIMABLE = "not estimable"
"""Text of a statistic that cannot be estimated (never "nan")."""


def p_cell(p: float) -> str:
    """A P value as a table cell, under a header that says "P": '0.014' (3 decimals),
    '< 0.001' below 0.001, '1.000' rounded; NaN -> 'NA'. A cell never repeats "P =" (the
    column header names the test)."""
    if not math.isfinite(p):
        return "NA"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_p(p: float) -> str:
    """'P = 0.014' (3 decimals), 'P < 0.001' below 0.001, 'P = 1.000' rounded; NaN -> 'P = NA':
    the P value in running text (:func:`p_cell` with its "P")."""
    cell = p_cell(p)
    return f"P {cell}" if cell.startswith("<") else f"P = {cell}"


def interval_text(estimate: float, low: float, high: float, digits: int = 1) -> str:
    """'-6.0 (-11.4 to -0.7)': an estimate and its interval at `digits` decimals."""
    return f"{estimate:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def ci_text(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """'2.31 (95% CI 1.12 to 4.75)'."""
    return f"{estimate:.{digits}f} (95% CI {low:.{digits}f} to {high:.{digits}f})"


def format_count(count: int, total: int) -> str:
    """'12/17 (70.6%)'; '0/0 (NA)' when the total is 0."""
    if total == 0:
        return "0/0 (NA)"
    return f"{count}/{total} ({100 * count / total:.1f}%)"


# ---------------------------------------------------------------------------------------------
# The same texts, read from the rows of one ARD result
# ---------------------------------------------------------------------------------------------


def p_of(ard: Ard, rid: str) -> str:
    """The P value of result `rid` as printed ('P = 0.116')."""
    return format_p(ard.get(rid, "p"))


def p_cell_of(ard: Ard, rid: str) -> str:
    """The P value of result `rid` as a table cell ('0.116', '< 0.001'; :func:`p_cell`)."""
    return p_cell(ard.get(rid, "p"))


def estimate_of(ard: Ard, rid: str, digits: int = 2) -> str:
    """'2.31 (95% CI 1.12 to 4.75)' from the estimate, lcl and ucl of result `rid`; 'not
    estimable' when the estimate is NaN (e.g. an odds ratio with a 0 cell)."""
    r = ard.result(rid)
    if not math.isfinite(r["estimate"]):
        return NOT_ESTIMABLE
    return ci_text(r["estimate"], r["lcl"], r["ucl"], digits)


def interval_of(ard: Ard, rid: str, digits: int = 1) -> str:
    """'-6.0 (-11.4 to -0.7)' from the estimate, lcl and ucl of result `rid`; 'not estimable'
    when the estimate is NaN."""
    r = ard.result(rid)
    if not math.isfinite(r["estimate"]):
        return NOT_ESTIMABLE
    return interval_text(r["estimate"], r["lcl"], r["ucl"], digits)


def count_of(ard: Ard, rid: str) -> str:
    """'12/17 (70.6%)' from the n and N of result `rid`."""
    return format_count(int(ard.get(rid, "n")), int(ard.get(rid, "N")))


def percent_of(ard: Ard, rid: str, digits: int = 1) -> str:
    """'70.6%' from the percent of result `rid`."""
    return f"{ard.get(rid, 'percent'):.{digits}f}%"


def difference_of(ard: Ard, rid: str) -> str:
    """'27.1 percentage points (95% CI -2.6 to 50.0)' from a difference result (percentage
    points)."""
    r = ard.result(rid)
    return f"{r['estimate']:.1f} percentage points (95% CI {r['lcl']:.1f} to {r['ucl']:.1f})"


# ---------------------------------------------------------------------------------------------
# counts with percentages, interval clauses (safety and biomarkers)
# ---------------------------------------------------------------------------------------------


def format_n_percent(count: int, total: int) -> str:
    """'17 (73.9%)': a count and its percentage of `total`; '0 (NA)' when the total is 0."""
    share = f"{100 * count / total:.1f}%" if total else "NA"
    return f"{count} ({share})"


def n_percent_of(ard: Ard, rid: str) -> str:
    """'17 (73.9%)' from the n and N of result `rid` (:func:`format_n_percent`)."""
    return format_n_percent(int(ard.get(rid, "n")), int(ard.get(rid, "N")))


def ci_clause(low: float, high: float, digits: int = 2, p: float | None = None) -> str:
    """'95% CI 0.03 to 1.76', with '; P = 0.154' (:func:`format_p`) when `p` is given: the
    inside of the parentheses after an estimate named in words ('OR 0.22 per SD (...)')."""
    text = f"95% CI {low:.{digits}f} to {high:.{digits}f}"
    return text if p is None else f"{text}; {format_p(p)}"


# ---------------------------------------------------------------------------------------------
# changes between editions and decision rules (the "What changed" page)
# ---------------------------------------------------------------------------------------------


def format_signed(value: float, digits: int = 1) -> str:
    """'+4.3', '-0.44', '0.00' (a change that rounds to zero has no sign); NaN -> 'not
    estimable'."""
    if not math.isfinite(value):
        return NOT_ESTIMABLE
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def format_threshold(alpha: float) -> str:
    """'P < 0.05': the significance level of a decision rule."""
    return f"P < {alpha:g}"
