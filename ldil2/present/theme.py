"""The book's one figure theme: seaborn whitegrid, a colour-blind-safe arm palette, markers,
and figures drawn at the size they are shown.

Every plot function of :mod:`ldil2.present` returns a matplotlib Figure that is already closed in
pyplot (:func:`finish`), so a notebook does not show it twice. Output is deterministic:
:func:`set_theme` fixes the SVG id salt and the metadata date (SOURCE_DATE_EPOCH), and PNG output
carries no timestamp.

Size rule (issue 12): a figure is at most :data:`CONTENT_WIDTH_IN` wide, the width of the book's
text column, and its smallest text is at least :data:`MIN_TEXT_PT`, so that shown at the column
width no text is below 9 pt. The page shows the SVG (vector, text kept as text with
``svg.fonttype: none``), whose size is given in points: 1 pt of the figure is 1 pt on the
screen. :func:`text_sizes_pt` measures a Figure, :func:`svg_shown_text_pt` a drawn SVG (the test
over every figure of the built book).
"""

from __future__ import annotations

import os
import re
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.text import Text

from ldil2 import contract as c

ARM_ORDER: tuple[str, ...] = c.ARMS
"""Arms in the order of legends, tables and colours: Ld-IL2 first."""

ARM_PALETTE: dict[str, str] = {c.ARM_LDIL2: "#0F4C81", c.ARM_PLACEBO: "#F5A65B"}
"""Dark blue (Ld-IL2) vs light orange (placebo): a blue-orange pair stays distinct in the
common colour-vision deficiencies, and the relative luminances (about 0.07 vs 0.50) keep the arms
apart in grey scale (checked in tests/test_figures.py)."""

ARM_MARKERS: dict[str, str] = {c.ARM_LDIL2: "o", c.ARM_PLACEBO: "s"}
"""A second cue besides colour."""

DODGE = {c.ARM_LDIL2: -0.25, c.ARM_PLACEBO: 0.25}  # weeks: keep error bars apart

CONTENT_WIDTH_IN = 7.0
"""Width of the book's text column in inches at 96 CSS px per inch: 672 px, measured in Chromium
at a 1280 px window (sphinx-book-theme with the left sidebar open; the article column is 672 px
from about 1100 px up). A figure drawn wider is scaled down, and its text with it."""

MIN_TEXT_PT = 9.0
"""Smallest text of a figure as shown at the column width, in points (issue 12)."""

WEEK_AXIS = "Week since randomization"
"""The label of every time axis of the book (weeks, never days)."""

