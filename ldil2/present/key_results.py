"""The key-results box: what the trial's data say, first, on the landing page and atop Primary.

Every number is an ARD row recorded by :mod:`ldil2.book.key_results`; this module reads the rows
and writes the box: one line per primary endpoint (the week-24 effect with its 95% CI and the
across-visit effect, the per-protocol analysis beside the intention-to-treat one), the safety
headline, the interpretation sentence (:func:`interpretation`, which follows the rows: it reads
differently when the data say otherwise) and the line that says whether the data are simulated.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ldil2 import contract as c
from ldil2.present.format import count_of, interval_of
from ldil2.results.ard import Ard

FAVOURS_LDIL2, FAVOURS_PLACEBO, UNCLEAR = "ldil2", "placebo", "unclear"
"""The directions of one effect (:func:`direction`)."""

HIGHER, LOWER = "higher", "lower"
"""Which values of an endpoint are better: more responders, or a larger fall of an index."""

WEEK24, ACROSS = "week24", "across"
"""The two time frames of a primary endpoint: at week 24, and across every post-baseline
visit (the published P values were across visits)."""


@dataclass(frozen=True)
class KeyEndpoint:
    """One primary endpoint of the box, by the result_ids of its effects.

    Attributes
    ----------
    label : the endpoint as a reader reads it (e.g. "ACR20 response")
    measure : the effect measure at week 24 and across visits, e.g. ("difference in
        responders, percentage points", "odds ratio")
    better : :data:`HIGHER` or :data:`LOWER` (which direction favors Ld-IL2 + MTX)
    effects : population -> time frame (:data:`WEEK24`, :data:`ACROSS`) -> result_id (an
        estimate with lcl and ucl); a missing time frame is shown as "not estimable"
    nulls : time frame -> the value of no difference (0 for a difference, 1 for an odds ratio)
    digits : time frame -> decimals
    """

    label: str
    measure: Mapping[str, str]
    better: str
    effects: Mapping[str, Mapping[str, str]]
    nulls: Mapping[str, float]
    digits: Mapping[str, int]


def direction(ard: Ard, rid: str, null: float, better: str) -> str:
    """Which arm an effect favours: :data:`FAVOURS_LDIL2` when its whole 95% CI lies on the
    better side of `null`, :data:`FAVOURS_PLACEBO` when it lies on the other side,
    :data:`UNCLEAR` when the CI includes `null` or is not estimable (NaN)."""
    r = ard.result(rid)
    low, high = r.get("lcl", math.nan), r.get("ucl", math.nan)
    if not (math.isfinite(low) and math.isfinite(high)):
        return UNCLEAR
    above, below = low > null, high < null
    if not (above or below):
        return UNCLEAR
    return FAVOURS_LDIL2 if above == (better == HIGHER) else FAVOURS_PLACEBO


def findings(ard: Ard, endpoints: Sequence[KeyEndpoint], population: str, frame: str) -> dict:
    """direction -> the labels of the endpoints whose effect in `population` and time `frame`
    has that direction (:func:`direction`), in the order of `endpoints`."""
    found: dict[str, list[str]] = {FAVOURS_LDIL2: [], FAVOURS_PLACEBO: [], UNCLEAR: []}
    for e in endpoints:
        rid = e.effects[population].get(frame)
        kind = UNCLEAR if rid is None else direction(ard, rid, e.nulls[frame], e.better)
        found[kind].append(e.label)
    return found


def _names(labels: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def verdict_phrase(found: Mapping[str, Sequence[str]]) -> str:
    """'favors Ld-IL2 + MTX for ACR20 response and CDAI' (and 'favors Placebo + MTX for ...'),
    or 'shows no clear difference for any primary endpoint'."""
    parts = [
        f"favors {c.ARM_LABELS[arm]} for {_names(found[arm])}"
        for arm in (FAVOURS_LDIL2, FAVOURS_PLACEBO)
        if found[arm]
    ]
    return " and ".join(parts) if parts else "shows no clear difference for any primary endpoint"


def analysis_label(population: str) -> str:
    """'per-protocol analysis', 'intention-to-treat analysis'."""
    return c.POPULATION_LABELS[population].replace("population", "analysis")


def interpretation(ard: Ard, endpoints: Sequence[KeyEndpoint], populations: Sequence[str]) -> str:
    """The plain sentence of interpretation, computed from the rows.

    The first population is the published analysis, the second the check of it. The sentence
    says, across visits and at week 24, which arm the first population's effects favor (a
    95% CI that excludes no difference) and whether the second population agrees; it changes
    whenever an interval crosses, or stops crossing, the value of no difference."""
    first, second = populations
    label = {p: analysis_label(p) for p in populations}
    sentences = []
    for frame, when in ((ACROSS, "Across the visits"), (WEEK24, "At week 24 alone")):
        a, b = findings(ard, endpoints, first, frame), findings(ard, endpoints, second, frame)
        check = (
            f"the {label[second]} agrees" if a == b else f"the {label[second]} {verdict_phrase(b)}"
        )
        sentences.append(f"{when}, the {label[first]} {verdict_phrase(a)}; {check}.")
    return " ".join(sentences)


def effect_text(ard: Ard, endpoint: KeyEndpoint, population: str, frame: str) -> str:
    """'19.9 (-9.7 to 44.1)' of one effect, or 'not estimable'."""
    rid = endpoint.effects[population].get(frame)
    if rid is None:
        return "not estimable"
    return interval_of(ard, rid, endpoint.digits[frame])


def safety_text(ard: Ard, kinds: Mapping[str, Mapping[str, str]], labels: Mapping[str, str]) -> str:
    """'Any adverse event: 12/23 (52.2%) vs 10/24 (41.7%); Serious adverse event: 0/23 (0.0%)
    vs 0/24 (0.0%)': per kind of event, the participants with one in each arm (Ld-IL2 first)."""
    return "; ".join(
        f"{labels[kind]}: " + " vs ".join(count_of(ard, ids[arm]) for arm in c.ARMS)
        for kind, ids in kinds.items()
    )


