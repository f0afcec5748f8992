"""Tests of the release snapshots (ldil2.pipeline.snapshots, format 2: ARD rows and glued
texts), the results file of the build and the earlier data transfer. The What-changed page,
which compares ARD rows, is tested in tests/test_changes.py."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from IPython.core.formatters import format_display_data
from results_support import write_results

from ldil2 import testing
from ldil2.data.release import load
from ldil2.pipeline import cache, earlier, results, snapshots, toc
from ldil2.results import format as ard_format
from ldil2.results.changes import changed_results
from ldil2.results.format import Row

RECORD = "application/papermill.record/"  # myst_nb.ext.glue.GLUE_PREFIX


def row(
    rid: str = "acr20.w24.pp.ldil2.proportion_wilson",
    stat: str = "percent",
    value=76.5,
    chapter: str = "primary",
) -> Row:
    """One ARD row of a fake chapter."""
    return Row(
        rid,
        chapter,
        "acr20",
        "ACR20 response",
        "per_protocol",
        "proportion_wilson",
        24,
        "ldil2",
        stat,
        value,
        "%",
        "Wilson.",
    )


def _glue_output(name: str, value: object, display: bool = False) -> nbformat.NotebookNode:
    """The output myst_nb.glue(name, value, display) writes (myst-nb 1.4 glue/__init__.py)."""
    bundle, metadata = format_display_data(value)
    prefix = "" if display else RECORD
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    data = {prefix + key: item for key, item in bundle.items()}
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata)


def _notebook(path: Path, glued: dict[str, object]) -> Path:
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [_glue_output(name, value) for name, value in glued.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def _build(folder: Path, version: str, chapters: dict[str, dict[str, object]]) -> Path:
    """A fake successful build folder: report.json, the results file of the staged executed
    notebooks and results/ard.json. A glued list of Rows is recorded as the chapter's ARD."""
    chapters = {
        name: {
            (f"{ard_format.ARD_GLUE_PREFIX}1" if isinstance(v, list) else k): (
                ard_format.to_json(v) if isinstance(v, list) else v
            )
            for k, v in glued.items()
        }
        for name, glued in chapters.items()
    }
    notebooks = {
        name: nbformat.read(_notebook(folder / "stage" / f"{name}.ipynb", glued), as_version=4)
        for name, glued in chapters.items()
    }
    products = {name: results.notebook_products(nb, name) for name, nb in notebooks.items()}
    rows = [r for name in sorted(products) for r in products[name].rows]
    write_results(folder / "stage" / results.RESULTS_FILE, results.book_values(products), rows)
    (folder / "results").mkdir(parents=True, exist_ok=True)
    (folder / "results" / "ard.json").write_text(ard_format.to_json(rows))
    report = {
        "status": "ok",
        "data": {"version": version},
        "parameters": {"population": "per_protocol", "data_dir": "data"},
        "chapters": {name: {"status": "executed"} for name in chapters},
    }
    (folder / "report.json").write_text(json.dumps(report))
    return folder


def test_results_file_holds_glued_scalars_by_chapter_and_reads_back(tmp_path):
    # ldil2.build: the results file the build writes for second-phase documents
    class Rich:
        def _repr_html_(self) -> str:
            return "<b>table</b>"

    glued = {"pct": 70.58823529411765, "n": 17, "text": "P = 0.014", "table": Rich()}
    primary = nbformat.read(_notebook(tmp_path / "x.ipynb", glued), as_version=4)
    shown = nbformat.v4.new_code_cell("glue('a', 1.5)")
    shown.outputs = [_glue_output("a", 1.5, display=True)]  # glued with display=True
    index = nbformat.v4.new_notebook(cells=[shown])
    products = {
        "chapters/primary": results.notebook_products(primary, "chapters/primary"),
        "index": results.notebook_products(index, "index"),
    }
    values = results.book_values(products)
    assert values == {
        "primary:pct": 70.58823529411765,
        "primary:n": 17,
        "primary:text": "P = 0.014",
        "index:a": 1.5,
    }
    path = tmp_path / "stage" / results.RESULTS_FILE
    write_results(path, values, [row()])
    assert results.read_results(path) == (values, [row()])
    assert path.read_text().endswith("}\n")


def test_read_results_refuses_another_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not a results file"):
        results.read_results(path)


def test_version_key_orders_numerically():
    versions = ["2026.11.10", "2026.08.1", "2026.11.2", "2026.11.1"]
    assert sorted(versions, key=snapshots.version_key) == [
        "2026.08.1",
        "2026.11.1",
        "2026.11.2",
        "2026.11.10",
    ]


def test_snapshot_is_deterministic_sorted_json(tmp_path):
    rows = [row(stat="percent"), row(stat="n", value=13)]
    first = snapshots.write_snapshot({"b:x": 1.0, "a:y": "s"}, rows, "1.0.0", tmp_path / "r1")
    second = snapshots.write_snapshot(
        {"a:y": "s", "b:x": 1.0}, rows[::-1], "1.0.0", tmp_path / "r2"
    )
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert text.endswith("}\n")
    assert text.index('"a:y"') < text.index('"b:x"')


