"""Tests of ldil2.contract: its functions, and that the data and derivation layers take every
column name from it (the other constants are checked where they are used)."""

import ast
from pathlib import Path

import pytest

from ldil2 import contract as c
from ldil2.data.schemas import SCHEMAS


def test_dosing_days_day_one_is_the_first_dose():
    days = c.dosing_days()
    assert c.FIRST_DOSE_DAY == 1
    # protocol: 7 doses every other day from day 1; cycles start at weeks 0, 4, 8
    # (days 1, 1 + 28 = 29, 1 + 56 = 57)
    assert days == {
        1: [1, 3, 5, 7, 9, 11, 13],
        2: [29, 31, 33, 35, 37, 39, 41],
        3: [57, 59, 61, 63, 65, 67, 69],
    }
    assert len(days) == c.CYCLES


def test_dosing_days_takes_planned_doses_per_cycle():
    days = c.dosing_days({2: 5})
    assert days[2] == [29, 31, 33, 35, 37]
    assert len(days[1]) == len(days[3]) == c.DOSES_PER_CYCLE


# ---------------------------------------------------------------------------------------------
# Column names only from the contract (issue 15): no module of the data and derivation layers
# types a contract column name; it uses the constant of ldil2.contract.
# ---------------------------------------------------------------------------------------------

PACKAGE = Path(c.__file__).resolve().parent
LAYERS_WITHOUT_COLUMN_LITERALS = ("data", "derive")
PROSE_KEYWORDS = frozenset({"description", "help"})
"""Keyword arguments whose string is reader text (e.g. a column's description "age"), not a
name, like a docstring."""


def contract_columns() -> set[str]:
    """Every column name of every file of the contract: the string constants of ldil2.contract
    that name a column of a schema."""
    constants = {v for k, v in vars(c).items() if k.isupper() and isinstance(v, str)}
    columns = {col for schema in SCHEMAS.values() for col in schema.columns}
    return constants & columns


def column_literals(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, text) of every string literal of `source` equal to one of `names`, except
    docstrings (any string standing alone as a statement), fragments of f-strings and the
    values of PROSE_KEYWORDS arguments."""
    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            allowed.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            allowed.update(id(part) for part in node.values)
        elif isinstance(node, ast.keyword) and node.arg in PROSE_KEYWORDS:
            allowed.add(id(node.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in names
        and id(node) not in allowed
    ]


def test_contract_columns_cover_the_measures_and_keys():
    columns = contract_columns()
    assert {c.SUBJECT_ID, c.ARM, c.WEEK, c.TREG_PCT, c.IL21, c.ALT, c.PUB_VALUE} <= columns
    assert set(c.LAB_MEASURES) | set(c.IMMUNOLOGY_MEASURES) <= columns
    # every column of every schema is a constant of the contract
    assert {col for schema in SCHEMAS.values() for col in schema.columns} == columns


def test_column_literals_finds_names_but_not_docstrings_or_prose():
    source = (
        '"""Module about treg_pct_cd4."""\n'
        'X = "treg_pct_cd4"\n'
        'Y = f"treg_pct_cd4{1}"\n'
        'col(description="age", name="age")\n'
        'def f():\n    """age."""\n    return {"week": 1}\n'
    )
    assert column_literals(source, {"treg_pct_cd4", "age", "week"}) == [
        (2, "treg_pct_cd4"),
        (4, "age"),
        (7, "week"),
    ]


@pytest.mark.parametrize(
    "module",
    sorted(
        str(path.relative_to(PACKAGE))
        for layer in LAYERS_WITHOUT_COLUMN_LITERALS
        for path in (PACKAGE / layer).glob("*.py")
    ),
)
def test_no_column_name_literal_outside_the_contract(module):
    found = column_literals((PACKAGE / module).read_text(encoding="utf-8"), contract_columns())
    assert found == [], f"ldil2/{module}: use the ldil2.contract constant for " + ", ".join(
        f"line {line}: {text!r}" for line, text in found
    )
