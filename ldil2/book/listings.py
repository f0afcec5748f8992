"""The Listings appendix (ICH E3 section 16.2): participants who discontinued, adverse events by
participant, individual efficacy responses by visit.

A listing shows the recorded data of each participant, not statistics; its caption gives the
population with n per arm (ARD rows, :func:`ldil2.book.common.caption`) and its footnote the
source and conventions. The tables are searchable and sortable in the browser
(``_static/listings.js``).
"""

from __future__ import annotations

from typing import Any

from ldil2 import contract as c
from ldil2.book.common import Result, caption, footnote, in_population
from ldil2.present.listings import (
    Listing,
    adverse_event_frame,
    discontinued_frame,
    efficacy_frame,
)
from ldil2.results.ard import Ard

CHAPTER = "listings"


def _listing(ch: Any, name: str, frame: Any, population: str, measure: str, note: str) -> Result:
    """The Result of one listing: caption `measure` with the population and n per arm (ARD
    rows of `population`), footnote `note` with the data source and release."""
    ard = Ard(CHAPTER, population)
    title = caption(ch, ard, measure, population)
    listing = Listing.from_frame(frame, title, footnote(ch, note))
    return Result(tables={name: listing}, ard=ard)


def discontinued_result(ch: Any) -> Result:
    """Listing ``listing_discontinued`` (16.2.1): every randomized participant who did not
    complete week 24, with the week and recorded reason of withdrawal."""
    return _listing(
        ch,
        "listing_discontinued",
        discontinued_frame(ch.release.subjects, ch.release.assessments),
        c.ITT,
        "Participants who discontinued before week 24",
        "Source: subjects.csv (completed, withdrawal_week, withdrawal_reason as recorded) and "
        "the last visit with an assessment (assessments.csv).",
    )


def adverse_events_result(ch: Any) -> Result:
    """Listing ``listing_adverse_events`` (16.2.7): every adverse event of the safety
    population by participant."""
    return _listing(
        ch,
        "listing_adverse_events",
        adverse_event_frame(ch.release.subjects, ch.release.adverse_events),
        c.SAFETY,
        "Adverse events by participant, weeks 0-24",
        "Source: adverse_events.csv. Study day 1 = day of the first dose; an empty end day: "
        "ongoing at the end of follow-up or not recorded. Grade: CTCAE; related: as assessed "
        "by the investigator. Action taken: the data contract records only whether the event "
        "led to withdrawal; other actions (dose interruption, treatment) are not recorded.",
    )


def efficacy_result(ch: Any) -> Result:
    """Listing ``listing_efficacy`` (16.2.6): each participant's composite indices and
    responses at every attended visit, edition's population."""
    return _listing(
        ch,
        "listing_efficacy",
        efficacy_frame(in_population(ch)),
        ch.population,
        "Individual efficacy responses by visit, weeks 0-24",
        "DAS28-ESR, CDAI and SDAI as derived from the recorded components (index points); "
        "ACR20/50/70 and EULAR response versus baseline, empty at baseline and where a "
        "joint count is missing. Only attended visits are listed.",
    )
