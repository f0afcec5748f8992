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

import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ldil2.pipeline import warm_kernel
from ldil2.pipeline.cache import PACKAGE, imported_names

KERNEL_NAME = "python3"


STARTUP_TIMEOUT = 60  # seconds; a busy 2-core machine starts a kernel in 1-5 s


STARTS = 2  # a kernel that does not answer in STARTUP_TIMEOUT is stopped and one more started


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
    one notebook on it after a reset. A kernel that dies or does not answer within
    :data:`STARTUP_TIMEOUT` is stopped and another started, :data:`STARTS` times in all.

    Raises
    ------
    KernelError : no kernel started (each attempt's error is named), or the warm-up failed
    """

    def __init__(self, cwd: Path, modules: list[str], kernel_name: str = KERNEL_NAME) -> None:
        self.kernel_name = kernel_name
        self.km: AsyncKernelManager | None = None
        self.kc = None
        self.owned = True
        self.runtime: Path | None = None
        failures = []
        for _attempt in range(STARTS):
            try:
                self._start(cwd)
                break
            except Exception as error:  # a kernel that died or never answered: start another
                failures.append(f"{type(error).__name__}: {error}")
                self.shutdown()
        else:
            raise KernelError(f"kernel {kernel_name!r}: {'; then '.join(failures)}")
        try:
            module = warm_kernel.__name__
            self._run_hidden(
                f"import {module}\n{module}.warm_up({modules!r}, {str(cwd)!r})\ndel {PACKAGE}"
            )
        except Exception as error:
            self.shutdown()
            raise KernelError(f"kernel {kernel_name!r}: {type(error).__name__}: {error}") from None

    def _start(self, cwd: Path) -> None:
        """Start a kernel in ``cwd`` that talks over Unix sockets in a private directory of its
        own (``ipc``: no TCP port for two kernels started at once to share) and wait until it
        answers."""
        self.runtime = Path(tempfile.mkdtemp(prefix="ldil2-kernel-"))
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            connection_file=str(self.runtime / "kernel.json"),
        )
        # the kernel's standard output joins this process's standard error (a build worker's
        # kernel log): whatever a kernel prints outside a cell never cuts a progress line
        run_sync(self.km.start_kernel)(cwd=str(cwd), stdout=sys.stderr.fileno())
        self._connect()

    @classmethod
    def attach(cls, connection_file: Path) -> WarmKernel:
        """The warm kernel another process started and keeps (a standing kernel of ``serve``,
        :class:`StandingKernels`), reached through its connection file; :meth:`shutdown` only
        disconnects from it.

        Raises
        ------
        KernelError : the kernel does not answer
        """
        kernel = cls.__new__(cls)
        kernel.km = AttachedKernelManager(connection_file=str(connection_file))
        kernel.kernel_name, kernel.kc, kernel.owned, kernel.runtime = KERNEL_NAME, None, False, None
        try:
            kernel.km.load_connection_file()
            kernel._connect()
        except Exception as error:
            kernel.shutdown()
            raise KernelError(f"kernel of {connection_file}: {error}") from None
        return kernel

    def _connect(self) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=STARTUP_TIMEOUT)
        self.kc.allow_stdin = False

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

    def is_alive(self) -> bool:
        """Whether the kernel still runs (its process, or its heartbeat when attached)."""
        if self.owned:
            return bool(run_sync(self.km.is_alive)())
        return self.kc is not None and bool(self.kc.is_alive())

    def shutdown(self) -> None:
        """Stop the kernel (when this process started it) and its channels (safe to call
        twice)."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.owned and self.km is not None and self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        if self.owned and self.runtime is not None:
            shutil.rmtree(self.runtime, ignore_errors=True)
            self.runtime = None


class AttachedKernelManager(AsyncKernelManager):
    """The manager of a kernel that another process started: it knows the kernel's connection
    file only. nbclient starts a kernel when its manager has none; this one says it has one (and
    that it is alive: the client's heartbeat tells when it dies), so nbclient runs the cells on
    the attached kernel and, not owning the manager, never stops it."""

    @property
    def has_kernel(self) -> bool:
        return True

    async def is_alive(self) -> bool:  # type: ignore[override]
        return True


class StandingKernels:
    """The warm kernels ``serve`` keeps between rebuilds, one per worker: each is started in
    ``cwd`` with ``modules`` imported and the environment ``env`` added, and announced by its
    connection file, which the build's workers find in the environment variable
    :data:`STANDING_KERNELS_ENV` and attach to (:meth:`WarmKernel.attach`), each holding the
    lock file beside it while it uses the kernel. A kernel found dead before a build is started
    again."""

    def __init__(self, cwd: Path, modules: list[str], count: int, env: dict[str, str]) -> None:
        self.cwd, self.modules, self.env = cwd, modules, env
        self.kernels: list[WarmKernel | None] = [None] * count

    def ensure(self) -> str:
        """Start the kernels that are not running; the value of :data:`STANDING_KERNELS_ENV`
        (their connection files)."""
        saved = dict(os.environ)
        os.environ.update(self.env)
        try:
            for index, kernel in enumerate(self.kernels):
                if kernel is None or not kernel.is_alive():
                    if kernel is not None:
                        kernel.shutdown()
                    self.kernels[index] = WarmKernel(self.cwd, self.modules)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        files = [k.km.connection_file for k in self.kernels if k is not None]
        return os.pathsep.join(files)

    def shutdown(self) -> None:
        for kernel in self.kernels:
            if kernel is not None:
                kernel.shutdown()
        self.kernels = [None] * len(self.kernels)


STANDING_KERNELS_ENV = "LDIL2_STANDING_KERNELS"
"""Environment variable of a build run by ``serve``: the connection files of its standing
kernels (:class:`StandingKernels`), separated by ``os.pathsep``."""


def claim_standing_kernel() -> tuple[WarmKernel, Any] | None:
    """A standing kernel no other worker uses, attached, with the lock held (released when the
    returned lock file closes, at the latest when this process ends); None when there is none
    free or none answers."""
    for name in filter(None, os.environ.get(STANDING_KERNELS_ENV, "").split(os.pathsep)):
        lock = open(f"{name}.lock", "w", encoding="utf-8")  # the caller holds it: not "with"
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return WarmKernel.attach(Path(name)), lock
        except (BlockingIOError, KernelError):
            lock.close()
    return None
