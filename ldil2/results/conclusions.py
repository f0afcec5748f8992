"""Conclusions declared in advance (``conclusions.yml``) and their evaluation on ARD rows.

A living publication says first whether its conclusions changed (Cochrane "What's new",
PRISMA-LSR item 2). The book declares them once, in ``conclusions.yml`` at the book root: each
names one result of the analysis-results dataset by ``result_id`` and a decision rule (e.g.
P < 0.05 with the odds ratio above 1; the 95% CI above 0). Each edition evaluates every
conclusion on its own rows and on the rows of the previous edition's snapshot
(:func:`evaluate`), and records the outcome as ARD rows (:func:`record_conclusions`), from which
the "What changed" page and the landing page render their texts.

References
----------
Akl et al., J Clin Epidemiol 2017;91:23-30 (living systematic reviews); PRISMA-LSR, Kahale et
al., BMJ 2024 (in press: the living-review extension of PRISMA 2020).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ldil2.results.ard import Ard
from ldil2.results.format import POPULATION_CODES, Row

ROLES: dict[str, str] = {
    "primary": "Primary endpoints",
    "sensitivity": "Sensitivity analysis of a primary endpoint",
    "secondary": "Key secondary endpoints",
    "safety": "Safety headline",
}
"""The role of a conclusion and the heading of its rows in the conclusions table."""

DIRECTIONS = ("greater", "less")
"""The side of the no-effect value a conclusion claims."""

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELDS = {"key", "role", "statement", "result_id", "chapter", "p_result_id", "rule"}
_RULE_FIELDS = {"direction", "no_effect", "alpha", "ci_excludes_no_effect"}


class ConclusionsError(ValueError):
    """An invalid conclusions file: every problem, one a line (file, line, column, field,
    value and rule)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Rule:
    """The decision rule of one conclusion.

    Attributes
    ----------
    direction : ``greater`` or ``less``: the side of `no_effect` the conclusion claims
    no_effect : the value of no difference (0 for a difference, 1 for a ratio)
    alpha : the conclusion needs P < alpha (None: P is not part of the rule)
    ci_excludes_no_effect : the conclusion needs the whole 95% CI on the claimed side
    """

    direction: str
    no_effect: float
    alpha: float | None = None
    ci_excludes_no_effect: bool = False


@dataclass(frozen=True)
class Conclusion:
    """One declared conclusion (an entry of ``conclusions.yml``)."""

    key: str
    role: str
    statement: str
    result_id: str
    chapter: str
    rule: Rule
    p_result_id: str | None = None

    @property
    def population(self) -> str:
        """The population of the deciding result (the third part of its result_id)."""
        code = self.result_id.split(".")[2]
        return next(p for p, c in POPULATION_CODES.items() if c == code)


# ---------------------------------------------------------------------------------------------
# Reading and checking the file
# ---------------------------------------------------------------------------------------------


