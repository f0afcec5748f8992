"""Tests of ldil2.present.theme: palette accessibility and deterministic figure output."""

import matplotlib as mpl
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