@dataclass(frozen=True)
class KeyResultsBox:
    """The box's HTML fragment; shows itself in notebooks and can be glued (``{glue:any}``)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def key_results_box(
    ard: Ard,
    endpoints: Sequence[KeyEndpoint],
    populations: Sequence[str],
    safety: str,
    sentence: str,
    notice: str,
) -> KeyResultsBox:
    """The box: the interpretation sentence, a table (one row per endpoint and time frame; one
    column per population), the safety headline and the notice line, every text escaped."""
    e = html.escape
    head = "".join(f"<th scope=\"col\">{e(c.POPULATION_LABELS[p].capitalize())}</th>"
                   for p in populations)  # fmt: skip
    rows = []
    for endpoint in endpoints:
        for frame, when in ((WEEK24, "week 24"), (ACROSS, "across visits")):
            cells = "".join(
                f'<td class="ldil2-nowrap">{e(effect_text(ard, endpoint, p, frame))}</td>'
                for p in populations
            )
            name = f"{endpoint.label}, {when}: {endpoint.measure[frame]} (95% CI)"
            rows.append(f'<tr><th scope="row">{e(name)}</th>{cells}</tr>')
    arms = " vs ".join(c.ARM_LABELS[arm] for arm in c.ARMS)
    return KeyResultsBox(
        '<section class="ldil2-key-results" aria-label="Key results">'
        f'<p class="ldil2-key-sentence">{e(sentence)}</p>'
        '<table class="table ldil2-key-table">'
        f"<caption>Primary endpoints, {e(arms)}: effect with 95% confidence interval; "
        "'favors' means the interval excludes no difference; 'not estimable' means an arm "
        "had no responders (or only responders)</caption>"
        f'<thead><tr><th scope="col">Endpoint and effect</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="ldil2-key-safety"><strong>Safety</strong> (safety population, {e(arms)}): '
        f"{e(safety)}.</p>"
        f'<p class="ldil2-key-notice">{e(notice)}</p>'
        "</section>"
    )
