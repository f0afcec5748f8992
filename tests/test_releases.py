"""Tests of ldil2.releases: glue snapshots, what changed, the earlier data transfer."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest
from IPython.core.formatters import format_display_data

from ldil2 import build, data, releases, testing

RECORD = "application/papermill.record/"  # myst_nb.ext.glue.GLUE_PREFIX


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
    """A fake successful build folder: report.json and the results file of the staged
    executed notebooks."""
    notebooks = {
        name: nbformat.read(_notebook(folder / "stage" / f"{name}.ipynb", glued), as_version=4)
        for name, glued in chapters.items()
    }
    build.write_results(folder / "stage" / build.RESULTS_FILE, build.results_values(notebooks))
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
    values = build.results_values({"chapters/primary": primary, "index": index})
    assert values == {
        "primary:pct": 70.58823529411765,
        "primary:n": 17,
        "primary:text": "P = 0.014",
        "index:a": 1.5,
    }
    path = tmp_path / "stage" / build.RESULTS_FILE
    build.write_results(path, values)
    assert build.read_results(path) == values
    assert path.read_text().endswith("}\n")


def test_read_results_refuses_another_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not a results file"):
        build.read_results(path)


def test_version_key_orders_numerically():
    versions = ["2026.11.10", "2026.08.1", "2026.11.2", "2026.11.1"]
    assert sorted(versions, key=releases.version_key) == [
        "2026.08.1",
        "2026.11.1",
        "2026.11.2",
        "2026.11.10",
    ]


def test_snapshot_is_deterministic_sorted_json(tmp_path):
    first = releases.write_snapshot({"b:x": 1.0, "a:y": "s"}, "1.0.0", tmp_path / "r1")
    second = releases.write_snapshot({"a:y": "s", "b:x": 1.0}, "1.0.0", tmp_path / "r2")
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert text.endswith("}\n")
    assert text.index('"a:y"') < text.index('"b:x"')


def test_release_command_snapshots_every_glued_value(tmp_path, capsys):
    build = _build(
        tmp_path / "build",
        "2026.11.1",
        {"chapters/primary": {"acr20_w24": 76.5, "n_pp": 17}, "index": {"version": "2026.11.1"}},
    )
    assert releases.release_command(build, tmp_path / "releases") == 0
    snapshot = releases.read_snapshot(tmp_path / "releases" / "2026.11.1.json")
    assert snapshot["values"] == {
        "primary:acr20_w24": 76.5,
        "primary:n_pp": 17,
        "index:version": "2026.11.1",
    }
    assert snapshot["edition"] == {"population": "per_protocol"}
    assert "3 values of data release 2026.11.1" in capsys.readouterr().out


def test_release_command_refuses_a_failed_build(tmp_path, capsys):
    build = _build(tmp_path / "build", "1", {"index": {"a": 1}})
    report = json.loads((build / "report.json").read_text())
    (build / "report.json").write_text(json.dumps({**report, "status": "failed"}))
    assert releases.release_command(build, tmp_path / "releases") == 1
    assert "status 'failed'" in capsys.readouterr().err
    assert not (tmp_path / "releases").exists()


def test_what_changed_two_releases_one_changed_value(tmp_path):
    # two tiny releases whose builds differ in exactly one glued value
    old = {"chapters/primary": {"acr20_w24": 76.5, "n_pp": 17, "p": "P = 0.014"}}
    new = {"chapters/primary": {"acr20_w24": 76.5, "n_pp": 16, "p": "P = 0.014"}}
    store = tmp_path / "releases"
    releases.release_command(_build(tmp_path / "old", "2026.08.1", old), store)
    releases.release_command(_build(tmp_path / "new", "2026.11.1", new), store)
    current = releases.read_snapshot(store / "2026.11.1.json")["values"]
    changed = releases.what_changed(current, store, "2026.11.1")
    assert changed.to_dict("records") == [
        {
            "chapter": "primary",
            "result": "n_pp",
            "previous_version": "2026.08.1",
            "previous": 17,
            "current": 16,
        }
    ]


def test_what_changed_uses_the_latest_other_version(tmp_path):
    store = tmp_path / "releases"
    releases.write_snapshot({"c:a": 1}, "2026.01.1", store)
    releases.write_snapshot({"c:a": 2}, "2026.08.1", store)
    releases.write_snapshot({"c:a": 3}, "2026.11.1", store)
    changed = releases.what_changed({"c:a": 3}, store, "2026.11.1")
    assert changed[["previous_version", "previous", "current"]].values.tolist() == [
        ["2026.08.1", 2, 3]
    ]


def test_what_changed_lists_added_and_removed_results(tmp_path):
    store = tmp_path / "releases"
    releases.write_snapshot({"c:gone": 1.0, "c:same": 2.0}, "1", store)
    changed = releases.what_changed({"c:same": 2.0, "c:new": "x"}, store, "2")
    assert changed[["result", "previous", "current"]].values.tolist() == [
        ["gone", 1.0, None],
        ["new", None, "x"],
    ]


def test_what_changed_without_another_version_is_empty(tmp_path):
    releases.write_snapshot({"c:a": 1}, "2", tmp_path)
    assert releases.what_changed({"c:a": 5}, tmp_path, "2").empty


def test_cut_release_drops_late_pages_and_stays_valid(tmp_path):
    source = testing.small_release(tmp_path / "source", per_arm=6)
    out = tmp_path / "earlier"
    late = releases.cut_release(source, out, "2026.08.1", after_week=12, late_subjects_per_arm=2)
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
    release = data.load(out)  # obeys the data contract
    assert release.version == "2026.08.1"
    assert release.metadata["derived_from"]["version"] == data.load(source).version


def test_changes_display_groups_one_change_seen_in_several_chapters(tmp_path):
    store = tmp_path / "releases"
    old = {"a:release_version": "1", "b:release_version": "1", "a:pct": 70.58823529411765}
    releases.write_snapshot(old, "1", store)
    current = {"a:release_version": "2", "b:release_version": "2", "a:pct": 64.70588235294117}
    changed = releases.what_changed(current, store, "2")
    shown = releases.changes_display(changed, "1", "This build")
    assert shown.values.tolist() == [
        ["Pct", "pct", "a", "70.5882", "64.7059"],
        ["Release version", "release_version", "a, b", "1", "2"],
    ]
    assert list(shown.columns) == ["Result", "Name", "Chapters", "Release 1", "This build"]


def test_what_changed_compares_the_build_results_with_the_other_snapshot(tmp_path):
    # the page in a build: current values from the results file, one changed value -> one row
    store = tmp_path / "releases"
    releases.write_snapshot({"primary:n_pp": 17, "primary:p": "P = 0.014"}, "2026.08.1", store)
    results = tmp_path / "stage" / build.RESULTS_FILE
    build.write_results(results, {"primary:n_pp": 16, "primary:p": "P = 0.014"})
    ch = SimpleNamespace(params={"results": str(results)})
    current, source = releases.current_values(ch, store)
    assert source == "this build"
    changed = releases.what_changed(current, store, "2026.11.1")
    assert changed[["chapter", "result", "previous", "current"]].values.tolist() == [
        ["primary", "n_pp", 17, 16]
    ]


def test_current_values_without_results_fall_back_to_the_own_snapshot(tmp_path):
    # the chapter run alone (JupyterLab): the committed snapshot of its data version
    store = tmp_path / "releases"
    releases.write_snapshot({"primary:n_pp": 16}, "2026.11.1", store)
    ch = SimpleNamespace(params={}, release=SimpleNamespace(version="2026.11.1"))
    current, source = releases.current_values(ch, store)
    assert current == {"primary:n_pp": 16}
    assert "committed snapshot of data release 2026.11.1" in source


def test_result_label_de_snake_cases_the_glue_name():
    assert releases.result_label("acr20_w24_ldil2_pct") == "Acr20 week 24 Ld-IL2 + MTX pct"


def test_chapter_key_of_a_chapter_reading_snapshots_follows_them(tmp_path):
    # ldil2.build: a chapter declaring "releases/" re-executes when a snapshot changes
    from ldil2 import build

    root = tmp_path / "book"
    (root / "releases").mkdir(parents=True)
    (root / "requirements.txt").write_text("pins\n")
    md = root / "changes.md"
    md.write_text("source\n")
    snapshot = releases.write_snapshot({"a:x": 1}, "1", root / "releases")
    reads = ("subjects.csv", build.SNAPSHOTS_READ)
    before = build.chapter_key(md, {}, tmp_path / "data", reads, root)
    unaware = build.chapter_key(md, {}, tmp_path / "data", ("subjects.csv",), root)
    snapshot.write_text(snapshot.read_text().replace('"a:x": 1', '"a:x": 2'))
    assert build.chapter_key(md, {}, tmp_path / "data", reads, root) != before
    assert build.chapter_key(md, {}, tmp_path / "data", ("subjects.csv",), root) == unaware


def test_committed_snapshots_show_real_differences():
    # releases/ ships a snapshot of the current data release and of the earlier data transfer
    store = Path(__file__).resolve().parents[1] / "releases"
    version = data.load(store.parent / "data", tables=[]).version
    current = releases.read_snapshot(store / f"{version}.json")
    assert releases.previous_version(store, version) == releases.EARLIER_RELEASE["version"]
    changed = releases.what_changed(current["values"], store, version)
    assert len(changed) > 0
    assert current["edition"]["population"] == "per_protocol"
