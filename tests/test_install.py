"""Reproducible installs: requirements.lock pins every runtime dependency with its hashes and
nothing only the tests need; `make run` installs from it and installs no test tool; `make test`
still sets everything up on a fresh machine; the deployment guide installs from it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from checklist_app import REPO_ROOT

LOCK = REPO_ROOT / "requirements.lock"
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pins() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, its hashes), as requirements.lock holds them."""
    found = {}
    for block in re.split(r"\n(?=\S)", LOCK.read_text(encoding="utf-8")):
        if match := re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block):
            found[canonicalize_name(match.group(1))] = (
                match.group(2),
                re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
            )
    return found


def test_every_runtime_dependency_is_pinned_within_its_range_with_hashes():
    locked = pins()
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        version, hashes = locked[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), (requirement, version)
    assert all(hashes for _version, hashes in locked.values())
    assert "pypinyin" in locked


def test_the_lock_holds_no_test_only_package():
    locked = pins()
    for line in PROJECT["optional-dependencies"]["test"]:
        assert canonicalize_name(Requirement(line).name) not in locked, line


def dry_run(target: str, tmp_path) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed; the README names it as what `make run` needs")
    venv = tmp_path / "fresh-venv"  # a machine where nothing is installed yet
    result = subprocess.run(
        [make, "-n", f"VENV={venv}", target], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_the_locked_runtime_and_no_test_tools(tmp_path):
    commands = dry_run("run", tmp_path)
    assert "-m venv" in commands
    assert "install --require-hashes --no-deps -r requirements.lock" in commands
    assert "[test]" not in commands


def test_make_test_sets_up_everything_on_a_fresh_machine(tmp_path):
    commands = dry_run("test", tmp_path)
    assert "-m venv" in commands and "--require-hashes --no-deps -r requirements.lock" in commands
    assert "install -e '.[test]'" in commands
    assert commands.index("requirements.lock") < commands.index("[test]")


def test_the_deployment_guide_installs_from_the_lock():
    guide = (REPO_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert guide.count("pip install --require-hashes --no-deps -r requirements.lock") >= 2
    assert not re.search(r"pip install -e \.(?!\S)", guide.replace("--no-deps -e .", ""))
