"""Tests of the Individual outcomes, Listings and TLF modules without a kernel: their results on
the shipped release and on the small release (six per arm, withdrawals, missed visits), the
numbers they show read from their ARD rows, the figures' text size and time axes, and the
numbering of the TLF appendix."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, assert_figure_output_deterministic

from ldil2 import contract as c
from ldil2.book import chapter, individual, listings, outputs, tlf
from ldil2.pipeline.common import zip_bytes
from ldil2.pipeline.results import book_files, book_values, notebook_products, tlf_files
from ldil2.present.format import format_p
from ldil2.present.individual import bar_outlines, participant_lines
from ldil2.present.listings import Listing, yes_no
from ldil2.results.format import FILE_GLUE_PREFIX, TLF_DIR, tlf_zip_path

CONTENT_WIDTH_INCHES = 7.0
"""The book's content column at 100 dpi (672 px measured in Chromium at 1280 px)."""


def setup(data_dir: Path, **params) -> chapter.Chapter:
    base = {"data_dir": str(data_dir), "population": c.PER_PROTOCOL, **params}
    return chapter.setup(base)


@pytest.fixture(scope="module")
def shipped() -> chapter.Chapter:
    return setup(ROOT / "data")


RESULTS = (
    individual.time_to_response_result,
    individual.trajectories_result,
    individual.waterfall_result,
    individual.subgroups_result,
)


@pytest.mark.parametrize("population", [c.PER_PROTOCOL, c.ITT])
def test_individual_results_on_the_small_release(small_release, population):
    ch = setup(small_release, population=population)
    for make in RESULTS:
        result = make(ch)
        assert len(result.ard)
        for name, value in result.values.items():
            assert "nan" not in str(value), name
        for table in result.tables.values():
            assert "nan" not in table.to_html()


def test_logrank_text_is_its_ard_row(shipped):
    result = individual.time_to_response_result(shipped)
    rows = [r for r in result.ard.rows() if r.analysis == "logrank" and r.stat == "p"]
    assert len(rows) == 1 and result.values["tte_logrank_p"] == format_p(rows[0].value)


def test_subgroup_table_cells_are_the_ard_rows(shipped):
    result = individual.subgroups_result(shipped)
    ard = result.ard
    rows = {
        (r.endpoint, r.stat): r.value for r in ard.rows() if r.analysis == "difference_newcombe"
    }
    low = rows[("acr20_sg_das28_low", "estimate")]
    frame = result.tables["subgroup_acr20_table"].to_frame()
    cell = frame.loc[frame["Subgroup"] == "At or below the median"].iloc[0, 3]
    assert cell.startswith(f"{low:.1f} (")
    for row in ard.rows():
        if row.analysis.startswith("interaction"):
            assert math.isnan(row.value) or 0 <= row.value <= 1


def _texts(fig: matplotlib.figure.Figure) -> list[matplotlib.text.Text]:
    return [
        t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()
    ]


@pytest.mark.parametrize("make", RESULTS)
def test_figures_fit_the_content_width_with_text_of_9_points_or_more(shipped, make):
    for name, fig in make(shipped).figures.items():
        width = fig.get_size_inches()[0]
        assert width <= CONTENT_WIDTH_INCHES, name
        scale = min(1.0, CONTENT_WIDTH_INCHES / width)
        small = [t.get_text() for t in _texts(fig) if t.get_fontsize() * scale < 9]
        assert small == [], (name, small)


def test_time_axes_are_in_weeks_with_a_tick_per_visit(shipped):
    weeks = sorted(int(w) for w in shipped.analysis[c.WEEK].unique())
    figures = {
        **individual.time_to_response_result(shipped).figures,
        **individual.trajectories_result(shipped).figures,
    }
    for name, fig in figures.items():
        axes = [ax for ax in fig.axes if ax.get_xlabel()]
        assert axes, name
        for ax in axes:
            assert "Week" in ax.get_xlabel()
            assert [int(t) for t in ax.get_xticks()] == weeks, name


def test_participant_lines_one_line_per_participant_in_id_order():
    part = pd.DataFrame(
        {c.SUBJECT_ID: ["B", "A", "B", "A"], c.WEEK: [0, 0, 2, 2], "cdai": [5.0, 7.0, 4.0, 6.0]}
    )
    lines = participant_lines(part, c.WEEK, "cdai")
    assert [line.tolist() for line in lines] == [[[0, 7], [2, 6]], [[0, 5], [2, 4]]]


def test_bar_outlines_are_the_corners_of_bars_from_zero():
    corners = bar_outlines(np.array([0.0, 1.0]), np.array([3.0, -2.0]))
    assert corners.tolist() == [
        [[-0.4, 0.0], [-0.4, 3.0], [0.4, 3.0], [0.4, 0.0]],
        [[0.6, 0.0], [0.6, -2.0], [1.4, -2.0], [1.4, 0.0]],
    ]


def test_waterfall_legend_shows_each_arm_as_its_bars(shipped):
    fig = individual.waterfall_result(shipped).figures["waterfall_fig"]
    handles = fig.axes[0].get_legend().legend_handles
    assert [h.get_hatch() or "" for h in handles] == ["", "//"]
    assert handles[0].get_facecolor()[0] != pytest.approx(handles[1].get_facecolor()[0])


