"""The warm builder of the live preview: each rebuild runs in a new process forked from one that
has already imported the build's heavy third-party modules.

A build in a new Python process (``python -m ldil2 build``) spends about a second importing
pandas, pandera, nbformat, jupytext, the kernel client, Sphinx and the Sphinx extensions of the
book before it does anything, and a prose edit asks for little more than that. The live preview
(:mod:`ldil2.pipeline.serve`) instead forks every build from multiprocessing's fork server, which
imports those modules once (:func:`warm_imports`) and never imports ``ldil2``: the forked build
imports the package as it is on disk at that moment, so an edit of ``ldil2`` takes effect at the
next save, and each build starts from the same clean state (the build's own state, Sphinx's
global registries and its kernels die with its process). The fork server is single-threaded, so
forking it is safe, which forking the serving process (with its watcher and HTTP threads) is
not.

A change of the installed packages (``requirements.txt``) is not seen by the warm process: the
live preview says so and asks for a restart.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from jupyter_book.config import get_final_config

from ldil2.pipeline.build import build_command
from ldil2.pipeline.cache import PACKAGE, import_graph, module_file, reached_modules
from ldil2.pipeline.config import CONFIG_FILE
from ldil2.pipeline.execute import THREAD_ENV
from ldil2.pipeline.kernels import warm_modules

BUILD_MODULE = f"{PACKAGE}.pipeline.build"
"""The module of the build; the third-party modules it reaches are imported by the warm
process."""

SETUP_IMPORTS: tuple[str, ...] = ("myst_nb.sphinx_ext", "sphinx.builders.html", "sphinx.search")
"""Modules imported by Sphinx and its extensions only when an application is set up (myst-nb
imports its Sphinx part in its ``setup``; Sphinx imports its HTML builder and search indexer
when it creates the builder), which no import statement names."""


def sphinx_extensions(root: Path) -> list[str]:
    """The Sphinx extensions Jupyter Book loads for the book at ``root`` (its defaults and the
    book's ``_config.yml``), without those of ``ldil2``."""
    config, _ = get_final_config(
        user_yaml=root / CONFIG_FILE,
        cli_config={"latex_individualpages": False},
        sourcedir=root,
        use_external_toc=True,
    )
    names = config.get("extensions", [])
    return [name for name in names if name.split(".", 1)[0] != PACKAGE]


def warm_imports(root: Path) -> list[str]:
    """What the warm process imports: the third-party modules the build's code imports (from the
    import graph of ``ldil2``, :func:`ldil2.pipeline.kernels.warm_modules`), the book's Sphinx
    extensions (:func:`sphinx_extensions`) and :data:`SETUP_IMPORTS`; no module of ``ldil2``."""
    files = [module_file(name) for name in reached_modules({BUILD_MODULE}, import_graph())]
    names = {*warm_modules(files), *sphinx_extensions(root), *SETUP_IMPORTS}
    return sorted(name for name in names if name.split(".", 1)[0] != PACKAGE)


class WarmBuilder:
    """Runs builds, each in a new process forked from the warm process (multiprocessing's fork
    server, started with the first build and stopped with this process).

    ``root`` is the book root (the builds' working directory); ``imports`` the modules the warm
    process imports (:func:`warm_imports`). The one-thread-per-kernel environment
    (:data:`~ldil2.pipeline.execute.THREAD_ENV`) is set in this process first, so the warm
    process imports numpy with it, as ``python -m ldil2 build`` would be started."""

    def __init__(self, root: Path, imports: Iterable[str]) -> None:
        self.root = root
        os.environ.update(THREAD_ENV)
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(list(imports))

    def run(self, target: Callable[..., object], args: tuple[Any, ...]) -> int:
        """``target(*args)`` in a process forked from the warm process; its exit status."""
        process = self.context.Process(target=target, args=args)
        process.start()
        process.join()
        return process.exitcode if process.exitcode is not None else 1

    def build(self, args: tuple[Any, ...], errors: Path, env: dict[str, str]) -> int:
        """One build, ``build_command(*args)`` (:func:`ldil2.pipeline.build.build_command`), in
        a forked process with ``env`` added to its environment (the fork server's, from its
        start) and its standard error to ``errors``; its exit status."""
        return self.run(build_in_child, (self.root, args, errors, env))


def build_in_child(root: Path, args: tuple[Any, ...], errors: Path, env: dict[str, str]) -> None:
    """The forked build: ``env`` added to the environment, standard error to ``errors``, the
    book root as working directory, then ``build_command(*args)``; exits with its status."""
    os.environ.update(env)
    fd = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, sys.stderr.fileno())
    os.close(fd)
    os.chdir(root)
    sys.exit(build_command(*args))