FONT_SIZES: dict[str, float] = {
    "font.size": 11,
    "axes.labelsize": 11,
    "axes.titlesize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 11,
    "figure.labelsize": 11,
}
"""Text sizes in points of every figure (all at least :data:`MIN_TEXT_PT`): plot functions use
these and never set a smaller size."""


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance (0 = black, 1 = white) of a colour.

    References
    ----------
    W3C, Web Content Accessibility Guidelines 2.1, definition "relative luminance".
    """
    rgb = np.array(mpl.colors.to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def set_theme() -> None:
    """Apply the book's one theme: seaborn whitegrid, notebook context, the arm palette first,
    and deterministic SVG output (fixed id salt; metadata date from SOURCE_DATE_EPOCH, set to 0
    when unset)."""
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=[ARM_PALETTE[arm] for arm in ARM_ORDER],
        rc={
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "svg.hashsalt": "ldil2",
            "svg.fonttype": "none",
            **FONT_SIZES,
        },
    )
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    _inline_formats()


def _inline_formats() -> None:
    """In a Jupyter kernel, figures are displayed (and glued) as SVG, the format the page shows,
    and PNG (for notebook viewers without SVG); nothing happens outside IPython."""
    from IPython import get_ipython  # only the kernel has IPython running

    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg", "png")


def text_sizes_pt(fig: Figure) -> dict[str, float]:
    """Every visible, non-empty text of `fig` -> its size in points as shown at the column width:
    font size x min(1, CONTENT_WIDTH_IN / figure width). The figure is drawn first, so tick
    labels exist.

    Returns
    -------
    dict : text -> shown size (pt); the smallest size of a repeated text
    """
    fig.canvas.draw()
    scale = min(1.0, CONTENT_WIDTH_IN / fig.get_size_inches()[0])
    sizes: dict[str, float] = {}
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_figure() is not None:
            shown = text.get_fontsize() * scale
            sizes[text.get_text()] = min(shown, sizes.get(text.get_text(), shown))
    return sizes


_SVG_WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)pt"')
_SVG_FONT_SIZE = re.compile(r"font-size:\s*([\d.]+)px")


def svg_shown_text_pt(svg: str, content_width_in: float = CONTENT_WIDTH_IN) -> float:
    """The smallest text of a matplotlib SVG (``svg.fonttype: none``) as shown in a column
    `content_width_in` wide, in points.

    The SVG's width is in pt and its user unit is 1 pt, so a text of font-size s is s pt at the
    drawn size, s x column / width when the browser scales the figure down to the column.

    Raises
    ------
    ValueError : the SVG has no width in pt or no text element with a font size (text drawn as
        paths cannot be measured)
    """
    width = _SVG_WIDTH.search(svg)
    sizes = [float(size) for size in _SVG_FONT_SIZE.findall(svg)]
    if width is None or not sizes:
        raise ValueError("svg: no width in pt or no text with a font-size (svg.fonttype: none)")
    scale = min(1.0, 72 * content_width_in / float(width.group(1)))
    return min(sizes) * scale


def finish(fig: Figure, top: float = 1.0) -> Figure:
    """Tight layout (panels below `top`, a figure fraction: the room of a figure legend above
    them), the size rule checked, closed in pyplot (shown once, when glued), returned.

    Raises
    ------
    ValueError : a text of the figure would be shown below MIN_TEXT_PT at the column width
        (:func:`text_sizes_pt`); the message names the text and its size
    """
    fig.tight_layout(rect=(0, 0, 1, top))
    small = {text: size for text, size in text_sizes_pt(fig).items() if size < MIN_TEXT_PT}
    plt.close(fig)
    if small:
        listed = "; ".join(f"{text!r} {size:.1f} pt" for text, size in sorted(small.items()))
        raise ValueError(
            f"figure text below {MIN_TEXT_PT:g} pt at the {CONTENT_WIDTH_IN:g} in column: {listed}"
        )
    return fig


def legend_above(ax: Any, **style: Any) -> None:
    """The arm legend in one row above the axes `ax`, off the data (no frame); `style` overrides
    matplotlib legend keywords."""
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, **{"loc": "lower left", "bbox_to_anchor": (0.0, 1.0),
              "ncols": len(labels), "frameon": False, "borderaxespad": 0.3, **style})  # fmt: skip


def figure_legend_above(fig: Figure, ax: Any) -> None:
    """The legend of `ax` in one row centred above every panel of `fig` (lay the panels out
    below it: :func:`finish` with `top`)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncols=len(labels), frameon=False)


def arm_errorbars(ax: Any, frame: pd.DataFrame, y: str, low: str, high: str, **style: Any) -> None:
    """One dodged error-bar line per arm (arm colour and marker); `style` overrides
    matplotlib errorbar keywords (default capsize 3)."""
    for arm in ARM_ORDER:
        part = frame[frame[c.ARM] == arm].sort_values(c.WEEK)
        if part.empty:
            continue
        ax.errorbar(
            part[c.WEEK] + DODGE[arm],
            part[y],
            yerr=[part[y] - part[low], part[high] - part[y]],
            color=ARM_PALETTE[arm],
            marker=ARM_MARKERS[arm],
            label=c.ARM_LABELS[arm],
            **{"capsize": 3, **style},
        )
    ax.set_xlabel(WEEK_AXIS)
    ax.set_xticks(sorted(frame[c.WEEK].unique()))
