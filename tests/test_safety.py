"""Unit tests of ldil2.safety on small hand-made frames (expected values worked by hand or
computed with scipy/statsmodels directly)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import confint_proportions_2indep

from ldil2 import contract as c
from ldil2 import safety, testing
from ldil2.build import glued_values

ROOT = Path(__file__).resolve().parents[1]


def _subjects() -> pd.DataFrame:
    # S1, S2: Ld-IL2 safety; S3: Ld-IL2 never dosed (not in the safety population);
    # S4, S5: placebo safety
    return pd.DataFrame(
        {
            c.SUBJECT_ID: ["S1", "S2", "S3", "S4", "S5"],
            c.ARM: [c.ARM_LDIL2] * 3 + [c.ARM_PLACEBO] * 2,
            c.SEX: ["F", "M", "F", "M", "F"],
            c.SAFETY: pd.array([True, True, False, True, True], dtype="boolean"),
        }
    )


def _events() -> pd.DataFrame:
    rows = [
        # id, subject, term, soc, onset, grade, serious, related, withdrawal
        ("E1", "S1", "Injection site reaction", "General", 2, 1, False, True, False),
        ("E2", "S1", "Injection site reaction", "General", 30, 3, False, True, False),
        ("E3", "S2", "Pneumonia", "Infections", 20, 3, True, False, True),
        ("E4", "S4", "Headache", "Nervous system", 60, 1, False, False, False),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            c.AE_ID,
            c.SUBJECT_ID,
            c.AE_TERM,
            c.AE_SOC,
            c.AE_ONSET_DAY,
            c.AE_GRADE,
            c.AE_SERIOUS,
            c.AE_RELATED,
            c.AE_LED_TO_WITHDRAWAL,
        ],
    )
    return frame.astype(
        {
            c.AE_ONSET_DAY: "Int64",
            c.AE_GRADE: "Int64",
            c.AE_SERIOUS: "boolean",
            c.AE_RELATED: "boolean",
            c.AE_LED_TO_WITHDRAWAL: "boolean",
        }
    )


def test_members_and_arm_sizes_exclude_undosed():
    population = safety.members(_subjects())
    assert population[c.SUBJECT_ID].tolist() == ["S1", "S2", "S4", "S5"]
    assert safety.arm_sizes(population) == {c.ARM_LDIL2: 2, c.ARM_PLACEBO: 2}


def test_summarise_ae_overview_counts_participants_and_events():
    out = safety.summarise_ae_overview(_subjects(), _events()).set_index("category")
    ld, pl = c.ARM_LDIL2, c.ARM_PLACEBO
    # any AE: Ld-IL2 S1 and S2 (2/2, 3 events), placebo S4 (1/2, 1 event)
    any_ae = out.loc[safety.OVERVIEW_ROWS[0]]
    assert (any_ae[f"n_{ld}"], any_ae[f"events_{ld}"], any_ae[f"pct_{ld}"]) == (2, 3, 100.0)
    assert (any_ae[f"n_{pl}"], any_ae[f"events_{pl}"], any_ae[f"pct_{pl}"]) == (1, 1, 50.0)
    # related: S1 only (2 events, 1 participant); grade >= 3: S1 (E2) and S2 (E3)
    assert out.loc[safety.OVERVIEW_ROWS[1], [f"n_{ld}", f"events_{ld}"]].tolist() == [1, 2]
    assert out.loc[safety.OVERVIEW_ROWS[2], [f"n_{ld}", f"n_{pl}"]].tolist() == [2, 0]
    # serious and leading to withdrawal: S2 only
    assert out.loc[safety.OVERVIEW_ROWS[3], f"n_{ld}"] == 1
    assert out.loc[safety.OVERVIEW_ROWS[4], [f"n_{ld}", f"n_{pl}"]].tolist() == [1, 0]
    # risk difference 100% - 50% = 50 points; Newcombe CI from statsmodels directly
    low, high = confint_proportions_2indep(2, 2, 1, 2, method="newcomb", compare="diff")
    assert any_ae["rd"] == pytest.approx(50.0)
    assert (any_ae["rd_low"], any_ae["rd_high"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )


def test_summarise_ae_overview_with_no_events_in_one_arm():
    events = _events()
    events = events[events[c.SUBJECT_ID] != "S4"]
    out = safety.summarise_ae_overview(_subjects(), events).set_index("category")
    assert (out[f"n_{c.ARM_PLACEBO}"] == 0).all()
    assert (out[f"events_{c.ARM_PLACEBO}"] == 0).all()
    assert np.isfinite(out["rd_low"]).all()


def _release(events: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(
        subjects=_subjects(), adverse_events=events, is_simulated=True, version="test"
    )


def test_ae_terms_result_is_the_safety_ae_table_with_common_term_differences():
    ch = SimpleNamespace(release=_release(_events()))
    result = safety.ae_terms_result(ch)
    table = result.tables["safety_terms_table"]
    assert table.caption.startswith(
        f"Adverse events by system organ class and preferred term, {safety.FOLLOW_UP}, safety"
    )
    assert table.header[-1] == "Risk difference, percentage points (95% CI)"
    # safety population: S1, S2 (Ld-IL2) and S4, S5 (placebo); S3 was never dosed
    assert "Ld-IL2 + MTX (N = 2)" in table.header[1]
    assert f"at least {safety.COMMON_TERM_PCT:g}%" in " ".join(table.footnote)
    assert result.values["safety_common_pct"] == f"{safety.COMMON_TERM_PCT:g}%"


def test_summarise_exposure_counts_missing_cycles_as_zero_of_seven():
    exposure = pd.DataFrame(
        [
            ("S1", 1, 7, 7),
            ("S1", 2, 7, 7),
            ("S1", 3, 7, 7),
            ("S2", 1, 7, 7),
            ("S2", 2, 7, 3),  # S2 withdrew in cycle 2: no cycle-3 row
            ("S4", 1, 7, 7),
            ("S4", 2, 7, 7),
            ("S4", 3, 7, 7),
            ("S5", 1, 7, 7),
            ("S5", 2, 7, 7),
            ("S5", 3, 7, 6),
        ],
        columns=[c.SUBJECT_ID, c.CYCLE, c.DOSES_PLANNED, c.DOSES_RECEIVED],
    ).astype({c.CYCLE: "Int64", c.DOSES_PLANNED: "Int64", c.DOSES_RECEIVED: "Int64"})
    out = safety.summarise_exposure(_subjects(), exposure).set_index([c.ARM, c.CYCLE])
    ld_all = out.loc[(c.ARM_LDIL2, "All")]
    # Ld-IL2: 7 + 7 + 7 + 7 + 3 + 0 = 31 of 6 x 7 = 42 planned -> 73.8%; 15.5 per participant
    assert (ld_all[c.DOSES_RECEIVED], ld_all[c.DOSES_PLANNED]) == (31, 42)
    assert ld_all["pct_planned"] == pytest.approx(100 * 31 / 42)
    assert ld_all["mean_doses"] == pytest.approx(15.5)
    cycle3 = out.loc[(c.ARM_LDIL2, "3")]
    assert (cycle3["dosed"], cycle3[c.DOSES_RECEIVED], cycle3[c.DOSES_PLANNED]) == (1, 7, 14)
    assert out.loc[(c.ARM_PLACEBO, "All"), c.DOSES_RECEIVED] == 41  # 21 + 20


def test_dosing_windows_days_follow_the_protocol():
    # 2-week dosing periods from day 1 (days 1-14), then cycles start at weeks 4 and 8
    assert safety.dosing_windows_days() == [(1, 14), (29, 42), (57, 70)]
    assert safety.dosing_windows_weeks() == [(0, 2.0), (4, 6.0), (8, 10.0)]


def test_dosing_windows_cover_every_planned_injection_day():
    # one convention (contract.dosing_days, day 1 = first dose) for safety and efficacy
    for (start, end), days in zip(safety.dosing_windows_days(), c.dosing_days().values(),
                                  strict=True):  # fmt: skip
        assert start == days[0] and days[-1] <= end


def test_lab_abnormal_uses_sex_specific_haemoglobin_and_strict_limits():
    values = pd.Series([130.0, 130.0, 140.0, np.nan])
    sex = pd.Series(["F", "M", "M", "F"])
    flags = safety.lab_abnormal(values, sex, "hemoglobin_g_l")
    # 130 g/L is within 123-153 for women, below 140 for men; 140 is the lower limit itself
    assert flags.tolist()[:3] == [False, True, False]
    assert flags.isna().tolist() == [False, False, False, True]
    # ALT is abnormal only above its upper limit of 40 U/L: 5 is low but not abnormal
    alt = safety.lab_abnormal(pd.Series([5.0, 40.0, 41.0]), pd.Series(["F"] * 3), "alt_u_l")
    assert alt.tolist() == [False, False, True]
    # creatinine, women 0.5-1.1 mg/dL x 88.42 = 44.2-97.3 umol/L; men 1.2 x 88.42 = 106.1
    creat = safety.lab_abnormal(pd.Series([98.0, 98.0]), pd.Series(["F", "M"]), "creatinine_umol_l")
    assert creat.tolist() == [True, False]
    with pytest.raises(KeyError, match="hemoglobin_g_l"):
        safety.lab_abnormal(values, pd.Series(["X"] * 4), "hemoglobin_g_l")


def test_summarise_lab_shifts_worst_post_baseline():
    labs = pd.DataFrame(
        {
            c.SUBJECT_ID: ["S1", "S1", "S1", "S2", "S2", "S4", "S5"],
            c.WEEK: pd.array([0, 4, 12, 0, 4, 0, 4], dtype="Int64"),
            # S1 normal -> abnormal at week 4 (12 > 11.0) -> normal: worst is abnormal
            # S2 abnormal (3.0 < 4.5) -> normal; S4 no post-baseline; S5 no baseline
            "wbc_10e9_l": [5.0, 12.0, 6.0, 3.0, 5.0, 5.0, 20.0],
        }
    )
    for measure in c.LAB_MEASURES[1:]:
        labs[measure] = np.nan
    out = safety.summarise_lab_shifts(_subjects(), labs)
    wbc = out[out["measure"] == "wbc_10e9_l"].set_index([c.ARM, "baseline"])
    assert wbc.loc[(c.ARM_LDIL2, "Normal"), ["n", "post_normal", "post_abnormal"]].tolist() == [
        1,
        0,
        1,
    ]
    assert wbc.loc[(c.ARM_LDIL2, "Abnormal"), ["n", "post_normal"]].tolist() == [1, 1]
    assert (wbc.loc[c.ARM_PLACEBO, "n"] == 0).all()
    assert (out[out["measure"] == "alt_u_l"]["n"] == 0).all()  # all missing: nobody counted


def test_plot_ae_onset_one_panel_per_arm_counting_every_event():
    fig = safety.plot_ae_onset(_subjects(), _events())
    ld, pl = fig.axes
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        c.ARM_LABELS[c.ARM_LDIL2],
        c.ARM_LABELS[c.ARM_PLACEBO],
    ]
    # bar heights sum to the events per arm: Ld-IL2 E1-E3, placebo E4; 3 grey dosing bands each
    bars = [p for p in ld.patches if p.get_height() > 0 and p.get_width() == 7]
    assert sum(p.get_height() for p in bars) == 3
    assert sum(p.get_height() for p in pl.patches if p.get_width() == 7) == 1
    assert "Study day" in pl.get_xlabel()
    plt.close(fig)


def test_plot_labs_one_panel_per_measure_with_units():
    labs = pd.DataFrame(
        {c.SUBJECT_ID: ["S1", "S1", "S4", "S4"], c.WEEK: pd.array([0, 4, 0, 4], dtype="Int64")}
    )
    for measure in c.LAB_MEASURES:
        labs[measure] = [1.0, 2.0, 3.0, 4.0]
    fig = safety.plot_labs(_subjects(), labs)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_ylabel() for ax in visible] == list(safety.LAB_LABELS.values())
    assert all("(" in ax.get_ylabel() for ax in visible)  # every axis states its unit
    weeks = sorted({round(x) for x in visible[0].get_lines()[-1].get_xdata()})
    assert weeks == [0, 4]  # week 0 (baseline) is drawn
    plt.close(fig)


# ------------------------------------------------------------------ the chapter, executed
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / name)


@pytest.mark.build
def test_safety_chapter_on_shipped_data_glues_counts_from_the_files(built_book):
    notebook = nbformat.read(built_book / "stage" / "chapters" / "safety.ipynb", as_version=4)
    values = glued_values(notebook)
    subjects = _csv(c.SUBJECTS)
    dosed = subjects[subjects[c.SAFETY]]
    events = _csv(c.ADVERSE_EVENTS)
    # counted directly from the CSV files
    assert values["safety_n_ldil2"] == str((dosed[c.ARM] == c.ARM_LDIL2).sum())
    assert values["safety_n_placebo"] == str((dosed[c.ARM] == c.ARM_PLACEBO).sum())
    assert values["safety_n_events"] == str(len(events))
    with_ae = events.merge(dosed, on=c.SUBJECT_ID)
    n_any = with_ae.loc[with_ae[c.ARM] == c.ARM_LDIL2, c.SUBJECT_ID].nunique()
    assert values["safety_any_ldil2"].startswith(f"'{n_any}/")


@pytest.mark.build
def test_built_safety_page_has_its_tables_and_figures(built_book):
    page = (built_book / "html" / "chapters" / "safety.html").read_text(encoding="utf-8")
    for caption in (
        "Study-drug exposure by dosing cycle",
        "Adverse events, weeks 0-24",
        "Adverse events by system organ class and preferred term",
        "Laboratory shift from baseline to the worst value",
        "Laboratory reference ranges",
    ):
        assert caption in page
    assert page.count("<table") >= 5
    for figure in ("fig-safety-onset", "fig-safety-labs"):
        assert f'id="{figure}"' in page
    assert page.count("<img") >= 2


def _build_pages(site: Path, notebooks: list[Path]) -> Path:
    """A minimal Jupyter Book of already executed notebooks (first = root page), built strictly
    with the book's pinned jupyter-book; returns the html folder."""
    site.mkdir(parents=True)
    for notebook in notebooks:
        shutil.copyfile(notebook, site / notebook.name)
    config = {
        "title": "test edition",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "sphinx": {"config": {"nb_merge_streams": True}},
    }
    (site / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    toc = {"format": "jb-book", "root": notebooks[0].stem}
    if notebooks[1:]:
        toc["chapters"] = [{"file": nb.stem} for nb in notebooks[1:]]
    (site / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(book), "build", str(site), "-W", "-n", "--keep-going", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site / "_build" / "html"


@pytest.mark.build
def test_safety_chapter_small_release_no_placebo_events_and_markup_terms(execute, tmp_path):
    """A small release with no adverse events on placebo, a missing immunology visit, and AE
    text holding HTML markup: the chapter runs, and the built page shows the markup as text."""
    data_dir = testing.small_release(tmp_path / "release", no_adverse_events_in=c.ARM_PLACEBO)
    assert testing.drop_rows(data_dir, c.IMMUNOLOGY, week=c.END_OF_TREATMENT_WEEK) > 0
    testing.set_value(data_dir, c.ADVERSE_EVENTS, 2, c.AE_TERM, "<script>alert(1)</script>")
    testing.set_value(data_dir, c.ADVERSE_EVENTS, 3, c.AE_TERM, "<b>x</b>")
    testing.set_value(data_dir, c.ADVERSE_EVENTS, 3, c.AE_SOC, "Soc & <i>class</i>")
    run = execute("safety", data_dir=data_dir)
    values = run.glued
    assert values["safety_any_placebo"].startswith("'0/")
    assert values["safety_onset_in_cycle_placebo"] == "'0/0 (NA)'"
    html = _build_pages(tmp_path / "site", [tmp_path / "executed" / "safety.ipynb"])
    page = (html / "safety.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "Soc &amp; &lt;i&gt;class&lt;/i&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert "<b>x</b>" not in page
    assert "<i>class</i>" not in page
    assert page.count("<table") >= 5 and page.count("<img") >= 2
