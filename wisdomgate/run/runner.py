"""Run planned recipes against the API: runs concurrently, turns in order, results on disk.

Runs (recipes and matrix cells) share one client, a concurrency limit and a per-model rate
limit. Within a run the turns go one after another, each sent with the full history. A run stops
at the first turn that fails (an API error, a refused or unfinished answer, or a failed
expectation): later turns would cost money for a run that has already failed, and most of them
build on the answer that went wrong. They are reported as not run.

Before each request the manifest is written with the sha256 of the exact body about to be sent;
as soon as an answer arrives its images, text and whole response are written, atomically, so a
run that is killed keeps everything it paid for. The manifest is rewritten only then: before a
request, and after the answer that ends the run (the next request's manifest records the others).
An answer's files and its manifest are fsynced before the run sends its next request or lets go
of its folder (the durability policy in docs/running.md). A run starts by removing what an
earlier run wrote into its folder (after `--resume` has read the answers it can reuse), so the
folder holds exactly what the new manifest refers to.

The event loop never waits on the disk: every RunStore call runs in the runner's disk threads
(wisdomgate.run.offload), and a run's last writes and fsyncs happen after it has given its slot
to the next run, so `concurrency` runs keep requests in flight.

Runs are isolated: an unexpected exception in one (a bug) fails that run as `internal_error`,
with its manifest finished, and the others go on. A local OSError is different: it is the disk
(full, read-only, a file where a folder should be), which every other run would hit as well, so
it stops them all and reaches the caller as itself.

The runner writes through a RunStores (wisdomgate.run.store; the CLI gives it
wisdomgate.artifacts.folders.OutputFolders). Each run holds its folder, locked, from before it
reads the folder until its manifest is final; a run whose folder another process holds is refused
(`folder_busy`) without touching it. An OutputError (a symbolic link planted below --out) is
raised like a local OSError.

Each answer is priced from its usageMetadata (wisdomgate.run.cost) as soon as it is recorded.
With a Budget (--max-cost), a run starts only while the money spent is below the limit: runs
in flight finish, the others are `budget` (not run, nothing sent, folder untouched).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO, Protocol

from wisdomgate.errors import FolderBusyError, OutputError, ToolkitError, UsageError
from wisdomgate.recipe import PlannedRun, PlannedTurn
from wisdomgate.run.cost import Budget, CostBasis, answer_cost
from wisdomgate.run.offload import DiskThreads, FolderJobs, in_thread
from wisdomgate.run.outcomes import (
    OutcomeKind,
    budget_reached,
    classify_error,
    folder_busy,
    internal_error,
)
from wisdomgate.run.prices import PriceTable, builtin_prices
from wisdomgate.run.progress import (
    BatchStarted,
    ProgressEvent,
    ProgressObserver,
    RunKey,
    RunStarted,
    TurnSent,
    notify,
    run_finished,
    sending,
    turn_answered,
)
from wisdomgate.run.ratelimit import DEFAULT_REQUESTS_PER_MINUTE, RateLimiter
from wisdomgate.run.records import GitInfo, RunRecord, Timing, TurnRecord, git_info, git_infos
from wisdomgate.run.references import reference_names
from wisdomgate.run.resume import PaidAnswer, load_lost_answers, load_paid_answers
from wisdomgate.run.run_state import Files, RunState, input_error
from wisdomgate.run.store import FileRef, RunStore, RunStores, write_if_new
from wisdomgate_api import Redactor, WisdomGateError
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
    prices: PriceTable = field(default_factory=builtin_prices)  # what each answer cost
    budget: Budget | None = None  # --max-cost: no run starts once it is reached
    replayed: bool = False  # answers come from a cassette (--replay): nothing is paid now


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
            self.folder / image.file.file
            for turn in self.record.turns
            for image in turn.images
            if not image.thought
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
        observer: ProgressObserver | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.stores = stores
        self.limiter = RateLimiter(options.requests_per_minute)
        self.on_result = on_result
        self.observer = observer  # progress events (wisdomgate.run.progress)
        self._slots = asyncio.Semaphore(max(1, options.concurrency))
        # runs past their last request, still writing: bounded, so a slow disk holds runs back
        self._finishing = asyncio.Semaphore(max(1, options.concurrency))
        self._threads: DiskThreads | None = None
        self._git: dict[Path, GitInfo] = {}

    async def run_all(self, plans: Sequence[PlannedRun]) -> list[RunResult]:
        """Run every plan (up to `concurrency` at a time); results in the plans' order."""
        check_folders(plans, self.stores)
        threads = self._threads = DiskThreads(self.options.concurrency)
        self._notify(BatchStarted(len(plans), max(1, self.options.concurrency)))
        try:
            await in_thread(threads.quick, partial(self.stores.check, plans))  # a planted link
            paths = [plan.recipe_path for plan in plans]
            self._git = await in_thread(threads.quick, partial(git_infos, paths))
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._run_and_report(plan)) for plan in plans]
        except BaseExceptionGroup as failed:
            # A run only raises for a local I/O failure (OSError: disk full...), which the other
            # runs would meet too: they are cancelled and the caller gets that error itself.
            raise failed.exceptions[0] from None
        finally:
            self._threads = None
            threads.close()
        return [task.result() for task in tasks]

    async def _run_and_report(self, plan: PlannedRun) -> RunResult:
        result = await self.run(plan)
        self._notify(run_finished(plan, result.record, len(result.images)))
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _notify(self, event: ProgressEvent) -> None:
        self.observer = notify(self.observer, event)

    async def run(self, plan: PlannedRun) -> RunResult:
        """Run one plan's turns in order, stopping at the first that fails.

        An unexpected exception fails this run only (`internal_error`); an OSError or an
        OutputError (a link planted in --out) is raised. A run whose folder another process
        holds is refused (`folder_busy`), its folder untouched.
        """
        slot = _Slot(self._slots)
        await slot.acquire()
        try:
            budget = self.options.budget
            if budget is not None and budget.reached:  # runs in flight finish; this one waits
                return await self._not_started(plan, budget)
            self._notify(RunStarted(RunKey.of(plan), len(plan.turns)))
            started = time.monotonic()
            state = await self._start(plan)
            early = _early_request(state, self.options.resume)
            try:
                jobs, problem = await self._open(state, early)  # locked until the manifest is final
            except FolderBusyError as busy:
                return _refused(plan, self.stores, busy)
            try:
                return await self._run_open(state, jobs, slot, started, early, problem)
            except BaseException:
                jobs.close_now()  # after the disk call in progress; idempotent
                raise
        finally:
            slot.release()

    async def _not_started(self, plan: PlannedRun, budget: Budget) -> RunResult:
        """A run not started because --max-cost was reached: nothing is sent, and its manifest
        is written only into a folder that has none (store.write_if_new)."""
        state = await self._start(plan)
        outcome = budget_reached(budget.max_usd, budget.spent)
        for turn in state.record.turns:
            turn.outcome = outcome
        state.conclude(_now(), 0)
        files = state.files_to_save()[0]
        await in_thread(self._pool("finish"), partial(write_if_new, self.stores, plan, files))
        return RunResult(plan, state.record, self.stores.path_of(plan))

    async def _start(self, plan: PlannedRun) -> RunState:
        relative = self.stores.path_of(plan).relative_to(self.stores.out_dir).as_posix()
        turns = [TurnRecord(t.number) for t in plan.turns]
        record = RunRecord(plan, relative, turns, _now(), git=await self._git_info(plan))
        return RunState(plan, record, self.options.redactor)

    async def _open(
        self, state: RunState, early: _Request | None
    ) -> tuple[FolderJobs, Exception | None]:
        """Open, lock and clean the folder in one disk call (and write the manifest of turn 1's
        request when it could be built before: early)."""
        manifest = state.files_to_save()[0] if early is not None else None
        call = partial(_open_folder, self.stores, state.plan, self.options.resume, manifest)
        opening = asyncio.ensure_future(in_thread(self._pool("quick"), call))
        try:
            folder, prepared = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # the thread goes on: release the folder it opens, once it has
            opening.add_done_callback(_close_opened)
            raise
        if isinstance(prepared, Exception):
            return FolderJobs(folder), prepared
        state.paid, state.lost, state.references = prepared
        return FolderJobs(folder), None

    def _pool(self, kind: str) -> Executor | None:
        threads = self._threads
        if threads is None:
            return None  # run() called outside run_all: the loop's default pool
        return threads.quick if kind == "quick" else threads.finish

    async def _git_info(self, plan: PlannedRun) -> GitInfo:
        found = self._git.get(plan.recipe_path)
        if found is None:  # run() called outside run_all
            found = await in_thread(self._pool("quick"), partial(git_info, plan.recipe_path))
            self._git[plan.recipe_path] = found
        return found

    async def _run_open(
        self,
        state: RunState,
        jobs: FolderJobs,
        slot: _Slot,
        started: float,
        early: _Request | None,
        problem: Exception | None,
    ) -> RunResult:
        try:
            if problem is not None:
                raise problem  # met while the folder was prepared
            await self._turns(state, jobs, early)
        except Exception as exc:
            if _is_local_io(exc) or isinstance(exc, OutputError):
                raise  # see the module docstring: every other run would meet it too
            # a bug: recorded in this run's manifest, and the other runs go on
            state.current.outcome = internal_error(exc, self.options.redactor)
        state.conclude(_now(), _ms(time.monotonic() - started))
        # Its requests are over: the run's last writes and fsyncs do not hold a slot.
        await self._finishing.acquire()
        slot.release()
        try:
            files, durable = state.files_to_save()
            folder = jobs.folder
            await jobs.run(self._pool("finish"), _write_and_close, folder, files, durable)
        finally:
            self._finishing.release()
        return RunResult(state.plan, state.record, jobs.folder.path)

    async def _turns(self, state: RunState, jobs: FolderJobs, early: _Request | None) -> None:
        for turn, turn_record in zip(state.plan.turns, state.record.turns, strict=True):
            state.current = turn_record
            await self._turn(state, jobs, turn, turn_record, early)
            early = None
            if turn_record.outcome is None or not turn_record.outcome.passed:
                return

    async def _turn(
        self,
        state: RunState,
        jobs: FolderJobs,
        turn: PlannedTurn,
        record: TurnRecord,
        early: _Request | None,
    ) -> None:
        """One turn; early: its request, built (and its manifest written) before the folder
        was opened."""
        if early is not None:
            request, user = early
        else:
            try:
                request, user = await self._prepare(state, turn, record)
            except (OSError, ToolkitError) as exc:
                record.outcome = input_error(exc)
                return
            paid = state.paid.get(turn.number)
            if paid is not None and paid.request_sha256 == record.request_sha256:
                record.reused = True  # answered by an earlier, interrupted run: not paid twice
                response = GenerateContentResponse.model_validate(paid.response)
                await self._answered(state, jobs, turn, record, response, user)
                self._price(state, record, "reused")
                self._notify(turn_answered(state.plan, record, reused=True))
                return
            # sent again on purpose: the earlier answer to this request was lost (maybe billed)
            record.resent_lost_answer = state.lost.get(turn.number) == record.request_sha256
            await self._save(state, jobs)  # the request's hash is on disk before it is paid for
        waited = await self.limiter.acquire(state.plan.model)
        started = time.monotonic()
        key = RunKey.of(state.plan)
        self._notify(TurnSent(key, turn.number))
        try:
            with sending(key, turn.number) as marker:  # the client's retries are this turn's
                try:
                    response = await self.client.generate_content(state.plan.model, request)
                finally:
                    record.retries = marker.retries
        except WisdomGateError as exc:
            record.outcome = classify_error(exc)
        else:
            record.timing = Timing(_ms(time.monotonic() - started), _ms(waited))
            await self._answered(state, jobs, turn, record, response, user)
            self._price(state, record, "replayed" if self.options.replayed else "usage")
            self._notify(turn_answered(state.plan, record, reused=False))
            return
        record.timing = Timing(_ms(time.monotonic() - started), _ms(waited))

    def _price(self, state: RunState, record: TurnRecord, basis: CostBasis) -> None:
        """Price the answer's usageMetadata (an unpriced model: no cost) and spend it."""
        record.cost = answer_cost(record.response, state.plan.model, self.options.prices, basis)
        if record.cost is not None and record.cost.charged and self.options.budget is not None:
            self.options.budget.spend(record.cost.usd)

    async def _prepare(self, state: RunState, turn: PlannedTurn, record: TurnRecord) -> _Request:
        if turn.images or turn.number > 1:  # reads reference images or spooled answers: disk
            return await in_thread(self._pool("quick"), partial(state.prepare, turn, record))
        return state.prepare(turn, record)

    async def _answered(
        self,
        state: RunState,
        jobs: FolderJobs,
        turn: PlannedTurn,
        record: TurnRecord,
        response: GenerateContentResponse,
        user: Content,
    ) -> None:
        """Write the answer's images (hashed as they are written), then judge and record it."""
        answer = state.decode(record, response)
        if answer is None:
            return
        files = state.image_files(turn.number, answer)
        refs = (
            await jobs.run(self._pool("quick"), _write_files, jobs.folder, files) if files else []
        )
        state.answered(turn, record, answer, user, refs)

    async def _save(self, state: RunState, jobs: FolderJobs) -> None:
        """Write the manifest, with the last answer's files first (durable when there are)."""
        files, durable = state.files_to_save()
        await jobs.run(self._pool("quick"), _write_files, jobs.folder, files, durable)


