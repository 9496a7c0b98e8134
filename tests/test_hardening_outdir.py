"""Issue 8, root cause 3: the output folder is checked BEFORE simulating.

Every command that writes a run folder (run, compare, sweep, staff) refuses,
with exit status 2, one ``Error:`` line and no traceback, a folder it could
never write -- /proc, /sys, a path through a file, a name too long for the
file system, an empty path, leadsim's own source tree -- before any
replication starts (no progress line is printed), and leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import leadsim
from leadsim.cli import main
from leadsim.outputs import outdir
from leadsim.outputs.runfolder import (
    RunFolderError,
    check_out_path,
    claim_run_dir,
    default_folder_name,
    prepare_run_dir,
)

FAST_MMC = ("--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05")
PACKAGE = Path(leadsim.__file__).resolve().parent

#: Each command, with what it needs besides --out.
COMMANDS = {
    "run": ("run", "erlang_c", *FAST_MMC, "-r", "3"),
    "compare": ("compare", "erlang_c", "--vary", "teams.0.headcount=6", *FAST_MMC, "-r", "3"),
    "sweep": ("sweep", "erlang_c", "--param", "teams.0.headcount=5..7", *FAST_MMC, "-r", "3"),
    "staff": ("staff", "erlang_c", "--target", "share_waited<=0.5", *FAST_MMC, "-r", "3"),
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def refused(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and result.stderr.count("Error: ") == 1, result.stderr
    assert "replications" not in result.stderr  # no progress: refused before simulating
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def _bad_outs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    return {
        "proc": ("/proc/leadsim-x", "virtual 'proc' file system"),
        "sys": ("/sys/leadsim/x", "virtual 'sysfs' file system"),
        "sys-existing": ("/sys/kernel", "virtual 'sysfs' file system"),
        "file-sub": (str(a_file / "sub"), "is a file, not a folder"),
        "too-long": (str(tmp_path / ("n" * 300) / "x"), "300 bytes"),
        "empty": ("", "path is empty"),
        "package": (str(PACKAGE / "runs"), "inside leadsim's own source tree"),
        "package-itself": (str(PACKAGE), "inside leadsim's own source tree"),
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", ["proc", "sys", "sys-existing", "file-sub", "too-long", "empty", "package",
                                  "package-itself"])
def test_every_command_refuses_a_bad_out_before_simulating(tmp_path: Path, command: str, case: str) -> None:
    out, fragment = _bad_outs(tmp_path)[case]
    if case in ("proc", "sys", "sys-existing") and not Path("/proc/self/mountinfo").exists():
        pytest.skip("needs Linux /proc and /sys")
    refused(invoke(*COMMANDS[command], "--out", out), fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["a-file"])  # nothing left behind


def test_an_existing_file_as_out_is_refused(tmp_path: Path) -> None:
    a_file = tmp_path / "results"
    a_file.write_text("mine")
    result = invoke(*COMMANDS["run"], "--out", str(a_file))
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert a_file.read_text() == "mine"


def test_the_src_folder_of_a_checkout_is_refused() -> None:
    if PACKAGE.parent.name != "src":
        pytest.skip("leadsim is not running from a src/ checkout")
    with pytest.raises(RunFolderError, match="source tree"):
        check_out_path(PACKAGE.parent / "runs")


def test_a_symlink_into_the_source_tree_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "sneaky"
    link.symlink_to(PACKAGE)
    with pytest.raises(RunFolderError, match="source tree"):
        check_out_path(link / "runs")


def test_a_good_out_is_created_probed_and_left_clean(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "run"
    with claim_run_dir(str(out), "x") as claimed:
        assert claimed.path == out and out.is_dir()
        assert [p.name for p in out.iterdir()] == [".leadsim.lock"]  # the probe file is gone
    # Nothing was written: the folders the claim created are removed again.
    assert not (tmp_path / "deep").exists()


def test_an_existing_out_is_kept_when_nothing_was_written(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with claim_run_dir(out, "x"):
        pass
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_unwritable_folder_is_refused_and_created_folders_removed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Root can write anywhere, so a read-only file system is simulated at the probe.
    real_open = os.open

    def read_only(path, flags, *args):  # type: ignore[no-untyped-def]
        if Path(path).name.startswith(".leadsim-probe"):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(outdir.os, "open", read_only)
    with pytest.raises(RunFolderError, match=r"cannot write into .*Read-only file system"):
        prepare_run_dir(str(tmp_path / "a" / "b"), "x")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_exits_2_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def full(path, flags, *args):  # type: ignore[no-untyped-def]
        if Path(path).name.startswith(".leadsim-probe"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, flags, *args)

    monkeypatch.setattr(outdir.os, "open", full)
    refused(invoke(*COMMANDS["run"], "--out", str(tmp_path / "r")), "No space left on device")


def test_default_folder_names_are_shortened_safely() -> None:
    now = dt.datetime(2026, 1, 5, 8, 30, 0)
    one = default_folder_name("a" * 400 + "-one", now, limit=255)
    two = default_folder_name("a" * 400 + "-two", now, limit=255)
    assert len(one.encode()) <= 255 - 6 and len(two.encode()) <= 255 - 6
    assert one != two and one.startswith("20260105-083000-aaaa")
    assert default_folder_name("base line/v2", now) == "20260105-083000-base-line-v2"
    assert default_folder_name("///", now) == "20260105-083000-scenario"


def test_a_default_folder_for_a_very_long_scenario_name_works(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    long = "x" * 400
    result = invoke("run", "erlang_c", *FAST_MMC, "-r", "1", "--jobs", "1", "--set", f"name={long}")
    assert result.exit_code == 0, result.stderr
    (folder,) = (tmp_path / "runs").iterdir()
    assert len(folder.name) < 255 and (folder / "metrics.json").is_file()


def test_default_folders_never_collide(tmp_path: Path) -> None:
    now = dt.datetime(2026, 1, 5, 8, 30, 0)
    first, _ = prepare_run_dir(None, "s", base=tmp_path / "runs", now=now)
    second, _ = prepare_run_dir(None, "s", base=tmp_path / "runs", now=now)
    assert (first.name, second.name) == ("20260105-083000-s", "20260105-083000-s-2")


def test_the_default_base_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="virtual 'proc'"):
        prepare_run_dir(None, "s", base=Path("/proc/leadsim-runs"))
    with pytest.raises(RunFolderError, match="source tree"):
        prepare_run_dir(None, "s", base=PACKAGE / "runs")


def test_nothing_written_when_refused_after_loading(tmp_path: Path) -> None:
    # A scenario error is reported first; the folder is never created.
    out = tmp_path / "r"
    result = invoke("run", "erlang_c", "--set", "teams.0.headcunt=3", "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
