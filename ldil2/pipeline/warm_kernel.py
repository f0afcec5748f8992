"""Kernel side of a warm kernel (:mod:`ldil2.pipeline.kernels`): the heavy imports done once, and
between two chapters a namespace as clean as a new kernel's.

This module runs inside an IPython kernel, never in the build. :func:`warm_up` imports the
third-party modules the chapters' code will import (the list is computed by the build from the
import statements of the ``ldil2`` modules they reach) and records the state a chapter may
change; :func:`reset` puts that state back before every chapter:

- the user namespace and the execution counter (``InteractiveShell.reset(new_session=True)``:
  the first cell of every chapter is execution 1, as in a new kernel);
- every module of ``ldil2`` is dropped from ``sys.modules``, so each chapter imports the package
  afresh and no module-level state of one chapter reaches the next;
- matplotlib (always imported by the warm-up, with pyplot): every figure closed, ``rcParams``
  as they were after the warm-up (a chapter's ``seaborn.set_theme`` or ``rcParams[...] = ...``
  does not leak);
- pandas options reset to their defaults; warnings filters, ``os.environ``, ``sys.path``,
  the working directory and the global random states of ``random`` and numpy as after the
  warm-up.

Only the standard library is imported here: the third-party modules are reached through
``sys.modules`` once :func:`warm_up` has imported them.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import warnings
from typing import Any

# Where the warm kernel finds this module once the ``ldil2`` entries of sys.modules are gone.
REGISTERED_NAME = "_ldil2_warm_kernel"


PACKAGE = __name__.split(".", 1)[0]


MATPLOTLIB_PYPLOT = "matplotlib.pyplot"


_saved: dict[str, Any] = {}


def warm_up(modules: list[str], cwd: str) -> list[str]:
    """Import ``modules`` (those that fail to import are skipped and returned), then record the
    state :func:`reset` restores and drop ``ldil2`` from ``sys.modules``."""
    failed = []
    # pyplot always: its settings are then recorded here, whichever chapter imports it first
    # (importing it also hooks the inline backend in)
    for name in [*modules, MATPLOTLIB_PYPLOT]:
        try:
            importlib.import_module(name)
        except Exception:  # an optional import of some module: the chapter will say if it matters
            failed.append(name)
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:
        _saved["rcParams"] = matplotlib.rcParams.copy()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        _saved["numpy_random"] = numpy.random.get_state()
    _saved.update(
        environ=dict(os.environ),
        path=list(sys.path),
        cwd=cwd,
        filters=list(warnings.filters),
        random=random.getstate(),
    )
    sys.modules[REGISTERED_NAME] = sys.modules[__name__]
    _drop_package()
    return failed


def _drop_package() -> None:
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def reset() -> None:
    """Give the next chapter the state of a kernel just warmed up (module docstring)."""
    shell = sys.modules["IPython"].get_ipython()
    shell.reset(new_session=True)
    _drop_package()
    pyplot = sys.modules.get(MATPLOTLIB_PYPLOT)
    if pyplot is not None:
        pyplot.close("all")
    if "rcParams" in _saved:
        sys.modules["matplotlib"].rcParams.update(_saved["rcParams"])
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated options warn when reset
            pandas.reset_option("all")
    if "numpy_random" in _saved:
        sys.modules["numpy"].random.set_state(_saved["numpy_random"])
    random.setstate(_saved["random"])
    os.environ.clear()
    os.environ.update(_saved["environ"])
    sys.path[:] = _saved["path"]
    os.chdir(_saved["cwd"])
    warnings.resetwarnings()  # also forgets which warnings were already shown once
    warnings.filters[:] = _saved["filters"]
