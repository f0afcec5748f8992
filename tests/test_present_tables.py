"""Tests of ldil2.present.tables: the escaped, captioned HTML table."""

import re

import pandas as pd
import pytest

from ldil2.pipeline import numbering
from ldil2.present.tables import TABLE_OPENING, UNNUMBERED_OPENING, HtmlTable, nowrap_numbers


def test_html_table_escapes_every_text():
    table = HtmlTable(
        caption="<b>cap</b>",
        header=("a&b", "<i>"),
        rows=(("<script>x</script>", '"q"'),),
        footnote=("<note>",),
    )
    html = table._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;cap&lt;/b&gt;" in html
    assert "a&amp;b" in html and "&lt;note&gt;" in html
    assert html.startswith(TABLE_OPENING + "&lt;b&gt;cap")
    assert '<div class="ldil2-scroll"><table class="ldil2-table">' in html


def test_html_table_sections_span_columns_and_rows_are_checked():
    table = HtmlTable("t", ("x", "y"), (("Section",), ("a", "1")), (), ("section", ""))
    assert 'colspan="2">Section</th>' in table.to_html()
    assert table.to_frame().to_dict("list") == {"x": ["a"], "y": ["1"]}
    with pytest.raises(ValueError, match="row 1"):
        HtmlTable("t", ("x", "y"), (("only one",),))


def test_from_frame_shows_missing_as_empty():
    frame = pd.DataFrame({"a": ["x", None], "b": [1.5, float("nan")]})
    table = HtmlTable.from_frame(frame, caption="c", footnote="f")
    assert table.rows == (("x", "1.5"), ("", ""))
    assert table.footnote == ("f",)


def test_caption_and_footnote_sit_outside_the_scrolling_box():
    html = HtmlTable("Caption", ("a", "b"), (("x", "1"),), ("Note.",)).to_html()
    scroll = html.index('<div class="ldil2-scroll">')
    end_of_scroll = html.index("</table></div>")
    assert html.index("Caption") < scroll  # caption before the box
    assert html.index("Note.") > end_of_scroll  # footnote after it
    assert "<caption>" not in html and "<tfoot>" not in html


def test_numbered_tables_open_as_the_build_numbers_them():
    # the pipeline's numbering extension finds the opening of ldil2.present.tables (no import)
    assert numbering.TABLE_OPENING == TABLE_OPENING
    own = HtmlTable("Table 14.1.1 x", ("a",), (("x",),), numbered=False).to_html()
    assert own.startswith(UNNUMBERED_OPENING) and TABLE_OPENING not in own


@pytest.mark.parametrize(
    ("cell", "kept"),
    [
        ("-6.0 (-11.4 to -0.7)", ["-6.0 (-11.4 to -0.7)"]),
        ("12/17 (70.6%)", ["12/17 (70.6%)"]),
        ("OR 0.45 per SD (95% CI 0.12 to 1.70)", ["(95% CI 0.12 to 1.70)"]),
        ("< 0.001", ["&lt; 0.001"]),
        ("7.35 (6.1 to 8.2), n = 12", ["7.35 (6.1 to 8.2)", "n = 12"]),
        ("not estimable", []),
        ("0.116", []),
        ("DAS28-CRP < 2.6, week 24", ["&lt; 2.6"]),
    ],
)
def test_nowrap_numbers_keeps_each_interval_on_one_line(cell, kept):
    html = HtmlTable("c", ("a", "b"), (("x", cell),)).to_html()
    assert re.findall(r'<span class="ldil2-nowrap">([^<]*)</span>', html) == kept
    assert nowrap_numbers("lower values with response") == "lower values with response"
