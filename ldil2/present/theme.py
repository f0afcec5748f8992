"""The book's one figure theme: seaborn whitegrid, a colour-blind-safe arm palette, markers.

Every plot function of :mod:`ldil2.present` returns a matplotlib Figure that is already closed in
pyplot (:func:`finish`), so a notebook does not show it twice. Output is deterministic:
:func:`set_theme` fixes the SVG id salt and the metadata date (SOURCE_DATE_EPOCH), and PNG output
carries no timestamp.
"""

from __future__ import annotations

import os
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

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
        rc={"figure.dpi": 100, "savefig.dpi": 100, "svg.hashsalt": "ldil2"},
    )
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def finish(fig: Figure) -> Figure:
    """Tight layout, closed in pyplot (shown once, when glued), returned."""
    fig.tight_layout()
    plt.close(fig)
    return fig


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
    ax.set_xlabel("Week since randomization")
    ax.set_xticks(sorted(frame[c.WEEK].unique()))