class _Slot:
    """A run's hold on one of the runner's slots, released once (early or at the end)."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = False

    async def acquire(self) -> None:
        await self._slots.acquire()
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()


# What the disk threads do for a run (wisdomgate.run.offload), one call at a time per folder.


_Request = tuple[GenerateContentRequest, Content]
_Prepared = tuple[dict[int, PaidAnswer], dict[int, str], dict[Path, str]]


def _early_request(state: RunState, resume: bool) -> _Request | None:
    """Turn 1's request when it needs nothing from the folder (no --resume, no reference
    images): built before the folder is opened, its manifest written in the same disk call."""
    turns = state.plan.turns
    if resume or not turns or turns[0].images:
        return None
    try:
        return state.prepare(turns[0], state.record.turns[0])
    except Exception:
        return None  # built again in its turn, where the failure is recorded


def _open_folder(
    stores: RunStores, plan: PlannedRun, resume: bool, files: Files | None
) -> tuple[RunStore, _Prepared | Exception]:
    folder = stores.open(plan)
    try:
        prepared = _prepare_folder(folder, plan, resume)
        if files is not None:
            _write_files(folder, files)
    except Exception as exc:
        if _is_local_io(exc) or isinstance(exc, OutputError):
            folder.close()
            raise
        return folder, exc  # a bug: this run records it as its internal error
    except BaseException:
        folder.close()
        raise
    return folder, prepared


def _prepare_folder(folder: RunStore, plan: PlannedRun, resume: bool) -> _Prepared:
    folder.remove_partial_files()
    paid: dict[int, PaidAnswer] = {}
    lost: dict[int, str] = {}
    if resume:  # read before the old files go
        paid = load_paid_answers(folder, [turn.number for turn in plan.turns])
        lost = load_lost_answers(folder)
    folder.remove_previous_outputs()  # reused answers are written again by their turn
    return paid, lost, reference_names(folder, plan)  # fitted references copied in


def _write_files(folder: RunStore, files: Files, durable: bool = False) -> list[FileRef]:
    refs = [_write_one(folder, name, data) for name, data in files]
    if durable:
        folder.sync()
    return refs


def _write_one(folder: RunStore, name: str, data: bytes | Callable[[], BinaryIO]) -> FileRef:
    if isinstance(data, bytes):
        return folder.write(name, data)
    with data() as source:  # from where the client put it: no copy in memory
        return folder.write_stream(name, source)


def _write_and_close(folder: RunStore, files: Files, durable: bool) -> None:
    try:
        _write_files(folder, files, durable)
    finally:
        folder.close()


def _close_opened(opening: asyncio.Future[tuple[RunStore, _Prepared | Exception]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result()[0].close()


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
