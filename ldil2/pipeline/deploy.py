"""``python -m ldil2 deploy``: publish a built edition onto the git branch that keeps the archive.

What ``.github/workflows/book.yml`` runs after the build, and what the tests run against a local
bare repository standing in for GitHub:

1. check the archive branch (``gh-pages``) of ``remote`` out into a new work tree ``site`` of
   the repository clone ``repo`` (a new orphan branch if the remote has none yet), so that the
   clone's credentials serve the push;
2. ``publish`` the edition into it (:func:`ldil2.pipeline.publish.publish`);
3. commit what changed (nothing when the edition was already published) and push the branch.

A build of a release version the archive already holds with other pages (new code, same data
release) is not published: an edition is never rewritten. The deploy then pushes nothing, says
so (as a warning annotation on GitHub Actions) and leaves the archive as it was; a correction is
published as a new release version (see the book's "Living mode" page).

The work tree is left in place: it is the site to deploy (GitHub Pages' artifact leaves out
``.git``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ldil2.pipeline.edition import EditionError
from ldil2.pipeline.publish import AlreadyPublished, PublishError, publish

COMMITTER = {"name": "ldil2 publish", "email": "ldil2-publish@users.noreply.github.com"}
"""Who commits an edition when the environment names nobody (``GIT_AUTHOR_NAME`` etc.)."""


class DeployError(RuntimeError):
    """A git step failed: the message names the command and git's own words."""


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """``git ARGS`` in ``cwd``; raises :class:`DeployError` on failure when ``check``."""
    env = dict(os.environ)
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", COMMITTER["name"])
        env.setdefault(f"GIT_{role}_EMAIL", COMMITTER["email"])
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        words = (result.stderr or result.stdout).strip()
        raise DeployError(f"git {' '.join(args)} (in {cwd}) failed: {words}")
    return result


def check_out_archive(repo: Path, remote: str, branch: str, site: Path) -> bool:
    """Check ``remote``'s ``branch`` out into the new work tree ``site`` of ``repo``.

    Returns
    -------
    bool : True if the branch existed; False if ``site`` starts an empty orphan branch

    Raises
    ------
    DeployError : ``site`` exists already, or a git step failed
    """
    if site.exists():
        raise DeployError(f"{site} exists: the archive branch is checked out into a new folder")
    git("worktree", "prune", cwd=repo)
    ref = f"refs/heads/{branch}"
    listed = git("ls-remote", "--exit-code", remote, ref, cwd=repo, check=False)
    if listed.returncode not in (0, 2):  # 2: the remote has no such branch
        raise DeployError(f"git ls-remote {remote} {ref} failed: {listed.stderr.strip()}")
    if listed.returncode == 0:
        git("fetch", "--quiet", remote, ref, cwd=repo)
        git("worktree", "add", "--quiet", "-B", branch, str(site), "FETCH_HEAD", cwd=repo)
        return True
    git("worktree", "add", "--quiet", "--detach", "--no-checkout", str(site), cwd=repo)
    git("checkout", "--quiet", "--orphan", branch, cwd=site)
    git("read-tree", "--empty", cwd=site)
    return False


def deploy(
    repo: Path,
    remote: str,
    branch: str,
    site: Path,
    build: Path,
    base_url: str = "",
    log: Callable[[str], None] = print,
) -> bool:
    """Check out, publish, commit and push (see the module docstring).

    Returns
    -------
    bool : True if a commit was pushed, False if the archive already held the edition (with
        these pages or, not replaced, with others)

    Raises
    ------
    DeployError, PublishError : a git step failed, or the build is not a publishable edition
    """
    repo, site = repo.resolve(), site.resolve()
    check_out_archive(repo, remote, branch, site)
    try:
        archived = publish(build.resolve(), site, base_url=base_url, log=log)
    except AlreadyPublished as error:
        on_actions = os.environ.get("GITHUB_ACTIONS") == "true"
        prefix = "::warning title=edition not published::" if on_actions else ""
        log(f"{prefix}{error}. Not replaced: publish a correction as a new release version.")
        return False
    git("add", "--all", ".", cwd=site)
    if git("diff", "--cached", "--quiet", cwd=site, check=False).returncode == 0:
        log(f"{branch}: nothing to commit, {archived.edition.label} was already published")
        return False
    git("commit", "--quiet", "-m", f"Publish {archived.edition.label}", cwd=site)
    git("push", "--quiet", remote, f"HEAD:refs/heads/{branch}", cwd=site)
    log(f"{branch}: pushed {archived.edition.label} to {remote}")
    return True


def deploy_command(
    repo: Path, remote: str, branch: str, site: Path, build: Path, base_url: str
) -> int:
    """``python -m ldil2 deploy``: 0 on success, else print why and return 1."""
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    try:
        deploy(repo, remote, branch, site, build, base_url)
    except (DeployError, PublishError, EditionError) as error:
        print(f"deploy failed: {error}", file=sys.stderr)
        return 1
    return 0
