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
An answer's files and its manifest are synced to the disk before the run sends its next request
or lets go of its folder (the durability policy in docs/running.md). A run starts by removing what an
earlier run wrote into its folder (after `--resume` has read the answers it can reuse), so the
folder holds exactly what the new manifest refers to.

The event loop never waits on the disk: every RunStore call runs in the runner's disk threads
(wisdomgate.run.offload) or, for a wide batch's small-file runs, in its disk process
(wisdomgate.run.disk_process), and a run's last writes and syncs happen after it has given its slot
to the next run (wisdomgate.run.slots), so `concurrency` runs keep requests in flight. Up to
`concurrency` more runs open their folders ahead while they wait for a slot (not with
--max-cost, checked before a folder is touched, nor with --resume, whose answers must not sit
only in memory while a run waits): a freed slot does not wait for a disk call.

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
from functools import partial
from pathlib import Path

from wisdomgate.errors import FolderBusyError, OutputError, ToolkitError
from wisdomgate.recipe import PlannedRun, PlannedTurn
from wisdomgate.run.cost import Budget, CostBasis, answer_cost
from wisdomgate.run.disk_process import DiskProcess, start_for
from wisdomgate.run.folder_steps import (
    close_opened,
    is_local_io,
    open_folder,
)
from wisdomgate.run.offload import DiskThreads, FolderJobs, RunJobs, in_thread
from wisdomgate.run.outcomes import budget_reached, classify_error, internal_error
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
from wisdomgate.run.ratelimit import RateLimiter
from wisdomgate.run.records import GitInfo, RunRecord, Timing, TurnRecord, git_info, git_infos
from wisdomgate.run.results import (
    DEFAULT_CONCURRENCY,
    FolderClashError,
    GenerateContentClient,
    RunnerOptions,
    RunResult,
    check_folders,
    refused_result,
    utc_now,
)
from wisdomgate.run.run_state import RunState, input_error
from wisdomgate.run.slots import RunSlot
from wisdomgate.run.store import RunStores, write_if_new
from wisdomgate_api import WisdomGateError
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

