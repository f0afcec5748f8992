"""Tests of ldil2.stats.fits: a model fitted once per chapter run and once per build (the fit
store shared by a build's parallel chapters). The expected fits are those computed directly."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest
import statsmodels.genmod.generalized_estimating_equations
from conftest import ROOT

from ldil2 import contract as c
from ldil2.book import chapter
from ldil2.stats import fits
from ldil2.stats.fits import fit_key, shared_fit
from ldil2.stats.longitudinal import gee_binary

R = Path(__file__).parent / "fixtures" / "r"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(R / "primary_pp.csv")


@pytest.fixture(scope="module")
def gee(table):
    return gee_binary(table, "acr20")


def test_fit_key_covers_values_columns_dtypes_and_arguments(table):
    data = table[["subject_id", "week", "acr20"]].dropna()
    key = fit_key("gee_binary", data, ("acr20",))
    assert fit_key("gee_binary", data.copy(), ("acr20",)) == key
    assert fit_key("mixed_change", data, ("acr20",)) != key
    assert fit_key("gee_binary", data, ("acr50",)) != key
    assert fit_key("gee_binary", data.astype({"week": float}), ("acr20",)) != key
    assert fit_key("gee_binary", data.rename(columns={"acr20": "y"}), ("acr20",)) != key
    flipped = data.assign(acr20=1 - data["acr20"])
    assert fit_key("gee_binary", flipped, ("acr20",)) != key


def _stored_fit(store: str, table: pd.DataFrame, out: str) -> None:
    """In another process (forked: its memory of this process's fits is forgotten first): the
    GEE of `table` with the fit store `store`; its pickle to `out`."""
    fits._FITTED.clear()
    os.environ[c.FIT_STORE_ENV] = store
    Path(out).write_bytes(pickle.dumps(gee_binary(table, "acr20")))


def test_a_build_fit_store_gives_other_processes_the_same_fit_without_fitting(
    table, gee, tmp_path, monkeypatch
):
    store = tmp_path / "fits"
    store.mkdir()
    fork = multiprocessing.get_context("fork")
    first = fork.Process(target=_stored_fit, args=(str(store), table, str(tmp_path / "1")))
    first.start()
    first.join()
    assert first.exitcode == 0
    assert len(list(store.glob("*.pickle"))) == 1  # the first process fitted and stored it
    stored = pickle.loads((tmp_path / "1").read_bytes())
    assert (stored.estimate, stored.p_value, stored.df) == (gee.estimate, gee.p_value, gee.df)
    pd.testing.assert_frame_equal(stored.per_visit, gee.per_visit, check_exact=True)
    # a second process reads the stored fit: fitting there would fail
    monkeypatch.setattr(statsmodels.genmod.generalized_estimating_equations.GEE, "fit", None)
    second = fork.Process(target=_stored_fit, args=(str(store), table, str(tmp_path / "2")))
    second.start()
    second.join()
    assert second.exitcode == 0
    read = pickle.loads((tmp_path / "2").read_bytes())
    assert (read.estimate, read.p_value, read.df) == (gee.estimate, gee.p_value, gee.df)
    pd.testing.assert_frame_equal(read.per_visit, gee.per_visit, check_exact=True)
    assert not list(store.glob(".tmp-*"))


def test_a_fit_that_raises_stores_nothing(tmp_path):
    def failing():
        raise ValueError("not estimable")

    with pytest.raises(ValueError, match="not estimable"):
        shared_fit(tmp_path, "k", failing)
    assert not list(tmp_path.glob("*.pickle"))


def test_a_release_is_loaded_once_per_build_and_again_when_a_file_or_the_tables_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """chapter.loaded_once: the first chapter of a build validates the release, another chapter
    (another process: an empty memory) with the same tables reads the build's store."""
    data_dir = Path(shutil.copytree(ROOT / "data", tmp_path / "data"))
    store = tmp_path / "fits"
    store.mkdir()
    monkeypatch.setenv(c.FIT_STORE_ENV, str(store))
    loaded = []
    real = chapter.data.load
    monkeypatch.setattr(chapter.data, "load", lambda d, t: loaded.append(t) or real(d, t))
    tables = [c.ADVERSE_EVENTS]
    first = chapter.loaded_once(data_dir, tables)
    fits._FITTED.clear()  # the next chapter's kernel
    again = chapter.loaded_once(data_dir, tables)
    assert len(loaded) == 1 and again is not first
    pd.testing.assert_frame_equal(again.adverse_events, first.adverse_events)
    assert again.tables == first.tables and again.version == first.version
    chapter.loaded_once(data_dir, [c.ASSESSMENTS])
    subjects = data_dir / c.SUBJECTS
    subjects.write_text(subjects.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    chapter.loaded_once(data_dir, tables)
    assert loaded == [tables, [c.ASSESSMENTS], tables]
