"""lfs.* settings come from invoke's own config hierarchy, nothing else."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from invoke import Config

from conftest import REPO, run_invoke
from lfsbuild.errors import ConfigError
from lfsbuild.settings import from_config


def test_defaults_are_project_relative():
    s = from_config({}, Path("/proj"))
    assert s.root == Path("/proj/build/lfs") and s.sources == Path("/proj/build/sources")
    assert s.jobs == (os.cpu_count() or 1) and s.target == "x86_64-lfs-linux-gnu"
    assert not s.sources.is_relative_to(s.root)  # cleaning $LFS never throws away downloads


def test_mirrors_from_list_or_env_string():
    assert from_config({"mirrors": ["http://a/x/", "file:///m"]}, Path("/")).mirrors == \
        ("http://a/x", "file:///m")
    assert from_config({"mirrors": "http://a, file:///m"}, Path("/")).mirrors == \
        ("http://a", "file:///m")
    with pytest.raises(ConfigError, match="lfs.mirrors"):
        from_config({"mirrors": ["gopher://x"]}, Path("/"))


@pytest.mark.parametrize("key,value,msg", [("jobs", "many", "whole number"), ("jobs", -2, "positive"),
                                           ("target", "x86_64", "triplet"), ("timeout", "soon", "seconds")])
def test_bad_values_are_config_errors(key, value, msg):
    with pytest.raises(ConfigError, match=msg):
        from_config({key: value}, Path("/"))


def test_invoke_env_vars_override_project_yaml(monkeypatch):
    monkeypatch.setenv("INVOKE_LFS_ROOT", "/mnt/lfs")
    monkeypatch.setenv("INVOKE_LFS_JOBS", "3")
    monkeypatch.setenv("INVOKE_LFS_TIMEOUT", "2.5")
    c = Config(project_location=str(REPO))
    c.load_project()
    c.load_shell_env()
    s = from_config(c.lfs, REPO)
    assert (s.root, s.jobs, s.timeout) == (Path("/mnt/lfs"), 3, 2.5)
    assert s.packages == REPO / "packages.yaml"


def test_runtime_config_file_with_f(tmp_path, invoke_env):
    cfg = tmp_path / "my.yaml"
    cfg.write_text("lfs:\n  packages: /nonexistent/mine.yaml\n")
    env = invoke_env()
    r = run_invoke(["-f", str(cfg), "fetch"], env)
    assert r.returncode == 1 and "/nonexistent/mine.yaml" in r.stderr


def test_every_task_and_option_has_help():
    """`invoke --list` gives each task a line, `invoke --help TASK` documents every option."""
    from lfsbuild.tasks import ns
    for name in ns.task_names:
        task = ns[name]
        assert (task.__doc__ or "").strip(), f"task {name} has no docstring"
        undocumented = [a.name for a in task.get_arguments() if not a.help]
        assert not undocumented, f"{name}: options without help: {undocumented}"
    r = run_invoke(["--list"], dict(os.environ), check=True)
    for name in ("build", "fetch", "stage1", "status", "pxe", "boot-test", "serve", "check-host"):
        assert f"  {name} " in r.stdout
    h = run_invoke(["--help", "stage1"], dict(os.environ), check=True)
    assert "--dry-run" in h.stdout and "print what would run and why" in h.stdout