_Request = tuple[GenerateContentRequest, Content]  # a turn's request and its own content


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
        self._ahead = asyncio.Semaphore(max(1, options.concurrency))  # runs opened, waiting
        self._threads: DiskThreads | None = None
        self._process: DiskProcess | None = None  # for the runs in _small (disk_process)
        self._small: set[int] = set()
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
            self._process, self._small = await start_for(plans, self.stores, self.options)
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._run_and_report(plan)) for plan in plans]
        except BaseExceptionGroup as failed:
            # A run only raises for a local I/O failure (OSError: disk full...), which the other
            # runs would meet too: they are cancelled and the caller gets that error itself.
            raise failed.exceptions[0] from None
        finally:
            process, self._process = self._process, None
            if process is not None:
                await process.aclose()  # every call sent is done, every folder released
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
        slot = RunSlot(self._slots, self._finishing)
        try:
            budget = self.options.budget
            if budget is not None or self.options.resume:
                # --max-cost is checked before the folder is touched; --resume removes the old
                # files once it holds their answers in memory, so not while waiting for a slot
                await slot.acquire()
                if budget is not None and budget.reached:  # runs in flight finish; not this one
                    return await self._not_started(plan, budget)
            opened = await self._open_then_wait(plan, slot)
            if isinstance(opened, RunResult):
                return opened
            state, jobs, early, problem = opened
            self._notify(RunStarted(RunKey.of(plan), len(plan.turns)))
            try:
                return await self._run_open(state, jobs, slot, time.monotonic(), early, problem)
            except BaseException:
                jobs.close_now()  # after the disk call in progress; idempotent
                raise
        finally:
            slot.release()

    async def _open_then_wait(
        self, plan: PlannedRun, slot: RunSlot
    ) -> RunResult | tuple[RunState, RunJobs, _Request | None, Exception | None]:
        """Open the run's folder (and write turn 1's manifest), then wait for a slot.

        At most `concurrency` runs are opened ahead like this, so that when a slot frees, the
        next run's folder is ready and its request goes out at once (a disk call in a thread
        takes milliseconds when a wave of answers keeps the event loop busy).
        """
        async with self._ahead:
            state = await self._start(plan)
            early = state.early_request(self.options.resume)
            try:
                jobs, problem = await self._open(state, early)  # locked until the manifest is final
            except FolderBusyError as busy:
                return refused_result(plan, self.stores, busy)
            try:
                await slot.acquire()
            except BaseException:
                jobs.close_now()
                raise
        return state, jobs, early, problem

    async def _not_started(self, plan: PlannedRun, budget: Budget) -> RunResult:
        """A run not started because --max-cost was reached: nothing is sent, and its manifest
        is written only into a folder that has none (store.write_if_new)."""
        state = await self._start(plan)
        outcome = budget_reached(budget.max_usd, budget.spent)
        for turn in state.record.turns:
            turn.outcome = outcome
        state.conclude(utc_now(), 0)
        files = state.files_to_save()[0]
        await in_thread(self._pool("finish"), partial(write_if_new, self.stores, plan, files))
        return RunResult(plan, state.record, self.stores.path_of(plan))

    async def _start(self, plan: PlannedRun) -> RunState:
        relative = self.stores.path_of(plan).relative_to(self.stores.out_dir).as_posix()
        turns = [TurnRecord(t.number) for t in plan.turns]
        record = RunRecord(plan, relative, turns, utc_now(), git=await self._git_info(plan))
        return RunState(plan, record, self.options.redactor)

    async def _open(
        self, state: RunState, early: _Request | None
    ) -> tuple[RunJobs, Exception | None]:
        """Open, lock and clean the folder in one disk call (and write the manifest of turn 1's
        request when it could be built before: early)."""
        manifest = state.files_to_save()[0] if early is not None else None
        process, threads = self._process, self._threads
        small = id(state.plan) in self._small
        if process is not None and threads is not None and small and process.ready:
            path = self.stores.path_of(state.plan)
            return await process.open(state.plan, path, manifest, threads)
        call = partial(open_folder, self.stores, state.plan, self.options.resume, manifest)
        opening = asyncio.ensure_future(in_thread(self._pool("quick"), call))
        try:
            folder, prepared = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # the thread goes on: release the folder it opens, once it has
            opening.add_done_callback(close_opened)
            raise
        if isinstance(prepared, Exception):
            return FolderJobs(folder, self._threads), prepared
        state.paid, state.lost, state.references = prepared
        return FolderJobs(folder, self._threads), None

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
        jobs: RunJobs,
        slot: RunSlot,
        started: float,
        early: _Request | None,
        problem: Exception | None,
    ) -> RunResult:
        try:
            if problem is not None:
                raise problem  # met while the folder was prepared
            await self._turns(state, jobs, early, slot)
        except Exception as exc:
            if is_local_io(exc) or isinstance(exc, OutputError):
                raise  # see the module docstring: every other run would meet it too
            # a bug: recorded in this run's manifest, and the other runs go on
            state.current.outcome = internal_error(exc, self.options.redactor)
        state.conclude(utc_now(), _ms(time.monotonic() - started))
        # Its requests are over: the run's last writes and syncs do not hold a slot.
        await slot.hand_over()
        try:
            await jobs.finish(*state.files_to_save())
        finally:
            slot.release()
        return RunResult(state.plan, state.record, jobs.path)

    async def _turns(
        self, state: RunState, jobs: RunJobs, early: _Request | None, slot: RunSlot
    ) -> None:
        last = state.plan.turns[-1] if state.plan.turns else None
        for turn, turn_record in zip(state.plan.turns, state.record.turns, strict=True):
            state.current = turn_record
            await self._turn(state, jobs, turn, turn_record, early, slot if turn is last else None)
            early = None
            if turn_record.outcome is None or not turn_record.outcome.passed:
                return

    async def _turn(
        self,
        state: RunState,
        jobs: RunJobs,
        turn: PlannedTurn,
        record: TurnRecord,
        early: _Request | None,
        last: RunSlot | None,
    ) -> None:
        """One turn; early: its request, built (and its manifest written) before the folder
        was opened; last: the run's slot when this is its last turn (handed over once the
        answer is in, before it is judged and written, so that the next run sends sooner)."""
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
            if last is not None and self.options.budget is None:  # --max-cost: priced first
                await last.hand_over()
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
        jobs: RunJobs,
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
        refs = await jobs.write(files) if files else []
        state.answered(turn, record, answer, user, refs)

    async def _save(self, state: RunState, jobs: RunJobs) -> None:
        """Write the manifest, with the last answer's files first (durable when there are)."""
        await jobs.write(*state.files_to_save())
