"""One writer per run folder: a folder another process holds is refused and left untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import ScriptedClient, plan, run, turn
from wisdomgate.artifacts import locks
from wisdomgate.artifacts.folders import OutputFolders, RunFolder
from wisdomgate.artifacts.locks import LOCK_NAME, FolderLock
from wisdomgate.errors import FolderBusyError
from wisdomgate.run.dryrun import dry_run
from wisdomgate.run.outcomes import OutcomeKind

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock and dir_fd: POSIX")

Snapshot = dict[str, tuple[bytes, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every file in folder: its bytes and modification time (ns)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}


def earlier_run(out: Path) -> Path:
    """A run folder as an earlier run (killed mid-write) left it."""
    folder = out / "demo" / "default"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_bytes(b'{"status": "running"}')
    (folder / "turn-1-1.png").write_bytes(b"an image")
    (folder / ".turn-2-1.png.abc.tmp").write_bytes(b"half an image")
    return folder


def test_a_held_folder_refuses_the_run_and_leaves_the_folder_untouched(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    out = tmp_path / "out"
    before = snapshot(earlier_run(out))
    client = ScriptedClient([make_response(images=[make_png()])])
    with RunFolder(out, "demo", "default"):  # the lock another process would hold
        held = snapshot(out / "demo" / "default")
        [result] = run(client, [plan(tmp_path, turn(1, "a"), turn(2, "b"))], out)
        assert snapshot(out / "demo" / "default") == held  # not even a temp file removed
    assert client.bodies == []
    assert result.refused and not result.passed
    assert snapshot(out / "demo" / "default") == before


def test_a_refused_run_says_who_holds_the_folder_and_what_to_do(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunFolder(out, "demo", "default"):
        [result] = run(ScriptedClient([]), [plan(tmp_path, turn(1, "a"))], out)
    outcome = result.record.turns[0].outcome
    assert outcome is not None and outcome.kind is OutcomeKind.FOLDER_BUSY
    folder = out / "demo" / "default"
    assert result.record.reason == (
        f"{folder} is being written by another wisdomgate process (pid {os.getpid()});"
        " wait for it, or use another --out"
    )


def test_other_runs_go_on_when_one_folder_is_busy(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    out = tmp_path / "out"
    client = ScriptedClient(lambda index: make_response(images=[make_png()]))
    plans = [plan(tmp_path, turn(1, "a"), run_id=run_id) for run_id in ("busy", "free")]
    with RunFolder(out, "demo", "busy"):
        results = run(client, plans, out)
    assert [(r.refused, r.passed) for r in results] == [(True, False), (False, True)]


def test_a_finished_run_leaves_no_lock_file_and_frees_the_folder(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    out = tmp_path / "out"
    [result] = run(
        ScriptedClient([make_response(images=[make_png()])]), [plan(tmp_path, turn(1, "a"))], out
    )
    assert not (result.folder / LOCK_NAME).exists()
    with RunFolder(out, "demo", "default"):
        pass  # not refused


def test_a_lock_file_left_by_an_earlier_version_is_removed(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    out = tmp_path / "out"
    folder = earlier_run(out)
    (folder / LOCK_NAME).write_text("4242\n", encoding="ascii")  # wisdomgate 0.1.0, killed
    client = ScriptedClient([make_response(images=[make_png()])])
    [result] = run(client, [plan(tmp_path, turn(1, "a"))], out)
    assert result.passed
    assert not (folder / LOCK_NAME).exists()


def test_a_dry_run_refuses_a_held_folder_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = snapshot(earlier_run(out))
    with RunFolder(out, "demo", "default"):
        [result] = dry_run([plan(tmp_path, turn(1, "a"))], OutputFolders(out))
    assert result.refused and result.requests == ()
    assert result.busy is not None and "another wisdomgate process" in result.busy
    assert snapshot(out / "demo" / "default") == before


def test_the_lock_is_on_the_folder_itself_and_makes_no_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    held_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    other_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        lock = FolderLock.acquire(held_fd, folder)
        assert list(folder.iterdir()) == []
        with pytest.raises(FolderBusyError) as busy:
            FolderLock.acquire(other_fd, folder)  # another open of the folder: another writer
        assert busy.value.pid == os.getpid()
        lock.release()
        FolderLock.acquire(other_fd, folder).release()  # free again
    finally:
        os.close(held_fd)
        os.close(other_fd)


def test_without_proc_locks_the_message_names_no_pid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locks, "_PROC_LOCKS", tmp_path / "no-such-file")
    out = tmp_path / "out"
    with RunFolder(out, "demo", "default"):
        [result] = run(ScriptedClient([]), [plan(tmp_path, turn(1, "a"))], out)
    assert result.record.reason == (
        f"{out / 'demo' / 'default'} is being written by another wisdomgate process;"
        " wait for it, or use another --out"
    )
