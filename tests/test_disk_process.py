"""The disk process: a wide batch's small-file runs have their folders written by a child
process (wisdomgate.run.disk_process), with the same files and guarantees as the threads."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import hashlib
import os
import pickle
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import ScriptedClient, manifest, plan, run
from wisdomgate.artifacts.folders import OutputFolders
from wisdomgate.artifacts.locks import holder_pid
from wisdomgate.artifacts.safe_paths import NotAFolderError, PlantedLinkError
from wisdomgate.errors import FolderBusyError
from wisdomgate.recipe.plan import Expectations, ImageInput, PlannedRun, PlannedTurn
from wisdomgate.run import disk_process, disk_worker
from wisdomgate.run.disk_frames import FrameParser, encode_frame
from wisdomgate.run.disk_process import writes_small_files
from wisdomgate_api.models import GenerationConfig

TEXT_MODEL = "gemini-2.5-flash"


def text_plans(tmp_path: Path, count: int) -> list[PlannedRun]:
    config = GenerationConfig.model_validate({"responseModalities": ["TEXT"]})
    base = plan(tmp_path, PlannedTurn(1, "say hello", (), config, Expectations()))
    return [dataclasses.replace(base, model=TEXT_MODEL, run_id=f"n={n}") for n in range(count)]


def folder_files(out: Path) -> dict[str, list[str]]:
    """Each run folder (relative to out) and the names in it."""
    return {
        str(folder.relative_to(out)): sorted(os.listdir(folder))
        for folder in sorted(out.glob("*/*"))
    }


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[disk_process.DiskProcess]:
    """The disk processes the runners start."""
    found: list[disk_process.DiskProcess] = []
    start = disk_process.DiskProcess.start.__func__  # type: ignore[attr-defined]

    async def recording(cls: type[disk_process.DiskProcess], stores: Any) -> Any:
        process = await start(cls, stores)
        found.append(process)
        return process

    monkeypatch.setattr(disk_process.DiskProcess, "start", classmethod(recording))
    return found


def test_a_text_batch_writes_the_same_folders_as_the_threads(
    tmp_path: Path, make_response: ResponseMaker
) -> None:
    plans = text_plans(tmp_path, 6)
    client = ScriptedClient(lambda index: make_response(text=f"hello {index}"))
    in_child = run(client, plans, tmp_path / "child", disk_process=True)
    in_threads = run(client, plans, tmp_path / "threads", disk_process=False)
    assert all(result.passed for result in in_child + in_threads)
    assert folder_files(tmp_path / "child") == folder_files(tmp_path / "threads")
    assert folder_files(tmp_path / "child")["demo/n=0"] == [
        "manifest.json",
        "turn-1.response.json",
        "turn-1.txt",
    ]
    assert manifest(in_child[0])["status"] == "passed"


def test_a_forced_batch_uses_one_child_process(
    tmp_path: Path, make_response: ResponseMaker, started: list[Any]
) -> None:
    client = ScriptedClient(lambda index: make_response(text="hi"))
    run(client, text_plans(tmp_path, 3), tmp_path / "out", disk_process=True)
    assert len(started) == 1


def test_a_small_batch_uses_the_threads(
    tmp_path: Path, make_response: ResponseMaker, started: list[Any]
) -> None:
    client = ScriptedClient(lambda index: make_response(text="hi"))
    count = disk_process.PROCESS_MIN_RUNS - 1
    results = run(client, text_plans(tmp_path, count), tmp_path / "out")
    assert started == [] and all(result.passed for result in results)


def test_a_wide_batch_starts_the_child_by_itself(
    tmp_path: Path, make_response: ResponseMaker, started: list[Any]
) -> None:
    client = ScriptedClient(lambda index: make_response(text="hi"))
    count = disk_process.PROCESS_MIN_RUNS
    results = run(client, text_plans(tmp_path, count), tmp_path / "out")
    assert len(started) == 1 and all(result.passed for result in results)
    assert len(folder_files(tmp_path / "out")) == count


def test_the_child_exits_once_the_batch_is_done(
    tmp_path: Path, make_response: ResponseMaker, started: list[Any]
) -> None:
    client = ScriptedClient(lambda index: make_response(text="hi"))
    run(client, text_plans(tmp_path, 2), tmp_path / "out", disk_process=True)
    assert started[0]._process.returncode == 0


def test_a_folder_another_process_holds_is_refused_untouched(
    tmp_path: Path, make_response: ResponseMaker
) -> None:
    plans = text_plans(tmp_path, 2)
    busy = tmp_path / "out" / "demo" / "n=1"
    busy.mkdir(parents=True)
    (busy / "turn-1.txt").write_text("an earlier answer", encoding="utf-8")
    holder = os.open(busy, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        client = ScriptedClient(lambda index: make_response(text="hi"))
        results = run(client, plans, tmp_path / "out", disk_process=True)
    finally:
        os.close(holder)
    assert results[0].passed and results[1].refused
    assert (busy / "turn-1.txt").read_text(encoding="utf-8") == "an earlier answer"
    assert len(client.bodies) == 1


def test_a_link_planted_during_a_request_stops_the_batch_with_its_own_error(
    tmp_path: Path, make_response: ResponseMaker
) -> None:
    folder = tmp_path / "out" / "demo" / "n=0"

    def plant_then_answer(index: int) -> Any:
        if index == 0:  # the child has opened the folder: it finds the link when it writes
            (folder / "turn-1.txt").symlink_to(tmp_path / "elsewhere")
        return make_response(text="hi")

    client = ScriptedClient(plant_then_answer)
    with pytest.raises(PlantedLinkError) as raised:
        run(client, text_plans(tmp_path, 1), tmp_path / "out", disk_process=True)
    assert raised.value.link == folder / "turn-1.txt"
    assert not (tmp_path / "elsewhere").exists()


def test_a_child_that_stops_fails_the_calls_in_flight_with_a_clear_error() -> None:
    async def main() -> OSError:
        replies = disk_process._Replies()
        waiting: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        replies.pending[7] = waiting
        replies.connection_lost(None)
        with pytest.raises(OSError) as raised:
            await waiting
        return raised.value

    error = asyncio.run(main())
    assert "disk process stopped before it finished" in str(error)


def test_image_models_references_and_resume_keep_the_threads(tmp_path: Path) -> None:
    [text] = text_plans(tmp_path, 1)
    reference = ImageInput(tmp_path / "ref.png", "image/png", "ab" * 32, 10)
    with_reference = dataclasses.replace(
        text, turns=(dataclasses.replace(text.turns[0], images=(reference,)),)
    )
    assert writes_small_files(text, resume=False)
    assert not writes_small_files(text, resume=True)
    assert not writes_small_files(
        dataclasses.replace(text, model="gemini-3-pro-image-preview"), False
    )
    assert not writes_small_files(with_reference, resume=False)
    assert not writes_small_files(dataclasses.replace(text, model="no-such-model"), False)


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(1, 50))
def test_frames_come_out_whole_however_the_bytes_are_cut(values: list[bytes], cut: int) -> None:
    stream = b"".join(encode_frame(value) for value in values)
    parser = FrameParser()
    found: list[object] = []
    for start in range(0, len(stream), cut):
        found += parser.feed(stream[start : start + cut])
    assert found == values and not parser.partial


def test_output_errors_cross_the_process_boundary_as_themselves(tmp_path: Path) -> None:
    link = PlantedLinkError(tmp_path / "x", "/elsewhere")
    busy = FolderBusyError(tmp_path / "y", 42)
    not_folder = NotAFolderError(tmp_path / "z")
    link_back, busy_back, not_folder_back = pickle.loads(pickle.dumps((link, busy, not_folder)))
    assert str(not_folder_back) == str(not_folder)
    assert (link_back.link, link_back.target, str(link_back)) == (
        link.link,
        "/elsewhere",
        str(link),
    )
    assert (busy_back.folder, busy_back.pid, str(busy_back)) == (busy.folder, 42, str(busy))


class GatedStores(OutputFolders):
    """OutputFolders whose syncs wait for the test and note what they synced."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.gate = threading.Event()
        self.batches: list[int] = []

    def sync_many(self, folders: Any) -> list[OSError | None]:
        self.gate.wait(10)
        self.batches.append(len(folders))
        return super().sync_many(folders)


