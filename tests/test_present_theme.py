"""Tests of ldil2.present.theme: palette accessibility and deterministic figure output."""

import io
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from conftest import assert_figure_output_deterministic

from ldil2 import contract as c
from ldil2.present import theme
from ldil2.present.consort import plot_schedule


def test_arm_palette_distinct_in_grey_scale():
    # WCAG relative luminance: dark blue vs light orange differ by more than 0.3, i.e. a
    # contrast ratio (L1 + 0.05)/(L2 + 0.05) above 3 (WCAG 2.1 minimum for graphics)
    dark, light = (theme.relative_luminance(theme.ARM_PALETTE[a]) for a in theme.ARM_ORDER)
    assert light - dark > 0.3
    assert (light + 0.05) / (dark + 0.05) > 3


def test_relative_luminance_reference_points():
    # WCAG: black 0, white 1, pure green 0.7152
    assert theme.relative_luminance("#000000") == 0
    assert theme.relative_luminance("#FFFFFF") == pytest.approx(1)
    assert theme.relative_luminance("#00FF00") == pytest.approx(0.7152)


def test_arm_palette_blue_versus_orange_hues():
    # a blue-orange pair is the colour-blind-safe contrast (Okabe & Ito 2008): the blue arm's
    # blue channel dominates, the orange arm's red channel dominates
    blue = mpl.colors.to_rgb(theme.ARM_PALETTE[c.ARM_LDIL2])
    orange = mpl.colors.to_rgb(theme.ARM_PALETTE[c.ARM_PLACEBO])
    assert blue[2] > blue[0] and orange[0] > orange[2]
    assert theme.ARM_ORDER == c.ARMS


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_figure_output_is_deterministic(fmt):
    theme.set_theme()
    assert_figure_output_deterministic(lambda: plot_schedule(c.dosing_days(), [0, 4, 12, 24]), fmt)


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _figure(width_in: float, fontsize: float):
    fig, ax = plt.subplots(figsize=(width_in, 3))
    ax.set_title("Title", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize)
    ax.set_xlabel("x", fontsize=fontsize)
    ax.set_ylabel("y", fontsize=fontsize)
    return fig


def test_figure_text_is_measured_as_shown_at_the_column_width():
    theme.set_theme()
    # drawn at the column's width: 10 pt is 10 pt; twice as wide: shown at half size, 5 pt
    assert min(theme.text_sizes_pt(_figure(theme.CONTENT_WIDTH_IN, 10)).values()) == 10
    assert min(theme.text_sizes_pt(_figure(2 * theme.CONTENT_WIDTH_IN, 10)).values()) == 5
    narrow = theme.svg_shown_text_pt(_svg(_figure(5, 10)))
    assert narrow == pytest.approx(10)
    # the SVG as drawn (tight bounding box): scaled by the column (504 pt) over its width in pt
    svg = _svg(_figure(2 * theme.CONTENT_WIDTH_IN, 10))
    width_pt = float(re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg).group(1))
    assert width_pt > 72 * theme.CONTENT_WIDTH_IN
    shown = theme.svg_shown_text_pt(svg)
    assert shown == pytest.approx(10 * 72 * theme.CONTENT_WIDTH_IN / width_pt)
    assert shown < theme.MIN_TEXT_PT


def test_svg_text_below_9_pt_is_found_in_a_small_label():
    theme.set_theme()
    fig = _figure(5, 10)
    fig.axes[0].text(0.5, 0.5, "footnote-size label", fontsize=7)
    assert theme.svg_shown_text_pt(_svg(fig)) == pytest.approx(7)


def test_svg_text_drawn_as_paths_cannot_be_measured():
    theme.set_theme()
    fig = _figure(5, 10)
    with mpl.rc_context({"svg.fonttype": "path"}):
        svg = _svg(fig)
    with pytest.raises(ValueError, match="font-size"):
        theme.svg_shown_text_pt(svg)


def test_theme_font_sizes_are_at_least_the_minimum():
    assert min(theme.FONT_SIZES.values()) >= theme.MIN_TEXT_PT


def test_finish_refuses_a_figure_whose_text_would_be_shown_below_9_pt():
    theme.set_theme()
    # 10 pt text on a 14 in figure is shown at 5 pt in the 7 in column
    with pytest.raises(ValueError, match=r"'Title' 5\.0 pt"):
        theme.finish(_figure(2 * theme.CONTENT_WIDTH_IN, 10))
    assert theme.finish(_figure(theme.CONTENT_WIDTH_IN, 10)) is not None
