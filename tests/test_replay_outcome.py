"""The outcome `not_recorded`: a request a --replay cassette lacks, named, never retried."""

from __future__ import annotations

from wisdomgate.artifacts.junit import ERROR_KINDS
from wisdomgate.run import NOT_RECORDED_CAUSE, OutcomeKind
from wisdomgate.run.outcomes import classify_error
from wisdomgate_api import APIConnectionError, RetryPolicy
from wisdomgate_api._core.retry import should_retry


def not_recorded(text: str) -> APIConnectionError:
    # what the client makes of the replay transport's error: its class name is the cause
    return APIConnectionError(f"{NOT_RECORDED_CAUSE}: {text}", cause=NOT_RECORDED_CAUSE)


def test_a_request_the_cassette_lacks_is_its_own_outcome_with_the_reason() -> None:
    outcome = classify_error(not_recorded("request abc is not in the cassette c"))
    assert outcome.kind is OutcomeKind.NOT_RECORDED and not outcome.passed
    assert outcome.reason == "not recorded: request abc is not in the cassette c"
    assert outcome.to_json()["kind"] == "not_recorded"


def test_it_is_never_retried_and_a_junit_error() -> None:
    assert not should_retry(RetryPolicy(max_attempts=10), not_recorded("x"), 1)
    assert OutcomeKind.NOT_RECORDED in ERROR_KINDS


def test_other_connection_errors_stay_connection_errors() -> None:
    refused = APIConnectionError("ConnectError: refused", cause="ConnectError")
    assert classify_error(refused).kind is OutcomeKind.CONNECTION_ERROR
