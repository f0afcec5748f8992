"""Tests of ldil2.present.tables: the escaped, captioned HTML table."""

import pandas as pd
import pytest

from ldil2.present.tables import HtmlTable


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
    assert html.startswith('<table class="ldil2-table"><caption>')


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
