"""The runner's pipeline: no repeated work, no disk on the event loop, fsync where the
durability policy says (docs/running.md), and manifests that still match the files."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import ScriptedClient, manifest, plan, run, turn
from wisdomgate.artifacts import folders, safe_paths
from wisdomgate.artifacts.folders import OutputFolders, RunFolder
from wisdomgate.artifacts.group_sync import SyncGroup
from wisdomgate.artifacts.locks import holder_pid
from wisdomgate.recipe.plan import Expectations, ImageInput, PlannedRun, PlannedTurn
from wisdomgate.run import FileRef, RunName, Runner, RunnerOptions
from wisdomgate.run.wire import DataRefs, compact_request, strip_inline_data
from wisdomgate_api import Base64Data
from wisdomgate_api.models import GenerateContentRequest, GenerateContentResponse

Reply = Any


def two_turns_with_a_reference(tmp_path: Path, make_png: PngMaker) -> tuple[PlannedRun, bytes]:
    reference = tmp_path / "refs" / "cat.png"
    reference.parent.mkdir()
    data = make_png(24, 24, (5, 6, 7))
    reference.write_bytes(data)
    image = ImageInput(reference, "image/png", hashlib.sha256(data).hexdigest(), len(data))
    first = PlannedTurn(1, "draw the cat", (image,), None, Expectations(images=1))
    return plan(tmp_path, first, turn(2, "now in blue", images=1)), data


def test_no_image_is_decoded_or_hashed_twice(
    tmp_path: Path,
    make_png: PngMaker,
    make_response: ResponseMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    the_plan, reference = two_turns_with_a_reference(tmp_path, make_png)
    answers = [make_png(32, 32, (200, 0, 0)), make_png(32, 32, (0, 0, 200))]
    decoded: list[bytes] = []
    hashed: list[bytes] = []
    to_bytes, sha256 = Base64Data.to_bytes, hashlib.sha256

    def counting_decode(self: Base64Data) -> bytes:
        data = to_bytes(self)
        decoded.append(data)
        return data

    class CountingHash:
        """sha256 that records the bytes it hashed, whether given at once or in pieces."""

        def __init__(self, data: bytes = b"", **options: Any) -> None:
            self.fed, self.inner = bytearray(data), sha256(data, **options)

        def update(self, data: bytes) -> None:
            self.fed += data
            self.inner.update(data)

        def hexdigest(self) -> str:
            hashed.append(bytes(self.fed))
            return self.inner.hexdigest()

        def digest(self) -> bytes:
            hashed.append(bytes(self.fed))
            return self.inner.digest()

    def counting_hash(data: bytes = b"", **options: Any) -> Any:
        return CountingHash(data, **options)

    monkeypatch.setattr(Base64Data, "to_bytes", counting_decode)
    monkeypatch.setattr(hashlib, "sha256", counting_hash)
    client = ScriptedClient([make_response(images=[answer]) for answer in answers])
    [result] = run(client, [the_plan], tmp_path / "out")

    assert result.passed
    for answer in answers:  # decoded to write its file, hashed as it was written: once each
        assert decoded.count(answer) == 1
        assert hashed.count(answer) == 1
    assert decoded.count(reference) == 0  # its sha256 is in the plan
    # at most checked against the plan as its turn reads it (conversation.py); turn 2 sends
    # the same Content again, never re-read or re-hashed
    assert hashed.count(reference) <= 1


def test_the_manifest_form_is_the_one_decoding_gives(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    the_plan, _ = two_turns_with_a_reference(tmp_path, make_png)
    client = ScriptedClient([make_response(images=[make_png()], text="t") for _ in range(2)])
    [result] = run(client, [the_plan], tmp_path / "out")
    refs = DataRefs()  # knows files by sha256 only: it decodes and hashes every image
    for entry in manifest(result)["turns"]:
        for image in entry["outputs"]["images"]:
            refs.know(FileRef(image["file"], image["sha256"], image["bytes"]))
    reference_ref = manifest(result)["turns"][0]["request"]["contents"][0]["parts"][1]
    data = reference_ref["inlineData"]["data"]
    refs.know(FileRef(data["file"], data["sha256"], data["bytes"]))
    for number, body in enumerate(client.bodies, 1):
        decoded = compact_request(json.loads(body), range(1, number), refs)
        assert manifest(result)["turns"][number - 1]["request"] == decoded
    kept = json.loads((result.folder / "turn-1.response.json").read_text(encoding="utf-8"))
    original = make_response(images=[make_png()], text="t").to_wire()
    assert kept["response"] == strip_inline_data(original, refs)


def test_the_client_sends_exactly_the_bytes_that_were_hashed(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    the_plan, _ = two_turns_with_a_reference(tmp_path, make_png)
    client = ScriptedClient([make_response(images=[make_png()]) for _ in range(2)])
    [result] = run(client, [the_plan], tmp_path / "out")
    recorded = [entry["request_sha256"] for entry in manifest(result)["turns"]]
    assert recorded == [hashlib.sha256(body).hexdigest() for body in client.bodies]


class ThreadRecordingStores:
    """OutputFolders whose folders note the thread of every call."""

    def __init__(self, out: Path, threads: list[tuple[str, int]]) -> None:
        self._inner = OutputFolders(out)
        self._threads = threads
        self.out_dir = out

    def path_of(self, the_plan: RunName) -> Path:
        return self._inner.path_of(the_plan)

    def check(self, plans: Iterable[PlannedRun]) -> None:
        self._threads.append(("check", threading.get_ident()))
        self._inner.check(plans)

    def open(self, the_plan: RunName) -> Any:
        self._threads.append(("open", threading.get_ident()))
        return _Recording(self._inner.open(the_plan), self._threads)

    def sync_many(self, folders: Sequence[Any]) -> list[OSError | None]:
        self._threads.append(("sync_many", threading.get_ident()))
        return self._inner.sync_many([folder.inner for folder in folders])


class _Recording:
    def __init__(self, folder: RunFolder, threads: list[tuple[str, int]]) -> None:
        self._folder = self.inner = folder
        self._threads = threads
        self.path = folder.path

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._folder, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._threads.append((name, threading.get_ident()))
            return method(*args, **kwargs)

        return call


def test_the_event_loop_thread_never_touches_the_disk(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    calls: list[tuple[str, int]] = []
    the_plan, _ = two_turns_with_a_reference(tmp_path, make_png)
    plans = [the_plan, plan(tmp_path, turn(1, "text only", images=0), run_id="text")]
    client = ScriptedClient(lambda index: make_response(images=[make_png()], text="t"))
    stores = ThreadRecordingStores(tmp_path / "out", calls)
    runner = Runner(client, RunnerOptions(2, None), stores=stores)
    loop_thread: list[int] = []

    async def main() -> list[Any]:
        loop_thread.append(threading.get_ident())
        return await runner.run_all(plans)

    results = asyncio.run(main())
    assert all(result.passed for result in results)
    names = {name for name, _ in calls}
    assert {"open", "write", "sync", "close", "remove_previous_outputs"} <= names
    assert [name for name, ident in calls if ident == loop_thread[0]] == []


def syncfs_listings(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """For every syncfs call from now on, the names in the folder it was called for, and
    "(locked)" while a run holds that folder."""
    seen: list[set[str]] = []

    def recording(fd: int) -> None:
        other = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_DIRECTORY)
        try:
            locked = holder_pid(other) is not None
        finally:
            os.close(other)
        seen.append(set(os.listdir(fd)) | ({"(locked)"} if locked else set()))
        os.fsync(fd)

    monkeypatch.setattr(folders, "DURABILITY", SyncGroup(recording))
    return seen


def two_turns_recorded(
    tmp_path: Path,
    make_png: PngMaker,
    make_response: ResponseMaker,
    durable: Callable[[], set[str]],
) -> list[set[str]]:
    """Run two turns with images; the names durable() gave as each request was sent."""
    at_request: list[set[str]] = []

    def reply(index: int) -> Reply:
        at_request.append(durable())
        return make_response(images=[make_png()], text="words")

    runs = [plan(tmp_path, turn(1, "a"), turn(2, "b"))]
    [result] = run(ScriptedClient(reply), runs, tmp_path / "out")
    assert result.passed, result.record.reason
    return at_request


_TURN_ONE = {"turn-1-1.png", "turn-1.txt", "turn-1.response.json", "manifest.json"}
_TURN_TWO = {"turn-2-1.png", "turn-2.txt", "turn-2.response.json"}


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name fds")
def test_each_answer_is_fsynced_before_the_next_request_and_the_release(
    tmp_path: Path,
    make_png: PngMaker,
    make_response: ResponseMaker,
    monkeypatch: pytest.MonkeyPatch,
    fsynced: list[str],
) -> None:
    monkeypatch.setattr(folders, "DURABILITY", SyncGroup(None))  # fsyncs, as without syncfs
    at_request = two_turns_recorded(
        tmp_path, make_png, make_response, lambda: {Path(path).name for path in fsynced}
    )
    assert at_request[0] == set()  # nothing answered yet: turn 1's manifest is not fsynced
    assert _TURN_ONE | {"default"} <= at_request[1]  # turn 1, durable before turn 2 is paid for
    assert {Path(path).name for path in fsynced} >= _TURN_TWO
    folder = tmp_path / "out" / "demo" / "default"
    assert fsynced[-1] == str(folder.resolve())  # the folder last: the names are durable
    assert not [path for path in fsynced if path.endswith(".tmp")]  # no temporary file


@pytest.mark.skipif(not Path("/proc/locks").is_file(), reason="needs /proc to see the lock")
def test_each_answer_is_synced_by_syncfs_before_the_next_request_and_the_release(
    tmp_path: Path,
    make_png: PngMaker,
    make_response: ResponseMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    synced = syncfs_listings(monkeypatch)
    at_request = two_turns_recorded(tmp_path, make_png, make_response, lambda: set().union(*synced))
    assert at_request[0] == set()  # nothing answered yet: turn 1's manifest is not synced
    assert at_request[1] >= _TURN_ONE  # on the disk before turn 2 is paid for
    assert len(synced) == 2  # once a turn, not once a file
    assert synced[-1] >= _TURN_TWO
    assert "(locked)" in synced[-1]  # before the folder is let go


def test_the_manifest_matches_the_files_beside_it(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    the_plan, _ = two_turns_with_a_reference(tmp_path, make_png)
    client = ScriptedClient([make_response(images=[make_png(), make_png()], text="t")] * 2)
    [result] = run(client, [the_plan], tmp_path / "out")
    data = manifest(result)
    named = {"manifest.json"}
    for entry in data["turns"]:
        for image in entry["outputs"]["images"]:
            content = (result.folder / image["file"]).read_bytes()
            assert hashlib.sha256(content).hexdigest() == image["sha256"]
            assert len(content) == image["bytes"]
            named.add(image["file"])
        named |= {entry["outputs"]["text"], f"turn-{entry['number']}.response.json"}
    assert {path.name for path in result.folder.iterdir()} == named
    assert (result.folder / "manifest.json").read_text(encoding="utf-8").count("\n") == 1


def test_a_run_folder_it_just_made_is_not_listed_for_cleanup(
    tmp_path: Path, make_response: ResponseMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[int] = []
    real = safe_paths.list_at

    def recording(fd: int) -> list[str]:
        listed.append(fd)
        return real(fd)

    monkeypatch.setattr(folders, "list_at", recording)
    client = ScriptedClient(lambda index: make_response(text="t"))
    [first] = run(client, [plan(tmp_path, turn(1, "a", images=0))], tmp_path / "out")
    assert first.passed and listed == []  # new: nothing an earlier run left
    [again] = run(client, [plan(tmp_path, turn(1, "a", images=0))], tmp_path / "out")
    assert again.passed and listed != []  # there now: its earlier outputs are cleaned


def folder_files(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


class FirstRequestWaits(ScriptedClient):
    """ScriptedClient whose first request is out until `ready()` (or `grace` seconds), as a
    real request is out for a while: the loop goes on meanwhile."""

    def __init__(self, reply: Reply, ready: Callable[[], bool], grace: float) -> None:
        super().__init__(lambda index: reply)
        self.ready, self.grace = ready, grace

    async def generate_content(
        self, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        if not self.bodies:
            deadline = time.monotonic() + self.grace
            while not self.ready() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        return await super().generate_content(model, request)


def a_run_waiting_for_a_slot(
    tmp_path: Path, make_response: ResponseMaker, grace: float, **options: Any
) -> tuple[set[str], set[str]]:
    """Two runs, one slot: the second run folder's files before the batch and while the first
    run's request is out (once it holds a manifest, or after `grace` seconds)."""
    out = tmp_path / "out"
    waiting = out / "demo" / "second"
    waiting.mkdir(parents=True)
    (waiting / "turn-1.txt").write_text("an earlier answer")
    before = folder_files(waiting)
    during: list[set[str]] = []

    def ready() -> bool:
        during[:] = [folder_files(waiting)]
        return "manifest.json" in during[0]

    client = FirstRequestWaits(make_response(text="t"), ready, grace)
    plans = [plan(tmp_path, turn(1, "a", images=0), run_id=name) for name in ("first", "second")]
    results = run(client, plans, out, concurrency=1, **options)
    assert all(result.passed for result in results)
    return before, during[0]


def test_the_next_run_opens_its_folder_while_it_waits_for_a_slot(
    tmp_path: Path, make_response: ResponseMaker
) -> None:
    before, during = a_run_waiting_for_a_slot(tmp_path, make_response, grace=10)
    assert "turn-1.txt" in before
    assert "turn-1.txt" not in during and "manifest.json" in during  # ready to send at once


def test_with_resume_a_waiting_run_leaves_its_folder_alone(
    tmp_path: Path, make_response: ResponseMaker
) -> None:
    before, during = a_run_waiting_for_a_slot(tmp_path, make_response, grace=0.3, resume=True)
    assert during == before  # its answers are not removed before it can write them again
