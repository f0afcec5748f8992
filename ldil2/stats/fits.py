"""Models fitted once: per chapter run in memory, and per build in a fit store shared by the
build's chapters running in parallel (:func:`fitted_once`, :func:`shared_fit`).

A fit here is any immutable result of a deterministic model fit (e.g.
:class:`ldil2.stats.longitudinal.LongitudinalResult`), keyed by the model's name, its arguments
and the content of its input rows (:func:`fit_key`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from ldil2 import contract as c

Result = TypeVar("Result")

_FITTED: dict[str, Any] = {}
"""The models fitted in this process (one chapter run: the warm kernel drops ``ldil2`` from
``sys.modules`` between chapters), by :func:`fit_key`."""


def fit_key(model: str, data: pd.DataFrame, arguments: tuple[Any, ...]) -> str:
    """SHA-256 of a model's name, its arguments and every value, column name, dtype and index
    label of its input rows `data`: equal keys mean the same fit."""
    digest = hashlib.sha256(
        repr((model, arguments, list(data.columns), [str(t) for t in data.dtypes])).encode()
    )
    digest.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def fitted_once(
    model: str,
    data: pd.DataFrame,
    arguments: tuple[Any, ...],
    fit: Callable[[], Result],
) -> Result:
    """`fit()` of `model` on `data` with `arguments`, computed once per process: a page that
    shows one model in several tables (the Primary chapter's key results, its own sections and
    the published P values) fits it once; and once per build when the build lends a fit store
    (the folder named by the environment variable :data:`ldil2.contract.FIT_STORE_ENV`,
    :func:`shared_fit`): the pages that show the same model (Primary, Methods, Estimands, the
    ledger) then fit it once between them. The result is immutable (a frozen dataclass whose
    frame is only read) and a stored one is the same values (pickle keeps every float), so
    sharing it changes no number."""
    return computed_once(fit_key(model, data, arguments), fit)


def computed_once(key: str, compute: Callable[[], Result]) -> Result:
    """`compute()` once per process under `key`, and once per build through the build's fit
    store (:func:`shared_fit`) when there is one: what :func:`fitted_once` does for a key the
    caller made (it must name every input of `compute`)."""
    if key not in _FITTED:
        store = os.environ.get(c.FIT_STORE_ENV)
        _FITTED[key] = shared_fit(Path(store), key, compute) if store else compute()
    return _FITTED[key]


def shared_fit(store: Path, key: str, fit: Callable[[], Result]) -> Result:
    """The fit of `key` kept in the folder `store` (``<key>.pickle``), or `fit()` written there.

    The chapters of a build run in parallel processes: the first to ask for a key holds its lock
    file (``<key>.lock``, :func:`fcntl.flock`) while it fits, the others wait and then read the
    stored result. The result is written to a temporary name and renamed, so a reader never
    sees half a file. A fit that raises stores nothing (each asker raises in turn). The build
    empties the folder at its start: a store never outlives the code that filled it.
    """
    path = store / f"{key}.pickle"
    with open(store / f"{key}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            return pickle.loads(path.read_bytes())
        result = fit()
        tmp = store / f".tmp-{key}-{os.getpid()}"
        tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
        return result
