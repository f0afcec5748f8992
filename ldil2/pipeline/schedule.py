"""The order in which a build gives its chapters to the workers: the longest first, by the
seconds of the previous build's report (``<out>/report.json``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Protocol, TypeVar


class Named(Protocol):
    """A job of the build: known by its document name (``chapters/primary``)."""

    name: str


Job = TypeVar("Job", bound=Named)


def longest_first(jobs: list[Job], seconds: dict[str, float]) -> list[Job]:
    """``jobs`` in the order they are given to the workers: the longest first, by the
    ``seconds`` each took when it last executed (the previous build's report), a chapter never
    timed first of all and the others in toc order (a stable sort). On two workers this puts
    the Primary chapter, whose fits the Methods, Estimands and ledger pages then read from the
    fit store, at the start and the short pages at the end, instead of leaving one long chapter
    alone at the end of the toc."""
    return sorted(jobs, key=lambda job: -seconds.get(job.name, math.inf))


def last_seconds(report: Path) -> dict[str, float]:
    """The seconds each chapter took when the build whose report is ``report`` executed it
    (nothing for a chapter it reused, or without a readable report)."""
    try:
        chapters = json.loads(report.read_text(encoding="utf-8"))["chapters"]
        return {
            name: float(entry["seconds"])
            for name, entry in chapters.items()
            if entry.get("status") == "executed"
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
