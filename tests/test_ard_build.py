"""The analysis-results dataset of a built book: files, one value per statistic, the values the
book showed before the results dataset, the per-page downloads, undeclared reads.

Tests marked ``build`` use the session's builds (``built_book``, ``itt_book``) or build a tiny
book; the reference values of the regression test are the committed pre-refactor snapshot
(``tests/fixtures/snapshot_2026.11.1_before_ard.json``, format 1, written by the book before
every number became an ARD row) and the stated changes in ``tests/fixtures/ard_changes.yml``.
"""

from __future__ import annotations

import csv
import json
import math
import pickle
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, run_build, tiny_book_root

from ldil2 import contract
from ldil2.pipeline import results, stage, toc
from ldil2.pipeline.common import memo_key, remembered
from ldil2.results import format as ard_format

FIXTURES = Path(__file__).parent / "fixtures"
BEFORE = FIXTURES / "snapshot_2026.11.1_before_ard.json"
CHANGES = FIXTURES / "ard_changes.yml"


def ard_rows(out: Path) -> list[ard_format.Row]:
    return ard_format.from_json((out / "results" / "ard.json").read_text(encoding="utf-8"))


def conflicts(rows: list[ard_format.Row]) -> list[str]:
    """Statistics of one comparison (endpoint, population, week, group, stat) recorded with
    different values under the same analysis: the same number shown two ways without a label."""
    seen: dict[tuple, tuple[float, str]] = {}
    found = []
    for row in rows:
        key = (row.endpoint, row.population, row.week, row.group, row.stat, row.analysis)
        if key in seen:
            value, where = seen[key]
            same = (math.isnan(value) and math.isnan(row.value)) or math.isclose(
                value, row.value, rel_tol=1e-9, abs_tol=1e-12
            )
            if not same:
                found.append(f"{key}: {value} ({where}) vs {row.value} ({row.result_id})")
        else:
            seen[key] = (row.value, row.result_id)
    return found


def test_conflicts_finds_two_values_of_one_statistic_under_one_analysis():
    def r(value: float, analysis: str = "fisher", rid: str = "a") -> ard_format.Row:
        return ard_format.Row(
            rid, "x", "acr20", "ACR20", "per_protocol", analysis, 24, "difference", "p", value,
            "", "m"
        )  # fmt: skip

    assert conflicts([r(0.3), r(0.3, rid="b")]) == []
    assert conflicts([r(0.3), r(0.2, "gee_logit")]) == []  # two analyses, labelled as such
    assert len(conflicts([r(0.3), r(0.2, rid="b")])) == 1


def test_staged_page_links_its_results_and_is_the_same_every_time(tmp_path: Path):
    cached = tmp_path / "primary.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# P")]), cached)
    first = stage.staged_notebook(cached, "chapters/primary", has_rows=True)
    assert first == stage.staged_notebook(cached, "chapters/primary", has_rows=True)
    last = nbformat.reads(first.decode(), as_version=4).cells[-1]
    assert 'href="../results/primary.csv"' in last.source
    index = nbformat.reads(stage.staged_notebook(cached, "index", False).decode(), 4).cells[-1]
    assert 'href="results/ard.csv"' in index.source and "this page" not in index.source
    page = nbformat.reads(stage.staged_notebook(cached, "chapters/x", False).decode(), 4)
    assert len(page.cells) == 1  # no rows, no link


def test_a_memo_is_made_once_per_key_and_again_when_it_cannot_be_read(tmp_path):
    memo = tmp_path / "cache" / "files.pickle"
    made = []

    def make() -> dict[str, bytes]:
        made.append(1)
        return {"results/ard.csv": f"made {len(made)}".encode()}

    assert remembered(memo, memo_key("code 1", "rows"), make) == {"results/ard.csv": b"made 1"}
    assert remembered(memo, memo_key("code 1", "rows"), make) == {"results/ard.csv": b"made 1"}
    assert remembered(memo, memo_key("code 2", "rows"), make) == {"results/ard.csv": b"made 2"}
    for made_before, unreadable in enumerate([b"", b"not a pickle", pickle.dumps("no key")], 2):
        memo.write_bytes(unreadable)
        value = remembered(memo, memo_key("code 2", "rows"), make)
        assert value == {"results/ard.csv": f"made {made_before + 1}".encode()}
    assert sorted(p.name for p in memo.parent.iterdir()) == [memo.name]  # no temporary left
    assert memo_key("ab", "c") != memo_key("a", "bc")


