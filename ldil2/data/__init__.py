"""The data release: its contract as schemas (:mod:`~ldil2.data.schemas`) and loading with
validation (:mod:`~ldil2.data.release`)."""
