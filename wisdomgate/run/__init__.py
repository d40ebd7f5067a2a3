"""Running planned recipes: conversations, answers, expectations, outcomes, resume, dry runs.

The runner writes through the RunStores protocol (store.py), which wisdomgate.artifacts
implements: this stage never imports the artifacts stage. What the other stages may use is
exported here.
"""

from wisdomgate.run.cost import Budget, Cost, total_usd
from wisdomgate.run.dryrun import DryRunRequest, DryRunResult, dry_run
from wisdomgate.run.estimate import Estimate, Range, estimate_run, estimate_runs
from wisdomgate.run.expectations import ExpectationResult
from wisdomgate.run.outcomes import NOT_RECORDED_CAUSE, OutcomeKind, TurnOutcome
from wisdomgate.run.prices import PriceError, PriceTable, load_prices
from wisdomgate.run.progress import (
    BatchStarted,
    ProgressEvent,
    ProgressObserver,
    RetryScheduled,
    RunFinished,
    RunKey,
    RunStarted,
    TurnAnswered,
    TurnSent,
    observed_retries,
)
from wisdomgate.run.ratelimit import DEFAULT_REQUESTS_PER_MINUTE
from wisdomgate.run.records import ImageRecord, RunRecord, Timing, TurnRecord
from wisdomgate.run.results import DEFAULT_CONCURRENCY, RunnerOptions, RunResult
from wisdomgate.run.runner import Runner
from wisdomgate.run.shard import Shard
from wisdomgate.run.store import (
    IMAGE_NAMES,
    MANIFEST_NAME,
    REFERENCE_NAMES,
    FileRef,
    RunName,
    RunStore,
    RunStores,
    image_extension,
)
from wisdomgate.run.transport import KeepAliveTransport
from wisdomgate.run.wire import iter_objects, map_objects

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "IMAGE_NAMES",
    "MANIFEST_NAME",
    "NOT_RECORDED_CAUSE",
    "REFERENCE_NAMES",
    "BatchStarted",
    "Budget",
    "Cost",
    "DryRunRequest",
    "DryRunResult",
    "Estimate",
    "ExpectationResult",
    "FileRef",
    "ImageRecord",
    "KeepAliveTransport",
    "OutcomeKind",
    "PriceError",
    "PriceTable",
    "ProgressEvent",
    "ProgressObserver",
    "Range",
    "RetryScheduled",
    "RunFinished",
    "RunKey",
    "RunName",
    "RunRecord",
    "RunResult",
    "RunStarted",
    "RunStore",
    "RunStores",
    "Runner",
    "RunnerOptions",
    "Shard",
    "Timing",
    "TurnAnswered",
    "TurnOutcome",
    "TurnRecord",
    "TurnSent",
    "dry_run",
    "estimate_run",
    "estimate_runs",
    "image_extension",
    "iter_objects",
    "load_prices",
    "map_objects",
    "observed_retries",
    "total_usd",
]