def test_waterfall_figure_is_deterministic(shipped):
    assert_figure_output_deterministic(
        lambda: individual.waterfall_result(shipped).figures["waterfall_fig"], "svg"
    )


def test_listings_on_the_small_release_list_every_withdrawal(small_release):
    ch = setup(small_release)
    frame = listings.discontinued_result(ch).tables["listing_discontinued"]
    subjects = ch.release.subjects
    gone = subjects.loc[~subjects[c.COMPLETED].astype(bool), c.SUBJECT_ID]
    assert sorted(row[0] for row in frame.rows) == sorted(gone)
    efficacy = listings.efficacy_result(ch).tables["listing_efficacy"]
    visits = ch.analysis[ch.analysis[c.PER_PROTOCOL].astype(bool)]
    assert len(efficacy.rows) == len(visits)


def test_listing_escapes_markup_and_sorts_numbers_as_numbers():
    frame = pd.DataFrame({"Term": ["<script>x</script>"], "Day": ["12"]})
    listing = Listing.from_frame(frame, "Caption <b>", ("Note & more",))
    text = listing.to_html()
    assert "<script>" not in text and "&lt;script&gt;" in text and "Caption &lt;b&gt;" in text
    assert listing.numeric == (False, True) and 'data-type="number"' in text


def test_yes_no_keeps_missing_empty():
    flags = pd.array([True, False, None], dtype="boolean")
    assert yes_no(pd.Series(flags)).tolist() == ["Yes", "No", ""]


def test_tlf_numbers_in_ich_order_and_listings_keep_their_ich_numbers():
    numbers = [number for number, _ in outputs.numbered()]
    assert numbers[0] == "Table 14.1.1" and "Figure 14.1.1" in numbers
    assert numbers[-3:] == ["Listing 16.2.1", "Listing 16.2.6", "Listing 16.2.7"]
    sections = [o.section for o in outputs.OUTPUTS]
    assert sections == sorted(sections, key=list(outputs.SECTIONS).index)
    assert len(set(numbers)) == len(numbers)
    names = [(o.document, o.name) for o in outputs.OUTPUTS]
    assert len(set(names)) == len(names)


def test_every_tlf_output_is_glued_by_its_chapter():
    for output in outputs.OUTPUTS:
        source = (ROOT / f"{output.document}.md").read_text(encoding="utf-8")
        directive = "glue:figure" if output.kind == "Figure" else "glue:any"
        assert f"{{{directive}}} {output.name}\n" in source, output
        if output.anchor:
            assert f":name: {output.anchor}\n" in source, output


def test_rtf_files_only_for_numbered_tables(shipped):
    tables = listings.discontinued_result(shipped).tables
    files = outputs.rtf_files({**tables, "not_numbered": next(iter(tables.values()))})
    assert list(files) == [f"{FILE_GLUE_PREFIX}{TLF_DIR}/listing-16.2.1.rtf"]
    assert next(iter(files.values())).startswith("{\\rtf1")


def test_tlf_files_add_the_zip_of_the_tlf_folder_only():
    files = {f"{TLF_DIR}/b.rtf": b"{\\rtf1 b}", f"{TLF_DIR}/a.rtf": b"{\\rtf1 a}", "x.txt": b"x"}
    out = tlf_files(files, "2026.11.1")
    assert out[tlf_zip_path("2026.11.1")] == zip_bytes(
        {"a.rtf": b"{\\rtf1 a}", "b.rtf": b"{\\rtf1 b}"}
    )
    assert tlf_files({"x.txt": b"x"}, "1") == {"x.txt": b"x"}


def test_tlf_page_links_every_output_from_its_page(shipped):
    result = tlf.tlf_result(shipped)
    text = "".join(table.to_html() for table in result.tables.values())
    for number, output in outputs.numbered():
        assert number in text
        if output.kind != "Figure":
            assert f'href="../{outputs.rtf_path(number)}"' in text
    assert f'href="../{tlf_zip_path(shipped.release.version)}"' in text


def _notebook(glues: dict[str, str]) -> nbformat.NotebookNode:
    prefix = "application/papermill.record/"
    outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={f"{prefix}text/plain": repr(text)},
            metadata={"scrapbook": {"name": name, "mime_prefix": prefix}},
        )
        for name, text in glues.items()
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])


def test_file_glues_are_collected_as_files_and_left_out_of_the_values():
    name = f"{FILE_GLUE_PREFIX}{TLF_DIR}/table-14.1.1.rtf"
    products = {
        "chapters/a": notebook_products(
            _notebook({name: "{\\rtf1 é}", "n_ldil2": "17"}), "chapters/a"
        )
    }
    assert book_files(products) == {f"{TLF_DIR}/table-14.1.1.rtf": "{\\rtf1 é}".encode()}
    assert book_values(products) == {"a:n_ldil2": "17"}


def test_one_path_glued_with_two_contents_is_refused():
    name = f"{FILE_GLUE_PREFIX}{TLF_DIR}/x.rtf"
    notebooks = {"chapters/a": _notebook({name: "one"}), "chapters/b": _notebook({name: "two"})}
    products = {doc: notebook_products(nb, doc) for doc, nb in notebooks.items()}
    with pytest.raises(
        ValueError, match=f"chapters/b: file {TLF_DIR}/x.rtf glued with two contents"
    ):
        book_files(products)
