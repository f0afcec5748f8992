"""Warm kernels: one IPython kernel runs one chapter after another, its heavy imports done once.

Starting a kernel costs about a second and importing pandas, pandera, matplotlib, seaborn, SciPy
and statsmodels about 2.5 s more, against well under a second of work for most chapters. A
:class:`WarmKernel` pays both once: it starts, imports the third-party modules the chapters'
code imports (:func:`warm_modules`, computed from the import statements of the ``ldil2`` modules
they reach), and before each chapter resets its state to that of a kernel just warmed up
(:mod:`ldil2.pipeline.warm_kernel`: namespace, execution counter, ``ldil2`` modules, matplotlib
figures and rcParams, pandas options, environment, working directory, warnings, random states).
A chapter's outputs therefore do not depend on which chapters ran before it in the same kernel.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ldil2.pipeline import warm_kernel
from ldil2.pipeline.cache import PACKAGE, imported_names

KERNEL_NAME = "python3"


STARTUP_TIMEOUT = 120  # seconds; a busy 2-core machine starts a kernel in 1-5 s


class KernelError(RuntimeError):
    """The warm kernel could not be started, warmed up or reset."""


class CellError(RuntimeError):
    """A chapter's cell raised: its index in the executed notebook, source and exception."""

    def __init__(self, cell_index: int, source: str, ename: str, evalue: str) -> None:
        super().__init__(f"cell {cell_index}: {ename}: {evalue}")
        self.cell_index, self.source, self.ename, self.evalue = cell_index, source, ename, evalue


def warm_modules(files: Iterable[Path]) -> list[str]:
    """The third-party modules that ``files`` (Python sources of ``ldil2``) import, sorted: the
    names of their import statements that are neither ``ldil2`` nor the standard library."""
    names: set[str] = set()
    for path in files:
        if path.suffix == ".py":
            names |= imported_names([path.read_text(encoding="utf-8")]) or set()
    top = {name.split(".", 1)[0] for name in names}
    skip = {PACKAGE, "__future__", *sys.stdlib_module_names}
    return sorted(name for name in names if name.split(".", 1)[0] in top - skip)


class WarmKernel:
    """A kernel ``python3`` started in ``cwd`` with ``modules`` imported; :meth:`execute` runs
    one notebook on it after a reset.

    Raises
    ------
    KernelError : the kernel does not start or the warm-up fails
    """

    def __init__(self, cwd: Path, modules: list[str], kernel_name: str = KERNEL_NAME) -> None:
        self.km = AsyncKernelManager(kernel_name=kernel_name)
        self.kernel_name = kernel_name
        self.kc = None
        try:
            run_sync(self.km.start_kernel)(cwd=str(cwd))
            self.kc = self.km.client()
            self.kc.start_channels()
            run_sync(self.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
            self.kc.allow_stdin = False
            module = warm_kernel.__name__
            self._run_hidden(
                f"import {module}\n{module}.warm_up({modules!r}, {str(cwd)!r})\ndel {PACKAGE}"
            )
        except Exception as error:
            self.shutdown()
            raise KernelError(f"kernel {kernel_name!r}: {type(error).__name__}: {error}") from None

    def _client(self, nb: nbformat.NotebookNode) -> NotebookClient:
        client = NotebookClient(
            nb, km=self.km, kernel_name=self.kernel_name, timeout=None, record_timing=False
        )
        client.kc = self.kc
        return client

    def _run_hidden(self, code: str) -> None:
        """Run ``code`` outside any notebook (no history, no execution count)."""
        cell = nbformat.v4.new_code_cell(code)
        client = self._client(nbformat.v4.new_notebook(cells=[cell]))
        client.execute_cell(cell, 0, store_history=False)

    def execute(self, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Reset the kernel (:func:`ldil2.pipeline.warm_kernel.reset`), then execute every code
        cell of ``nb`` in place and return it.

        Raises
        ------
        CellError : a cell raised (the notebook's later cells are not run)
        KernelError : the reset failed or the kernel died
        """
        try:
            self._run_hidden(f"__import__('sys').modules[{warm_kernel.REGISTERED_NAME!r}].reset()")
        except Exception as error:
            raise KernelError(f"reset of the warm kernel: {error}") from None
        failed: list[int] = []
        client = self._client(nb)
        client.on_cell_error = lambda cell, cell_index, execute_reply: failed.append(cell_index)
        try:
            return client.execute()
        except CellExecutionError as error:
            index = failed[0] if failed else -1
            source = nb.cells[index].source if failed else ""
            raise CellError(index, source, error.ename, error.evalue) from None

    def shutdown(self) -> None:
        """Stop the kernel and its channels (safe to call twice)."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