class RecordedReplies:
    def __init__(self) -> None:
        self.sent: list[tuple[int, bool, object]] = []

    def send(self, call: int, ok: bool, value: object) -> None:
        self.sent.append((call, ok, value))


def test_a_durable_write_is_answered_once_synced_and_its_release_waits_for_the_sync(
    tmp_path: Path,
) -> None:
    stores = GatedStores(tmp_path / "out")
    replies = RecordedReplies()
    worker = disk_worker._Worker(stores, replies)  # type: ignore[arg-type]
    name = text_plans(tmp_path, 1)[0]
    worker.handle(2, "open", (1, name, [("manifest.json", b"{}")]))
    worker.handle(3, "write", (1, [("turn-1.txt", b"hi")], True, False))
    worker.handle(0, "close", (1,))  # a cancelled run, while its answer is being synced
    assert [call for call, _, _ in replies.sent] == [2]
    stores.gate.set()
    worker.stop()
    assert [(call, ok) for call, ok, _ in replies.sent] == [(2, True), (3, True)]
    assert stores.batches == [1]
    folder = tmp_path / "out" / "demo" / "n=0"
    assert (folder / "turn-1.txt").read_bytes() == b"hi"
    assert holder_pid_of(folder) is None  # released after its sync


def holder_pid_of(folder: Path) -> int | None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return holder_pid(fd)
    finally:
        os.close(fd)
    return None


def test_what_the_runner_sent_is_written_even_when_it_goes_without_waiting(
    tmp_path: Path,
) -> None:
    name = text_plans(tmp_path, 1)[0]
    folder = tmp_path / "out" / "demo" / "n=0"

    async def send_and_leave() -> int | None:
        process = await disk_process.DiskProcess.start(OutputFolders(tmp_path / "out"))
        process.call("open", 1, name, [("manifest.json", b"{}")])
        process.call("write", 1, [("turn-1.txt", b"paid for")], True, True)
        process._writer.close()  # as when the runner is killed: the child sees its input end
        await asyncio.get_running_loop().run_in_executor(None, process._process.wait)
        return process._process.returncode

    assert asyncio.run(send_and_leave()) == 0
    assert (folder / "turn-1.txt").read_bytes() == b"paid for"
    assert holder_pid_of(folder) is None


def test_a_batch_that_cannot_start_the_child_uses_the_threads(
    tmp_path: Path, make_response: ResponseMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(subprocess, "Popen", refused)
    client = ScriptedClient(lambda index: make_response(text="hi"))
    results = run(client, text_plans(tmp_path, 2), tmp_path / "out", disk_process=True)
    assert all(result.passed for result in results)
    assert len(folder_files(tmp_path / "out")) == 2


def test_an_image_a_text_model_sends_anyway_is_written_by_the_child(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    png = make_png()
    client = ScriptedClient(lambda index: make_response(images=[png], text="also a picture"))
    [result] = run(client, text_plans(tmp_path, 1), tmp_path / "out", disk_process=True)
    [image] = manifest(result)["turns"][0]["outputs"]["images"]
    assert (result.folder / image["file"]).read_bytes() == png
    assert image["sha256"] == hashlib.sha256(png).hexdigest()
