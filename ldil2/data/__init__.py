"""The data release: its contract as schemas (:mod:`~ldil2.data.schemas`), the checks against
it (:mod:`~ldil2.data.checks`) and loading with validation (:mod:`~ldil2.data.release`)."""
