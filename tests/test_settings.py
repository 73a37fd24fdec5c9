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


# ----------------------------------------------------------------------------- dangerous values

@pytest.mark.parametrize("key,value,msg", [
    ("timeout", "nan", "lfs.timeout must be a number of seconds"),
    ("timeout", float("nan"), "lfs.timeout must be a number of seconds"),
    ("timeout", "inf", "lfs.timeout must be a number of seconds"),
    ("timeout", "-inf", "lfs.timeout must be a number of seconds"),
    ("timeout", "1e400", "lfs.timeout must be a number of seconds"),
    ("timeout", 0, "lfs.timeout must be more than 0"),
    ("timeout", 1e12, "at most 86400"),
    ("timeout", True, "lfs.timeout must be a number of seconds"),
    ("jobs", 0, "lfs.jobs must be a positive whole number"),
    ("jobs", "0", "lfs.jobs must be a positive whole number"),
    ("jobs", 2.9, "lfs.jobs must be a whole number, not 2.9"),
    ("jobs", "2.9", "lfs.jobs must be a whole number"),
    ("jobs", True, "lfs.jobs must be a whole number, not True"),
    ("jobs", "true", "lfs.jobs must be a whole number"),
    ("jobs", "9" * 5000, "lfs.jobs must be a whole number"),
    ("jobs", 10**6, "from 1 to 4096"),
    ("fetch_jobs", 0, "lfs.fetch_jobs must be a positive whole number"),
    ("fetch_jobs", 1.5, "lfs.fetch_jobs must be a whole number"),
    ("fetch_jobs", 10**6, "from 1 to 64"),
    ("retries", -1, "lfs.retries must be a whole number from 0"),
    ("retries", 0.5, "lfs.retries must be a whole number"),
    ("root", "", "lfs.root is empty"),
    ("root", "  ", "lfs.root is empty"),
    ("sources", "", "lfs.sources is empty"),
    ("pxe_dir", "", "lfs.pxe_dir is empty"),
])
def test_absurd_values_are_refused_with_the_settings_name(key, value, msg):
    with pytest.raises(ConfigError, match=msg) as info:
        from_config({key: value}, Path("/proj"))
    assert info.value.hint


def test_sensible_values_still_work():
    s = from_config({"jobs": "auto", "fetch_jobs": "8", "retries": 0, "timeout": "2.5"}, Path("/p"))
    assert (s.jobs, s.fetch_jobs, s.retries, s.timeout) == (os.cpu_count() or 1, 8, 0, 2.5)
    assert from_config({"jobs": None, "retries": "0"}, Path("/p")).retries == 0
    assert from_config({"jobs": 4.0}, Path("/p")).jobs == 4


@pytest.mark.parametrize("root", ["/", "/usr", "/etc", "/bin", "/boot", "/dev", "/home", "/lib",
                                  "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys",
                                  "/tmp", "/var", "/usr/..", "//", "/tmp/../etc"])
def test_root_that_is_a_host_directory_is_refused(root):
    with pytest.raises(ConfigError, match="lfs.root is .*the host's") as info:
        from_config({"root": root}, Path("/proj"))
    assert "/mnt/lfs" in info.value.hint


def test_root_refusal_follows_symlinks(tmp_path):
    """/bin is /usr/bin on a merged-/usr Debian: both spellings and a link to either refuse."""
    resolved = os.path.realpath("/bin")
    (tmp_path / "sneaky").symlink_to("/etc")
    for root in (resolved, str(tmp_path / "sneaky")):
        with pytest.raises(ConfigError, match="the host's"):
            from_config({"root": root}, Path("/proj"))
    assert from_config({"root": str(tmp_path / "lfs")}, Path("/proj")).root == tmp_path / "lfs"


def test_home_directories_are_refused(tmp_path, monkeypatch):
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    for root in (home, home.parent, tmp_path / "link"):
        if root.name == "link":
            root.symlink_to(home)
        with pytest.raises(ConfigError, match="home directory") as info:
            from_config({"root": str(root)}, Path("/proj"))
        assert "/mnt/lfs" in info.value.hint
    from_config({"root": str(home / "lfs")}, Path("/proj"))  # a directory *in* a home is fine


def test_every_home_in_passwd_is_refused(tmp_path):
    """Homes come from /etc/passwd (a service's home too), not just from $HOME."""
    from lfsbuild.settings import check_places, home_dirs
    svc = tmp_path / "srv" / "svc"
    passwd = tmp_path / "passwd"
    passwd.write_text(f"root:x:0:0:root:/root:/bin/bash\nbin:x:2:2:bin:/:/usr/sbin/nologin\n"
                      f"svc:x:998:998::{svc}:/usr/sbin/nologin\nbroken line\n")
    homes = home_dirs(passwd, env={})
    assert str(svc) in homes and "/" not in homes  # `/` is some accounts' home: refused apart
    for root in (svc, svc.parent):
        s = from_config({"root": str(tmp_path / "elsewhere")}, Path("/proj")).replace(root=root)
        with pytest.raises(ConfigError, match="home directory"):
            check_places(s, homes)
    check_places(from_config({"root": str(tmp_path / "lfs")}, Path("/proj")), homes)
    assert "/root" in home_dirs()                     # the real /etc/passwd is read


@pytest.mark.parametrize("key", ["sources", "pxe_dir"])
def test_sources_and_pxe_dir_may_not_be_host_directories(key):
    for value in ("/", "/usr", "/etc/", "/var"):
        with pytest.raises(ConfigError, match=f"lfs.{key} is .*the host's"):
            from_config({key: value}, Path("/proj"))


@pytest.mark.parametrize("args", [["steps"], ["status"], ["stage1", "--dry-run"],
                                  ["stage3", "--dry-run"], ["fetch", "--offline"],
                                  ["clean", "--dry-run"], ["restore", "--dry-run"]])
def test_every_task_refuses_a_host_root_before_writing(tmp_path, invoke_env, args):
    home = tmp_path / "home"
    home.mkdir()
    (home / "precious").write_text("mine\n")
    pk = tmp_path / "packages.yaml"   # nothing to download, whatever happens
    pk.write_text("release: 'x'\npackages: []\n")
    for root in ("/", str(home)):
        env = invoke_env(root=root, packages=pk, mirrors="")
        env["HOME"] = str(home)
        r = run_invoke(args, env)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stderr.startswith("error: lfs.root is") and "/mnt/lfs" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert sorted(p.name for p in home.iterdir()) == ["precious"]
    r = run_invoke(args, invoke_env(jobs="2.9", timeout="nan", packages=pk, mirrors=""))
    assert r.returncode == 1 and "error: lfs." in r.stderr and "Traceback" not in r.stderr