def test_release_command_snapshots_every_glued_value(tmp_path, capsys):
    build = _build(
        tmp_path / "build",
        "2026.11.1",
        {
            "chapters/primary": {"acr20_w24": "76.5%", "n_pp": 17, "ard": [row()]},
            "index": {"version": "2026.11.1"},
        },
    )
    assert snapshots.release_command(build, tmp_path / "releases") == 0
    snapshot = snapshots.read_snapshot(tmp_path / "releases" / "2026.11.1.json")
    assert snapshot["values"] == {
        "primary:acr20_w24": "76.5%",
        "primary:n_pp": 17,
        "index:version": "2026.11.1",
    }
    assert snapshot["rows"] == [row()]  # the numbers, as ARD rows
    assert snapshot["edition"] == {"population": "per_protocol"}
    assert "1 ARD rows and 3 values of data release 2026.11.1" in capsys.readouterr().out


def test_release_command_refuses_a_failed_build(tmp_path, capsys):
    build = _build(tmp_path / "build", "1", {"index": {"a": 1}})
    report = json.loads((build / "report.json").read_text())
    (build / "report.json").write_text(json.dumps({**report, "status": "failed"}))
    assert snapshots.release_command(build, tmp_path / "releases") == 1
    assert "status 'failed'" in capsys.readouterr().err
    assert not (tmp_path / "releases").exists()


def test_cut_release_drops_late_pages_and_stays_valid(tmp_path):
    source = testing.small_release(tmp_path / "source", per_arm=6)
    out = tmp_path / "earlier"
    late = earlier.cut_release(source, out, "2026.08.1", after_week=12, late_subjects_per_arm=2)
    # the last 2 subject_ids of each arm
    subjects = pd.read_csv(source / "subjects.csv")
    expected = sorted(
        sid
        for arm in ("ldil2", "placebo")
        for sid in sorted(subjects.loc[subjects["arm"] == arm, "subject_id"])[-2:]
    )
    assert late == expected
    before = pd.read_csv(source / "assessments.csv", dtype=str, keep_default_na=False)
    after = pd.read_csv(out / "assessments.csv", dtype=str, keep_default_na=False)
    dropped = before["subject_id"].isin(late) & (before["week"].astype(int) > 12)
    assert dropped.any()
    pd.testing.assert_frame_equal(before[~dropped].reset_index(drop=True), after)
    assert (out / "subjects.csv").read_bytes() == (source / "subjects.csv").read_bytes()
    release = load(out)  # obeys the data contract
    assert release.version == "2026.08.1"
    assert release.metadata["derived_from"]["version"] == load(source).version


def test_chapter_key_of_a_chapter_reading_snapshots_follows_them(tmp_path):
    # the build: a chapter declaring "releases/" re-executes when a snapshot changes
    root = tmp_path / "book"
    (root / "releases").mkdir(parents=True)
    (root / "requirements.txt").write_text("pins\n")
    md = root / "changes.md"
    md.write_text("source\n")
    snapshot = snapshots.write_snapshot({"a:x": 1}, [], "1", root / "releases")
    reads = ("subjects.csv", toc.SNAPSHOTS_READ)
    before = cache.chapter_key(md, {}, tmp_path / "data", reads, root)
    unaware = cache.chapter_key(md, {}, tmp_path / "data", ("subjects.csv",), root)
    snapshot.write_text(snapshot.read_text().replace('"a:x": 1', '"a:x": 2'))
    assert cache.chapter_key(md, {}, tmp_path / "data", reads, root) != before
    assert cache.chapter_key(md, {}, tmp_path / "data", ("subjects.csv",), root) == unaware


def test_committed_snapshots_show_real_differences():
    # releases/ ships a snapshot of the current data release and of the earlier data transfer
    store = Path(__file__).resolve().parents[1] / "releases"
    version = load(store.parent / "data", tables=[]).version
    current = snapshots.read_snapshot(store / f"{version}.json")
    other = snapshots.previous_version(store, version)
    assert other == earlier.EARLIER_RELEASE["version"]
    previous = snapshots.read_snapshot(store / f"{other}.json")
    changed = changed_results(current["rows"], previous["rows"])
    assert 0 < len(changed) < len({r.result_id for r in current["rows"]})
    assert current["edition"]["population"] == "per_protocol"
    assert all(isinstance(r.value, float) for r in current["rows"])


def test_read_snapshot_refuses_the_older_format_with_the_command_to_regenerate(tmp_path):
    # format 1 (glued values only) is what the book wrote before the results dataset
    old = Path(__file__).parent / "fixtures" / "snapshot_2026.11.1_before_ard.json"
    assert json.loads(old.read_text())["format"] == 1
    with pytest.raises(snapshots.SnapshotError, match="format 1.*python -m ldil2 release"):
        snapshots.read_snapshot(old)


def test_read_snapshot_refuses_a_file_that_is_not_one(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(snapshots.SnapshotError, match="x.json: not a release snapshot"):
        snapshots.read_snapshot(path)