def _where(source: str, node: yaml.Node) -> str:
    mark = node.start_mark
    return f"{source} line {mark.line + 1}, column {mark.column + 1}"


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    return {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def _check_result_id(value: str) -> str | None:
    """The rule a result_id violates, or None."""
    parts = value.split(".")
    if len(parts) != 5 or parts[2] not in POPULATION_CODES.values():
        codes = "|".join(POPULATION_CODES.values())
        return f"violates '<endpoint>.<week>.<{codes}>.<group>.<analysis>'"
    return None


def _check_rule(node: yaml.Node, where: str, source: str, problems: list[str]) -> Rule | None:
    fields = _mapping(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"{where}: rule violates 'a mapping'")
        return None
    for name in sorted(set(fields) - _RULE_FIELDS):
        problems.append(
            f"{_where(source, fields[name])}: rule.{name} violates one of {sorted(_RULE_FIELDS)}"
        )
    values = {name: yaml.safe_load(yaml.serialize(n)) for name, n in fields.items()}
    ok = True
    if values.get("direction") not in DIRECTIONS:
        problems.append(
            f"{where}: rule.direction {values.get('direction')!r} violates one of {DIRECTIONS}"
        )
        ok = False
    no_effect = values.get("no_effect")
    if isinstance(no_effect, bool) or not isinstance(no_effect, int | float):
        problems.append(f"{where}: rule.no_effect {no_effect!r} violates 'a number'")
        ok = False
    alpha = values.get("alpha")
    if alpha is not None and (
        isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1
    ):
        problems.append(f"{where}: rule.alpha {alpha!r} violates 'a number in (0, 1)'")
        ok = False
    excludes = values.get("ci_excludes_no_effect", False)
    if not isinstance(excludes, bool):
        problems.append(f"{where}: rule.ci_excludes_no_effect {excludes!r} violates 'true|false'")
        ok = False
    if alpha is None and excludes is not True:
        problems.append(f"{where}: rule violates 'needs alpha or ci_excludes_no_effect: true'")
        ok = False
    if not ok:
        return None
    return Rule(
        values["direction"],
        float(no_effect),
        None if alpha is None else float(alpha),
        bool(excludes),
    )


def _check_entry(
    node: yaml.Node, index: int, source: str, problems: list[str]
) -> Conclusion | None:
    where = f"{_where(source, node)}: conclusions[{index}]"
    if not isinstance(node, yaml.MappingNode):
        problems.append(f"{where} violates 'a mapping'")
        return None
    fields = _mapping(node)
    before = len(problems)
    for name in sorted(set(fields) - _FIELDS):
        problems.append(
            f"{_where(source, fields[name])}: conclusions[{index}].{name} violates "
            f"one of {sorted(_FIELDS)}"
        )
    text: dict[str, str] = {}
    for name in ("key", "role", "statement", "result_id", "chapter", "p_result_id"):
        if name not in fields:
            if name != "p_result_id":
                problems.append(f"{where}: field {name!r} is missing")
            continue
        value = fields[name]
        at = f"{_where(source, value)}: conclusions[{index}].{name}"
        if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
            problems.append(f"{at} violates 'a non-empty text'")
            continue
        text[name] = str(value.value)
        rule = None
        if name == "key" and not _KEY.match(text[name]):
            rule = f"violates '{_KEY.pattern}'"
        elif name == "role" and text[name] not in ROLES:
            rule = f"violates one of {tuple(ROLES)}"
        elif name in ("result_id", "p_result_id"):
            rule = _check_result_id(text[name])
        if rule:
            problems.append(f"{at} {text[name]!r} {rule}")
    rule_node = fields.get("rule")
    if rule_node is None:
        problems.append(f"{where}: field 'rule' is missing")
        return None
    rule = _check_rule(
        rule_node, f"{_where(source, rule_node)}: conclusions[{index}]", source, problems
    )
    if rule is None or len(problems) > before:
        return None
    return Conclusion(
        text["key"],
        text["role"],
        text["statement"],
        text["result_id"],
        text["chapter"],
        rule,
        text.get("p_result_id"),
    )


def load_conclusions(path: Path) -> list[Conclusion]:
    """The conclusions declared in ``path`` (``conclusions.yml``), checked as a whole.

    Raises
    ------
    ConclusionsError : one line per problem (file, line, column, field, value, rule): not YAML,
        no ``conclusions`` list, a missing or unknown field, an unknown role or direction, a
        result_id that is not ``<endpoint>.<week>.<population>.<group>.<analysis>``, a rule
        with neither ``alpha`` nor ``ci_excludes_no_effect``, a key used twice
    """
    source = Path(path).name
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConclusionsError([f"{source}: not a readable YAML file ({error})"]) from None
    entries = _mapping(root).get("conclusions") if root is not None else None
    if not isinstance(entries, yaml.SequenceNode) or not entries.value:
        raise ConclusionsError([f"{source}: field 'conclusions' violates 'a non-empty list'"])
    problems: list[str] = []
    found = [_check_entry(node, i, source, problems) for i, node in enumerate(entries.value)]
    keys = [str(_mapping(node)["key"].value) for node in entries.value if "key" in _mapping(node)]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"{source}: key {key!r} violates 'unique' (used {keys.count(key)} times)")
    if problems:
        raise ConclusionsError(problems)
    return [c for c in found if c is not None]


# ---------------------------------------------------------------------------------------------
# Evaluating a conclusion on the rows of one edition
# ---------------------------------------------------------------------------------------------

MET, NOT_MET, NOT_ESTIMABLE, NOT_COMPUTED = "met", "not met", "not estimable", "not computed"
"""The status of a conclusion in one edition (the text a reader reads)."""


@dataclass(frozen=True)
class Evaluation:
    """A conclusion in one edition: the deciding statistics and whether the rule is met.

    Attributes
    ----------
    estimate, lcl, ucl, p : the deciding result's statistics (NaN where absent)
    unit : the estimate's unit (e.g. ``odds ratio``)
    met : 1.0 met, 0.0 not met, NaN when the rule cannot be evaluated
    status : :data:`MET`, :data:`NOT_MET`, :data:`NOT_ESTIMABLE` (a needed statistic is NaN)
        or :data:`NOT_COMPUTED` (the edition has no such result)
    """

    estimate: float
    lcl: float
    ucl: float
    p: float
    unit: str
    met: float
    status: str


def result_rows(rows: Iterable[Row], result_id: str, chapter: str) -> list[Row]:
    """The rows of one result: those of `chapter` if it has the result, else those of the first
    chapter (in name order) that has it (an edition with other parameters may report it on
    another page only); empty if no chapter has it."""
    found: dict[str, list[Row]] = {}
    for row in rows:
        if row.result_id == result_id:
            found.setdefault(row.chapter, []).append(row)
    if chapter in found:
        return found[chapter]
    return found[min(found)] if found else []


