"""Run planned recipes against the API: runs concurrently, turns in order, results on disk.

Runs (recipes and matrix cells) share one client, a concurrency limit and a per-model rate
limit. Within a run the turns go one after another, each sent with the full history. A run stops
at the first turn that fails (an API error, a refused or unfinished answer, or a failed
expectation): later turns would cost money for a run that has already failed, and most of them
build on the answer that went wrong. They are reported as not run.

After every turn the images and text are written and the manifest is rewritten, atomically, so a
run that is killed keeps everything it paid for, each turn with the sha256 of the exact request
body it sent. A run starts by removing what an earlier run wrote into its folder (after `--resume`
has read the answers it can reuse), so the folder holds exactly what the new manifest refers to.

Runs are isolated: an unexpected exception in one (a bug) fails that run as `internal_error`,
with its manifest finished, and the others go on. A local OSError is different: it is the disk
(full, read-only, a file where a folder should be), which every other run would hit as well, so
it stops them all and reaches the caller as itself.

The runner writes through a RunStores (wisdomgate.run.store; the CLI gives it
wisdomgate.artifacts.folders.OutputFolders). Each run holds its folder, locked, from before it
reads the folder until its manifest is final; a run whose folder another process holds is refused
(`folder_busy`) without touching it. An OutputError (a symbolic link planted below --out) is
raised like a local OSError.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from wisdomgate.catalog import load_catalog
from wisdomgate.errors import FolderBusyError, OutputError, ToolkitError, UsageError
from wisdomgate.recipe import PlannedRun, PlannedTurn
from wisdomgate.run.answer import Answer
from wisdomgate.run.conversation import Conversation
from wisdomgate.run.expectations import check_expectations
from wisdomgate.run.outcomes import (
    OutcomeKind,
    TurnOutcome,
    classify_answer,
    classify_error,
    folder_busy,
    internal_error,
    not_run,
    undecodable_images,
)
from wisdomgate.run.ratelimit import DEFAULT_REQUESTS_PER_MINUTE, RateLimiter
from wisdomgate.run.records import RunRecord, TurnRecord
from wisdomgate.run.resume import PaidAnswer, load_lost_answers, load_paid_answers
from wisdomgate.run.store import (
    MANIFEST_NAME,
    FileRef,
    RunStore,
    RunStores,
    image_file_name,
    response_file_name,
    text_file_name,
)
from wisdomgate.run.wire import compact_request, response_metadata, strip_inline_data
from wisdomgate_api import Redactor, WisdomGateError
from wisdomgate_api._core.encoding import RequestBody
from wisdomgate_api.models import Content, GenerateContentRequest, GenerateContentResponse

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FolderClashError",
    "GenerateContentClient",
    "RunResult",
    "Runner",
    "RunnerOptions",
    "check_folders",
]

DEFAULT_CONCURRENCY = 4


class GenerateContentClient(Protocol):
    """What the runner needs of a client (wisdomgate_api.AsyncClient has it)."""

    async def generate_content(
        self, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        """Send one request and return the parsed answer."""
        ...


class FolderClashError(UsageError):
    """Two runs would write into the same output folder."""


@dataclass(frozen=True)
class RunnerOptions:
    """How to run: how many runs at once, how fast per model, what to mask, whether to resume."""

    concurrency: int = DEFAULT_CONCURRENCY
    requests_per_minute: float | None = DEFAULT_REQUESTS_PER_MINUTE  # None: no limit
    redactor: Redactor = field(default_factory=Redactor)
    resume: bool = False  # reuse answers already in the run folders for unchanged requests


@dataclass(frozen=True)
class RunResult:
    """A finished run: its plan, manifest record and output folder."""

    plan: PlannedRun
    record: RunRecord
    folder: Path

    @property
    def passed(self) -> bool:
        """True when every turn passed."""
        return self.record.status == "passed"

    @property
    def images(self) -> list[Path]:
        """The answer images written, in turn order."""
        return [
            self.folder / image["file"]
            for turn in self.record.turns
            for image in turn.images
            if not image["thought"]
        ]

    @property
    def refused(self) -> bool:
        """True when the run never started: another process was writing its folder."""
        return any(
            turn.outcome is not None and turn.outcome.kind is OutcomeKind.FOLDER_BUSY
            for turn in self.record.turns
        )


def check_folders(plans: Sequence[PlannedRun], stores: RunStores) -> None:
    """FolderClashError when two runs map to one folder (e.g. two recipes with the same name)."""
    seen: dict[Path, PlannedRun] = {}
    for plan in plans:
        folder = stores.path_of(plan)
        other = seen.setdefault(folder, plan)
        if other is not plan:
            raise FolderClashError(
                f"{plan.recipe_path} ({plan.run_id}) and {other.recipe_path} ({other.run_id})"
                f" would both write to {folder}; give the recipes different names"
            )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class Runner:
    """Runs plans with one client; `run_all` is the entry point."""

    def __init__(
        self,
        client: GenerateContentClient,
        options: RunnerOptions,
        *,
        stores: RunStores,
        on_result: Callable[[RunResult], None] | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.stores = stores
        self.limiter = RateLimiter(options.requests_per_minute)
        self.on_result = on_result
        self._slots = asyncio.Semaphore(max(1, options.concurrency))

    async def run_all(self, plans: Sequence[PlannedRun]) -> list[RunResult]:
        """Run every plan (up to `concurrency` at a time); results in the plans' order."""
        check_folders(plans, self.stores)
        self.stores.check(plans)  # a planted link: nothing is sent
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._run_in_slot(plan)) for plan in plans]
        except BaseExceptionGroup as failed:
            # A run only raises for a local I/O failure (OSError: disk full...), which the other
            # runs would meet too: they are cancelled and the caller gets that error itself.
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _run_in_slot(self, plan: PlannedRun) -> RunResult:
        async with self._slots:
            result = await self.run(plan)
        if self.on_result is not None:
            self.on_result(result)
        return result

    async def run(self, plan: PlannedRun) -> RunResult:
        """Run one plan's turns in order, stopping at the first that fails.

        An unexpected exception fails this run only (`internal_error`); an OSError or an
        OutputError (a link planted in --out) is raised. A run whose folder another process
        holds is refused (`folder_busy`), its folder untouched.
        """
        try:
            folder = self.stores.open(plan)  # locked until the manifest is final
        except FolderBusyError as busy:
            return _refused(plan, self.stores, busy)
        try:
            return await self._run_open(plan, folder)
        finally:
            folder.close()

    async def _run_open(self, plan: PlannedRun, folder: RunStore) -> RunResult:
        relative = folder.path.relative_to(self.stores.out_dir).as_posix()
        record = RunRecord(plan, relative, [TurnRecord(t.number) for t in plan.turns], _now())
        state = _RunState(plan, folder, record, self.options.redactor)
        started = time.monotonic()
        try:
            await self._turns(state)
        except Exception as exc:
            if _is_local_io(exc) or isinstance(exc, OutputError):
                raise  # see the module docstring: every other run would meet it too
            # a bug: recorded in this run's manifest, and the other runs go on
            state.current.outcome = internal_error(exc, self.options.redactor)
        state.finish(_ms(time.monotonic() - started))
        return RunResult(plan, record, folder.path)

    async def _turns(self, state: _RunState) -> None:
        folder = state.folder
        folder.remove_partial_files()
        if self.options.resume:
            state.paid = load_paid_answers(folder)  # read before the old files go
            state.lost = load_lost_answers(folder)
        folder.remove_previous_outputs()  # reused answers are written again by _turn
        for turn, turn_record in zip(state.plan.turns, state.record.turns, strict=True):
            state.current = turn_record
            await self._turn(state, turn, turn_record)
            if turn_record.outcome is None or not turn_record.outcome.passed:
                return

    async def _turn(self, state: _RunState, turn: PlannedTurn, record: TurnRecord) -> None:
        try:
            request, user = state.conversation.request_for(turn)
        except (OSError, ToolkitError) as exc:
            record.outcome = TurnOutcome(
                OutcomeKind.INPUT_ERROR, False, f"cannot build request: {exc}"
            )
            return
        body = RequestBody.of(request)  # reference images stream from their files
        # a pass over the exact body, never held whole, off the event loop
        record.request_sha256 = await asyncio.to_thread(body.sha256)
        record.request_bytes = body.content_length
        wire = strip_inline_data(request.to_wire(), state.refs_with_inputs(turn))
        # The history holds turns 1..N-1's answers in order: a run stops at its first failure.
        record.request = compact_request(wire, range(1, turn.number))
        state.save()  # the request is on disk (with its hash) before it is paid for
        paid = state.paid.get(turn.number)
        if paid is not None and paid.request_sha256 == record.request_sha256:
            record.reused = True  # answered by an earlier, interrupted run: not paid twice
            response = GenerateContentResponse.model_validate(paid.response)
            state.answered(turn, record, response, user)
            state.save()
            return
        # sent again on purpose: the earlier answer to this very request was lost (maybe billed)
        record.resent_lost_answer = state.lost.get(turn.number) == record.request_sha256
        waited = await self.limiter.acquire(state.plan.model)
        started = time.monotonic()
        try:
            response = await self.client.generate_content(state.plan.model, request)
        except WisdomGateError as exc:
            record.outcome = classify_error(exc)
        else:
            state.answered(turn, record, response, user)
        record.timing_ms = {
            "request": _ms(time.monotonic() - started),
            "rate_limit_wait": _ms(waited),
        }
        state.save()


