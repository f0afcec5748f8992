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


def discontinued_result(ch: Any) -> Result:
    """Listing ``listing_discontinued`` (16.2.1): every randomized participant who did not
    complete week 24, with the week and recorded reason of withdrawal."""
    ard = Ard(CHAPTER, c.ITT)
    frame = discontinued_frame(ch.release.subjects, ch.release.assessments)
    title = caption(ch, ard, "Participants who discontinued before week 24", c.ITT)
    note = footnote(
        ch,
        "Source: subjects.csv (completed, withdrawal_week, withdrawal_reason as recorded) and "
        "the last visit with an assessment (assessments.csv).",
    )
    return Result(tables={"listing_discontinued": Listing.from_frame(frame, title, note)}, ard=ard)


def adverse_events_result(ch: Any) -> Result:
    """Listing ``listing_adverse_events`` (16.2.7): every adverse event of the safety
    population by participant."""
    ard = Ard(CHAPTER, c.SAFETY)
    frame = adverse_event_frame(ch.release.subjects, ch.release.adverse_events)
    title = caption(ch, ard, "Adverse events by participant, weeks 0-24", c.SAFETY)
    note = footnote(
        ch,
        "Source: adverse_events.csv. Study day 1 = day of the first dose; an empty end day: "
        "ongoing at the end of follow-up or not recorded. Grade: CTCAE; related: as assessed "
        "by the investigator. Action taken: the data contract records only whether the event "
        "led to withdrawal; other actions (dose interruption, treatment) are not recorded.",
    )
    return Result(
        tables={"listing_adverse_events": Listing.from_frame(frame, title, note)}, ard=ard
    )


def efficacy_result(ch: Any) -> Result:
    """Listing ``listing_efficacy`` (16.2.6): each participant's composite indices and
    responses at every attended visit, edition's population."""
    ard = Ard(CHAPTER, ch.population)
    frame = efficacy_frame(in_population(ch))
    title = caption(ch, ard, "Individual efficacy responses by visit, weeks 0-24")
    note = footnote(
        ch,
        "DAS28-ESR, CDAI and SDAI as derived from the recorded components (index points); "
        "ACR20/50/70 and EULAR response versus baseline, empty at baseline and where a "
        "joint count is missing. Only attended visits are listed.",
    )
    return Result(tables={"listing_efficacy": Listing.from_frame(frame, title, note)}, ard=ard)