def rule_met(rule: Rule, estimate: float, lcl: float, ucl: float, p: float) -> float:
    """Whether the rule holds: 1.0, 0.0, or NaN when a statistic it needs is NaN.

    Notes
    -----
    Met when the estimate is on the claimed side of ``no_effect`` (above it for ``greater``,
    below for ``less``) and, if the rule has ``alpha``, P < alpha and, if it has
    ``ci_excludes_no_effect``, the 95% CI lies wholly on that side (lcl > no_effect for
    ``greater``, ucl < no_effect for ``less``).
    """
    sign = 1.0 if rule.direction == "greater" else -1.0
    bound = lcl if rule.direction == "greater" else ucl
    needed = [estimate]
    needed += [p] if rule.alpha is not None else []
    needed += [bound] if rule.ci_excludes_no_effect else []
    if any(math.isnan(v) for v in needed):
        return math.nan
    met = sign * (estimate - rule.no_effect) > 0
    if rule.alpha is not None:
        met = met and p < rule.alpha
    if rule.ci_excludes_no_effect:
        met = met and sign * (bound - rule.no_effect) > 0
    return 1.0 if met else 0.0


def evaluate(conclusion: Conclusion, rows: Iterable[Row]) -> Evaluation:
    """A conclusion on the rows of one edition (:func:`result_rows`, :func:`rule_met`).

    The estimate, lcl and ucl come from the result `result_id`, P from it or from
    `p_result_id`. No such result in the rows: status :data:`NOT_COMPUTED`, every value NaN.
    """
    rows = list(rows)
    main = result_rows(rows, conclusion.result_id, conclusion.chapter)
    if not main:
        nan = math.nan
        return Evaluation(nan, nan, nan, nan, "", nan, NOT_COMPUTED)
    stats = {row.stat: row.value for row in main}
    if conclusion.p_result_id:
        stats |= {
            r.stat: r.value
            for r in result_rows(rows, conclusion.p_result_id, conclusion.chapter)
            if r.stat == "p"
        }
    values = [stats.get(s, math.nan) for s in ("estimate", "lcl", "ucl", "p")]
    met = rule_met(conclusion.rule, *values)
    status = NOT_ESTIMABLE if math.isnan(met) else (MET if met else NOT_MET)
    return Evaluation(*values, unit=main[0].unit, met=met, status=status)


# ---------------------------------------------------------------------------------------------
# The evaluations as ARD rows
# ---------------------------------------------------------------------------------------------

CONCLUSIONS = "conclusions"
"""The ARD endpoint of the count of declared and changed conclusions."""


def conclusion_endpoint(conclusion: Conclusion) -> str:
    """The ARD endpoint of one conclusion: ``conclusion_<key>``."""
    return f"conclusion_{conclusion.key}"


def record_conclusions(
    ard: Ard,
    conclusions: list[Conclusion],
    current: Mapping[str, Evaluation],
    previous: Mapping[str, Evaluation] | None,
) -> dict[str, Any]:
    """Record each conclusion's outcome in this edition (analysis ``conclusion``: ``met``,
    ``changed`` and the rule's ``alpha`` and ``no_effect``), in the previous one (analysis
    ``conclusion_previous``: ``met``) and the counts (endpoint :data:`CONCLUSIONS`: ``N``
    declared, ``n`` changed).

    ``changed`` is 1 when the rule is met in one edition and not in the other, 0 when both
    agree, NaN when they cannot be compared: no previous edition (`previous` None), or the rule
    cannot be evaluated in one of them (not computed, not estimable). `current` and `previous`
    are keyed by conclusion key.

    Returns
    -------
    dict : ``{key: {"current": id, "previous": id or None}, "count": id}``
    """
    ids: dict[str, Any] = {}
    for conclusion in conclusions:
        now = current[conclusion.key]
        before = None if previous is None else previous[conclusion.key]
        comparable = before is not None and not (math.isnan(before.met) or math.isnan(now.met))
        changed = float(before.met != now.met) if comparable else math.nan
        stats = {"met": now.met, "changed": changed, "no_effect": conclusion.rule.no_effect}
        if conclusion.rule.alpha is not None:
            stats["alpha"] = conclusion.rule.alpha
        common = {"population": conclusion.population, "unit": now.unit}
        endpoint = conclusion_endpoint(conclusion)
        ids[conclusion.key] = {
            "current": ard.record(endpoint, conclusion.statement, "conclusion", stats, **common),
            "previous": None
            if before is None
            else ard.record(
                endpoint, conclusion.statement, "conclusion_previous", {"met": before.met}, **common
            ),
        }
    n_changed = sum(ard.get(ids[c.key]["current"], "changed") == 1.0 for c in conclusions)
    ids["count"] = ard.record(
        CONCLUSIONS,
        "Declared conclusions",
        "conclusion",
        {"N": len(conclusions), "n": n_changed},
    )
    return ids