def test_build_writes_the_results_dataset_with_numbers_only(built_book: Path):
    with open(built_book / "results" / "ard.csv", encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == list(ard_format.COLUMNS)
    for line in table:
        if line["value"] != "":
            float(line["value"])  # never text
        assert line["analysis"] in ard_format.ANALYSES and line["stat"] in ard_format.STATS
    rows = ard_rows(built_book)
    assert (
        len(rows)
        == len(table)
        == json.loads((built_book / "report.json").read_text())["data"]["ard_rows"]
    )
    chapters = {row.chapter for row in rows}
    assert {"primary", "secondary", "safety", "biomarkers", "estimands", "ledger"} <= chapters


@pytest.mark.build
@pytest.mark.parametrize("edition", ["built_book", "itt_book"])
def test_one_value_per_statistic_unless_the_analysis_differs(edition, request):
    assert conflicts(ard_rows(request.getfixturevalue(edition))) == []


@pytest.mark.build
def test_every_page_offers_its_results_as_csv(built_book: Path):
    html = built_book / "html"
    rows = ard_rows(built_book)
    for name in toc.toc_documents(ROOT):
        stem = Path(name).name
        page = (html / f"{name}.html").read_text(encoding="utf-8")
        own = [row for row in rows if row.chapter == stem]
        if own:
            up = "../" * name.count("/")
            assert f'href="{up}results/{stem}.csv"' in page, name
            served = (html / "results" / f"{stem}.csv").read_text(encoding="utf-8")
            assert served == ard_format.to_csv(own), name
    index = (html / "index.html").read_text(encoding="utf-8")
    assert 'href="results/ard.csv"' in index and 'href="results/ard.json"' in index
    assert (html / "results" / "ard.csv").read_bytes() == (
        built_book / "results" / "ard.csv"
    ).read_bytes()


@pytest.mark.build
def test_glued_values_are_those_the_book_showed_before_or_a_stated_change(built_book: Path):
    before = json.loads(BEFORE.read_text(encoding="utf-8"))["values"]
    stated = yaml.safe_load(CHANGES.read_text(encoding="utf-8"))
    now, _ = results.read_results(built_book / "stage" / results.RESULTS_FILE)
    changed = {key for key in before if now.get(key, "(gone)") != before[key]}
    unstated = sorted(changed - set(stated))
    assert not unstated, "\n".join(
        f"{k}: {before[k]!r} -> {now.get(k, '(gone)')!r}" for k in unstated
    )
    stale = sorted(set(stated) - changed)
    assert not stale, f"stated as changed but unchanged: {stale}"
    for key, reason in stated.items():
        assert isinstance(reason, str) and len(reason) > 20, key


UNDECLARED = """
# Gamma

```{code-cell} ipython3
:tags: [parameters]

params = None
```

```{code-cell} ipython3
:tags: [remove-cell]

from ldil2.book import chapter

ch = chapter.setup(params)
```

```{code-cell} ipython3
len(ch.release.labs)
```
"""


@pytest.mark.build
def test_chapter_reading_an_undeclared_file_fails_naming_chapter_and_file(tmp_path: Path):
    root = tiny_book_root(tmp_path / "book", ["chapters/gamma"])
    header = (ROOT / "chapters" / "results_dataset.md").read_text(encoding="utf-8")
    header = header[: header.index("---\n", 4) + 4]  # the front matter: reads subjects.csv only
    assert f"reads: [{contract.SUBJECTS}]" in header
    (root / "index.md").write_text(header + "\n# Index\n", encoding="utf-8")
    (root / "chapters" / "gamma.md").write_text(header + UNDECLARED, encoding="utf-8")
    failed = run_build("--out", str(tmp_path / "out"), cwd=root)
    assert failed.returncode == 1
    message = failed.stderr
    assert "chapters/gamma.md" in message and contract.LABS in message, message
    assert "ldil2: reads:" in message, message
    assert "UndeclaredTableError" in message
