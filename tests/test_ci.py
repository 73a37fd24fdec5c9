"""CI proves what it claims: it runs README's test command, and a missing tool fails it.

Issue 12: a tool missing from .ci/run (kmod) stayed hidden because the machine the tests were
written on had it, and tests skip when a tool is missing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

TESTS = Path(__file__).resolve().parent


def commands(script: str) -> list[str]:
    """The command lines of a shell snippet: no comments, no blank lines."""
    return [line.strip() for line in script.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    setup_and_build, test_command = commands(first_block)
    assert "invoke build" in setup_and_build
    assert test_command == "tests/run"
    assert commands((REPO / ".ci" / "run").read_text())[-1] == test_command
    assert os.access(REPO / test_command, os.X_OK)


MISSING = '''
import pytest
from conftest import need

def test_called():
    need("lfsbuild-no-such-tool", package="no-such-package")

@pytest.mark.needs("lfsbuild-no-such-tool", package="no-such-package")
def test_marked():
    pass
'''


def run_pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    """A pytest run of MISSING with the project's conftest loaded as a plugin."""
    (tmp_path / "test_missing.py").write_text(MISSING)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(REPO)])
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "conftest",
                           "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           str(tmp_path / "test_missing.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_missing_tool_skips_locally_with_its_package(tmp_path: Path):
    for ci in (None, "", "false"):
        r = run_pytest(tmp_path, ci)
        assert r.returncode == 0 and "2 skipped" in r.stdout, r.stdout + r.stderr
        assert "apt-get install -y no-such-package" in r.stdout


def test_a_missing_tool_fails_under_ci(tmp_path: Path):
    r = run_pytest(tmp_path, "true")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 1 error" in r.stdout and "skipped" not in r.stdout
    assert "lfsbuild-no-such-tool not found: apt-get install -y no-such-package" in r.stdout