class _RunState:
    """One run's mutable state: conversation, file references, manifest record."""

    def __init__(
        self, plan: PlannedRun, folder: RunStore, record: RunRecord, redactor: Redactor
    ) -> None:
        self.plan = plan
        self.folder = folder
        self.record = record
        self.redactor = redactor
        self.conversation = Conversation(plan)
        self.refs: dict[str, FileRef] = {}  # sha256 of image bytes -> the file holding them
        self.paid: dict[int, PaidAnswer] = {}  # answers of an earlier run, for --resume
        self.lost: dict[int, str] = {}  # turn -> request sha256 whose answer an earlier run lost
        self.current = record.turns[0]  # the turn in progress (blamed for an internal error)
        model = load_catalog().get(plan.model)
        self._dimensions = model.dimensions if model else {}

    def refs_with_inputs(self, turn: PlannedTurn) -> dict[str, FileRef]:
        """The known files plus this turn's reference images (relative to the run folder)."""
        for image in turn.images:
            ref = FileRef(self.folder.reference(image.path), image.sha256, image.size_bytes)
            self.refs.setdefault(image.sha256, ref)
        return self.refs

    def known_sizes(self, ratio: str) -> Collection[tuple[int, int]]:
        """The model's documented pixel sizes for an aspect ratio (catalog)."""
        return list(self._dimensions.get(ratio, {}).values())

    def answered(
        self,
        turn: PlannedTurn,
        record: TurnRecord,
        response: GenerateContentResponse,
        user: Content,
    ) -> None:
        """Write the answer's files, judge it, and extend the history when it passed."""
        try:
            answer = Answer.from_response(response)
        except ValueError as exc:  # image data that is not base64
            record.outcome = classify_error(exc)
            return
        self._write_outputs(turn.number, answer, record)
        self._keep_response(turn.number, record, response)
        record.response = response_metadata(response, self.refs)
        if answer.undecodable:  # paid for and kept on disk, but no image to judge or to send on
            record.outcome = undecodable_images(answer)
            return
        record.expectations = check_expectations(turn.expect, answer, known_sizes=self.known_sizes)
        record.outcome = classify_answer(
            answer,
            record.expectations,
            image_expected=_image_expected(turn),
            expected_finish=turn.expect.finish_reason,
        )
        if record.outcome.passed and answer.content is not None:
            self.conversation.record(user, answer.content)

    def _write_outputs(self, number: int, answer: Answer, record: TurnRecord) -> None:
        final = thought = 0
        for image in answer.images:
            if image.thought:
                thought += 1
                name = image_file_name(number, thought, image.mime_type, thought=True)
            else:
                final += 1
                name = image_file_name(number, final, image.mime_type)
            with image.open() as source:  # from where the client put it: no copy in memory
                ref = self.folder.write_stream(name, source)
            self.refs.setdefault(ref.sha256, ref)
            entry = {**ref.to_json(), "mimeType": image.mime_type, "thought": image.thought}
            record.images.append({**entry, "width": image.width, "height": image.height})
        if answer.text:
            text = self.redactor(answer.text).encode("utf-8")
            record.text_file = self.folder.write(text_file_name(number), text).file

    def _keep_response(
        self, number: int, record: TurnRecord, response: GenerateContentResponse
    ) -> None:
        """turn-<N>.response.json: the whole answer (images as file references), for --resume."""
        stored = {
            "request_sha256": record.request_sha256,
            "response": strip_inline_data(response.to_wire(), self.refs),
        }
        text = json.dumps(stored, indent=2, ensure_ascii=False) + "\n"
        self.folder.write(response_file_name(number), self.redactor(text).encode("utf-8"))

    def finish(self, duration_ms: int) -> None:
        """Mark the turns after the first failure as not run, conclude, save the manifest."""
        record = self.record
        failed = next((t for t in record.turns if t.outcome is None or not t.outcome.passed), None)
        if failed is not None:
            for later in record.turns[failed.number :]:
                later.outcome = later.outcome or not_run(failed.number)
            reason = failed.outcome.reason if failed.outcome else "failed"
            record.reason = f"turn {failed.number}: {reason}"
        record.status = "failed" if failed is not None else "passed"
        record.finished_at = _now()
        record.duration_ms = duration_ms
        self.save()

    def save(self) -> None:
        """Rewrite manifest.json atomically."""
        text = json.dumps(self.record.to_json(), indent=2, ensure_ascii=False) + "\n"
        self.folder.write(MANIFEST_NAME, self.redactor(text).encode("utf-8"))


