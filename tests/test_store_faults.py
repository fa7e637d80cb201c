"""The smaller faults, each a clear error that loses nothing: an empty or foreign file at the store
path, a private laptop store, output files that are written whole or not at all (missing folder,
full disk), no partial backup left by a killed upgrade, and re-grading workers that die with the
command."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dystonia_teach import evaluate, load_case
from dystonia_teach.cli import cli
from dystonia_teach.course.demo import write_demo_store
from dystonia_teach.store import ProgressStore, ProgressStoreError

V1_STORE = Path(__file__).parent / "fixtures" / "store_v1.sqlite3"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return write_demo_store(tmp_path_factory.mktemp("faults") / "class.sqlite3", learners=3)


def test_hostile_empty_store_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    path.touch()
    for verb in (["report"], ["export", "gradebook", "-o", str(tmp_path / "g.csv")]):
        result = CliRunner().invoke(cli, [*verb, "--store", str(path)])
        assert result.exit_code == 1 and "empty file (0 bytes)" in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert path.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("content", [b"x", b"SQLite", b"\x00" * 100])
@pytest.mark.parametrize("read_only", [False, True])
def test_hostile_file_that_is_not_a_store_is_refused_untouched(tmp_path: Path, content: bytes,
                                                               read_only: bool) -> None:
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(content)
    with pytest.raises(ProgressStoreError, match="damaged or is not a database"):
        ProgressStore(path, read_only=read_only)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_laptop_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".dystonia_teach" / "progress.sqlite3"
    with ProgressStore(path) as store:
        store.record("stu_1", evaluate(load_case("early_uncomplicated"), ["neuro_exam"]))
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes  # the file and its -wal, -shm
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("verb", [["report", "--html"], ["export", "gradebook", "-o"],
                                  ["export", "xapi", "-o"]])
def test_output_to_a_missing_folder_is_a_clear_error(demo_url: str, tmp_path: Path,
                                                     verb: list[str]) -> None:
    target = tmp_path / "no" / "such" / "folder" / "out.file"
    result = CliRunner().invoke(cli, [*verb, str(target), "--store", demo_url, "--salt", "s"]
                                if verb[0] == "export" else [*verb, str(target), "--store",
                                                             demo_url])
    assert result.exit_code == 1 and "does not exist" in result.output, result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("verb", [["report", "--html"], ["export", "gradebook", "-o"],
                                  ["export", "xapi", "-o"]])
def test_full_disk_leaves_the_earlier_file_and_no_temporary_one(
        demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: list[str]) -> None:
    target = tmp_path / "out.file"
    target.write_text("the earlier export", encoding="utf-8")

    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("dystonia_teach.render.files.os.fsync", full)
    args = [*verb, str(target), "--store", demo_url] + (["--salt", "s"]
                                                         if verb[0] == "export" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "the disk is full" in result.output, result.output
    assert target.read_text(encoding="utf-8") == "the earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_killed_upgrade_leaves_no_large_hidden_backup(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite3"
    shutil.copy(V1_STORE, path)
    stale = tmp_path / "progress.sqlite3.v1-backup.partial-999999999"  # no such process
    stale.write_bytes(b"\x00" * 1_000_000)  # what a killed upgrade left
    with ProgressStore(path) as store:
        assert len(store.all_attempts()) == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "progress.sqlite3", "progress.sqlite3-shm", "progress.sqlite3-wal",
        "progress.sqlite3.v1-backup"] or sorted(p.name for p in tmp_path.iterdir()) == [
        "progress.sqlite3", "progress.sqlite3.v1-backup"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


GRADE_AND_HANG = """
import os, sys, time
from dystonia_teach.course import grading
from dystonia_teach.store import open_store

def hang(job):
    open(os.path.join(sys.argv[2], f"worker-{os.getpid()}"), "w").close()
    time.sleep(300)

grading._grade_case = hang
with open_store(sys.argv[1]) as store:
    grading.regrade(store, progress=False, workers=2)
"""


def test_hostile_kill_9_of_grade_takes_its_workers_with_it(demo_url: str,
                                                           tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    parent = subprocess.Popen([sys.executable, "-c", GRADE_AND_HANG, demo_url, str(marks)])
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2:
            assert time.monotonic() < deadline and parent.poll() is None, "no workers started"
            workers = [int(p.name.split("-")[1]) for p in marks.iterdir()]
            time.sleep(0.1)
        assert all(os.getpgid(w) == os.getpgid(parent.pid) for w in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _running(w)]
    finally:
        parent.kill()
        for worker in workers:
            if _running(worker):
                os.kill(worker, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan is reaped by init, not by this test)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