def _refused(plan: PlannedRun, stores: RunStores, busy: FolderBusyError) -> RunResult:
    """The result of a run refused because its folder is busy: nothing was sent or written."""
    path = stores.path_of(plan)
    relative = path.relative_to(stores.out_dir).as_posix()
    turns = [TurnRecord(t.number, outcome=folder_busy(str(busy))) for t in plan.turns]
    record = RunRecord(plan, relative, turns, _now(), status="failed", reason=str(busy))
    record.finished_at, record.duration_ms = record.started_at, 0
    return RunResult(plan, record, path)


def _is_local_io(error: Exception) -> bool:
    """An OSError of this machine (disk full, read-only, no such folder), not of the network
    (ConnectionError and TimeoutError are OSErrors too, but concern one request only)."""
    return isinstance(error, OSError) and not isinstance(error, ConnectionError | TimeoutError)


def _image_expected(turn: PlannedTurn) -> bool:
    """An image is expected when `expect: images` asks for one, or (when that is not set) when
    the config asks for the IMAGE modality: `images: 0` accepts a text-only answer."""
    if turn.expect.images is not None:
        return turn.expect.images > 0
    config = turn.generation_config
    modalities = config.response_modalities if config else None
    return any(str(modality) == "IMAGE" for modality in modalities or [])
