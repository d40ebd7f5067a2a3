"""Retries: which failures are retried, how long the client waits, and when it gives up at once."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from wisdomgate_api import (
    AnswerLostError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    Client,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    WisdomGateError,
    models,
)
from wisdomgate_api._core.exceptions import error_class_for
from wisdomgate_api._core.retry import (
    RETRY_STATUSES,
    TRANSIENT_CAUSES,
    quota_exhausted,
    retry_delay,
    server_delay,
    should_retry,
)

EXAMPLES = Path(__file__).parent / "data" / "recorded"
BODY = {"contents": [{"parts": [{"text": "hi"}]}]}
ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}}]}
NOW = 1_700_000_000.0
QUOTA = "type.googleapis.com/google.rpc.QuotaFailure"
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
Serve = Callable[[list[Any]], tuple[Client, list[httpx.Request]]]


@pytest.fixture
def policy(sleeps: list[float]) -> RetryPolicy:
    """Deterministic: no jitter taken off (random() == 0), a fixed clock, sleeps recorded."""
    return RetryPolicy(max_attempts=3, sleep=sleeps.append, random=lambda: 0.0, clock=lambda: NOW)


@pytest.fixture
def serve(policy: RetryPolicy) -> Iterator[Serve]:
    """serve([answer, ...]) -> a client whose calls get the answers in order (exceptions raised)."""
    clients: list[Client] = []

    def make(answers: list[Any]) -> tuple[Client, list[httpx.Request]]:
        sent: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            answer = answers[min(len(sent), len(answers)) - 1]
            if isinstance(answer, Exception):
                raise answer
            assert isinstance(answer, httpx.Response)
            return answer

        client = Client(
            api_key="test-key-123", transport=httpx.MockTransport(handler), retry=policy
        )
        clients.append(client)
        return client, sent

    yield make
    for client in clients:
        client.close()


def _error(
    code: int,
    *,
    message: str = "slow down",
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> APIStatusError:
    response = httpx.Response(code, headers=headers)
    cls = error_class_for(code)
    return cls(message, status_code=code, details=details, response=response)


def _quota(**violation: Any) -> list[dict[str, Any]]:
    return [{"@type": QUOTA, "violations": [violation]}]


def _ok() -> httpx.Response:
    return httpx.Response(200, json=ANSWER)


def _status(code: int, **extra: Any) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": "busy", **extra}})


class CutBody(httpx.SyncByteStream):
    """A body that breaks off after its first half, as a connection lost mid-body does."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield json.dumps(ANSWER).encode()[:10]
        raise self.error


def _cut(code: int, error: Exception | None = None) -> httpx.Response:
    cut_by = error or httpx.RemoteProtocolError("peer closed connection without sending complete")
    headers = {"content-type": "application/json"}
    return httpx.Response(code, headers=headers, stream=CutBody(cut_by))


CUTS = [
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    httpx.ReadError("connection reset by peer"),
    httpx.ReadTimeout("timed out"),
]


# ---------------------------------------------------------------- should_retry (pure)


@pytest.mark.parametrize("code", RETRY_STATUSES)
def test_retry_statuses_are_retried(policy: RetryPolicy, code: int) -> None:
    assert should_retry(policy, _error(code), attempt=1)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 501])
def test_other_statuses_are_not_retried(policy: RetryPolicy, code: int) -> None:
    assert not should_retry(policy, _error(code), attempt=1)


@pytest.mark.parametrize("cause", sorted(TRANSIENT_CAUSES))
def test_transient_connection_errors_are_retried(policy: RetryPolicy, cause: str) -> None:
    assert should_retry(policy, APIConnectionError("dropped", cause=cause), attempt=1)


@pytest.mark.parametrize("cause", ["LocalProtocolError", "UnsupportedProtocol", "ProxyError", ""])
def test_permanent_connection_errors_are_not_retried(policy: RetryPolicy, cause: str) -> None:
    assert not should_retry(policy, APIConnectionError("never works", cause=cause), attempt=1)


@pytest.mark.parametrize("cause", ["RemoteProtocolError", "ReadError", "ReadTimeout"])
def test_a_lost_answer_is_not_retried_by_default(policy: RetryPolicy, cause: str) -> None:
    # the server sent 2xx: it has done the work, and may have billed it
    error = AnswerLostError("lost", status_code=200, cause=cause)
    assert not should_retry(policy, error, attempt=1)


def test_a_lost_answer_is_retried_when_the_policy_allows() -> None:
    policy = RetryPolicy(retry_lost_answers=True)
    error = AnswerLostError("lost", status_code=200, cause="RemoteProtocolError")
    assert should_retry(policy, error, attempt=1)


def test_a_lost_answer_is_not_retried_once_max_attempts_are_used() -> None:
    policy = RetryPolicy(max_attempts=2, retry_lost_answers=True)
    error = AnswerLostError("lost", status_code=200, cause="ReadError")
    assert not should_retry(policy, error, attempt=2)


def test_read_timeout_is_not_retried_by_default(policy: RetryPolicy) -> None:
    # the generation may have run (and been billed) while the client waited for its answer
    assert not should_retry(policy, APITimeoutError("slow", cause="ReadTimeout"), attempt=1)


def test_read_timeout_is_retried_when_the_policy_allows() -> None:
    policy = RetryPolicy(retry_read_timeouts=True)
    assert should_retry(policy, APITimeoutError("slow", cause="ReadTimeout"), attempt=1)


def test_no_retry_once_max_attempts_are_used(policy: RetryPolicy) -> None:
    assert not should_retry(policy, _error(503), attempt=3)


def test_max_attempts_one_never_retries() -> None:
    assert not should_retry(RetryPolicy(max_attempts=1), _error(503), attempt=1)


def test_per_minute_quota_is_retried(policy: RetryPolicy) -> None:
    payload = json.loads((EXAMPLES / "error-429-retryinfo.json").read_text())["error"]
    assert should_retry(policy, _error(429, details=payload["details"]), attempt=1)


@pytest.mark.parametrize(
    "violation",
    [
        {"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"},
        {"quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_day"},
        {"quotaId": "GenerateRequestsPerMinute", "quotaValue": "0"},
    ],
)
def test_daily_or_zero_quota_fails_fast(policy: RetryPolicy, violation: dict[str, str]) -> None:
    error = _error(429, details=_quota(**violation))
    assert quota_exhausted(error)
    assert not should_retry(policy, error, attempt=1)


def test_limit_zero_in_the_message_fails_fast(policy: RetryPolicy) -> None:
    message = "Quota exceeded for metric: generate_content_free_tier_requests, limit: 0, model: x"
    assert not should_retry(policy, _error(429, message=message), attempt=1)


def test_a_non_zero_limit_in_the_message_is_retried(policy: RetryPolicy) -> None:
    message = "Quota exceeded for metric: generate_content_free_tier_requests, limit: 10"
    assert should_retry(policy, _error(429, message=message), attempt=1)


# ---------------------------------------------------------------- retry_delay (pure)


def test_backoff_grows_exponentially(policy: RetryPolicy) -> None:
    delays = [retry_delay(policy, _error(503), attempt) for attempt in (1, 2, 3)]
    assert delays == [1.0, 2.0, 4.0]


def test_backoff_is_capped_by_max_delay() -> None:
    policy = RetryPolicy(max_delay=5.0, random=lambda: 0.0)
    assert retry_delay(policy, _error(503), attempt=10_000) == 5.0


def test_jitter_takes_off_at_most_its_fraction() -> None:
    policy = RetryPolicy(initial_delay=2.0, jitter=0.25, random=lambda: 1.0)
    assert retry_delay(policy, _error(503), attempt=1) == 1.5


def test_retry_after_seconds_is_honoured(policy: RetryPolicy) -> None:
    error = _error(503, headers={"retry-after": "7"})
    assert retry_delay(policy, error, attempt=1) == 7.0


def test_retry_after_http_date_is_honoured(policy: RetryPolicy) -> None:
    when = datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=12)
    error = _error(429, headers={"retry-after": format_datetime(when, usegmt=True)})
    assert retry_delay(policy, error, attempt=1) == 12.0


def test_retry_after_in_the_past_means_now(policy: RetryPolicy) -> None:
    error = _error(429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_delay(policy, error, attempt=1) == 0.0


def test_unparsable_retry_after_falls_back_to_backoff(policy: RetryPolicy) -> None:
    error = _error(503, headers={"retry-after": "soon"})
    assert retry_delay(policy, error, attempt=2) == 2.0


def test_retry_info_delay_is_honoured(policy: RetryPolicy) -> None:
    payload = json.loads((EXAMPLES / "error-429-retryinfo.json").read_text())["error"]
    assert retry_delay(policy, _error(429, details=payload["details"]), attempt=1) == 34.4


def test_retry_info_in_proto_form_is_honoured() -> None:
    details = [{"@type": RETRY_INFO, "retryDelay": {"seconds": "3", "nanos": 500_000_000}}]
    assert server_delay(_error(429, details=details), now=NOW) == 3.5


def test_the_larger_server_hint_wins(policy: RetryPolicy) -> None:
    details = [{"@type": RETRY_INFO, "retryDelay": "20s"}]
    error = _error(429, details=details, headers={"retry-after": "9"})
    assert retry_delay(policy, error, attempt=1) == 20.0


def test_server_hint_longer_than_max_delay_is_not_retried() -> None:
    policy = RetryPolicy(max_delay=30.0)
    details = [{"@type": RETRY_INFO, "retryDelay": "3600s"}]
    assert not should_retry(policy, _error(429, details=details), attempt=1)


def test_server_hint_equal_to_max_delay_is_retried() -> None:
    policy = RetryPolicy(max_delay=30.0, clock=lambda: NOW)
    assert should_retry(policy, _error(503, headers={"retry-after": "30"}), attempt=1)


def test_retry_after_is_readable_on_the_error() -> None:
    details = [{"@type": RETRY_INFO, "retryDelay": "3600s"}]
    assert _error(429, details=details, headers={"retry-after": "60"}).retry_after == 3600.0


def test_retry_after_is_none_without_a_hint() -> None:
    assert _error(503).retry_after is None


def test_nan_retry_after_is_no_hint() -> None:
    assert server_delay(_error(503, headers={"retry-after": "nan"}), now=NOW) is None


def test_no_server_hint_gives_none() -> None:
    assert server_delay(_error(503), now=NOW) is None


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"initial_delay": -1.0}, {"multiplier": 0.5}, {"jitter": 2.0}]
)
def test_policy_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


# ---------------------------------------------------------------- the client's retry loop


def test_server_error_is_retried_until_success(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([_status(503), _ok()])
    assert isinstance(client.generate_content("m", BODY), models.GenerateContentResponse)
    assert (len(sent), sleeps) == (2, [1.0])


def test_on_retry_is_told_each_failed_attempt_and_the_wait_before_the_next(
    policy: RetryPolicy,
) -> None:
    told: list[tuple[int | None, int, float]] = []

    def on_retry(error: WisdomGateError, attempt: int, delay: float) -> None:
        told.append((getattr(error, "status_code", None), attempt, delay))

    answers = iter([_status(503), _status(500), _ok()])
    transport = httpx.MockTransport(lambda request: next(answers))
    watched = dataclasses.replace(policy, on_retry=on_retry)
    with Client(api_key="test-key-123", transport=transport, retry=watched) as client:
        client.generate_content("m", BODY)
    assert told == [(503, 1, 1.0), (500, 2, 2.0)]


def test_429_waits_for_retry_info(serve: Serve, sleeps: list[float]) -> None:
    payload = json.loads((EXAMPLES / "error-429-retryinfo.json").read_text())
    client, _sent = serve([httpx.Response(429, json=payload), _ok()])
    client.generate_content("m", BODY)
    assert sleeps == [34.4]


def test_429_waits_for_retry_after(serve: Serve, sleeps: list[float]) -> None:
    client, _sent = serve([httpx.Response(429, headers={"retry-after": "2"}), _ok()])
    client.generate_content("m", BODY)
    assert sleeps == [2.0]


def test_daily_quota_raises_without_retrying(serve: Serve, sleeps: list[float]) -> None:
    details = _quota(quotaId="GenerateRequestsPerDayPerProjectPerModel-FreeTier")
    client, sent = serve([_status(429, details=details), _ok()])
    with pytest.raises(RateLimitError):
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (1, [])


def test_zero_limit_raises_without_retrying(serve: Serve, sleeps: list[float]) -> None:
    response = httpx.Response(429, json={"error": {"code": 429, "message": "x, limit: 0, y"}})
    client, sent = serve([response, _ok()])
    with pytest.raises(RateLimitError):
        client.generate_content("m", BODY)
    assert len(sent) == 1


def test_connection_error_is_retried_then_succeeds(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([httpx.ConnectError("refused"), _ok()])
    client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (2, [1.0])


def test_connect_timeouts_give_up_after_max_attempts(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([httpx.ConnectTimeout("timed out")])
    with pytest.raises(APITimeoutError):
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (3, [1.0, 2.0])


@pytest.mark.parametrize(
    "reset",
    [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadError("connection reset")],
    ids=["RemoteProtocolError", "ReadError"],
)
def test_a_reset_before_the_status_line_is_retried(
    serve: Serve, sleeps: list[float], reset: Exception
) -> None:
    client, sent = serve([reset, _ok()])
    client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (2, [1.0])


@pytest.mark.parametrize("cut_by", CUTS, ids=lambda error: type(error).__name__)
def test_a_200_whose_body_is_cut_is_sent_once_and_raises_answer_lost(
    serve: Serve, sleeps: list[float], cut_by: Exception
) -> None:
    client, sent = serve([_cut(200, cut_by), _ok()])
    with pytest.raises(AnswerLostError) as caught:
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (1, [])
    assert (caught.value.status_code, caught.value.cause) == (200, type(cut_by).__name__)


def test_a_lost_answer_says_it_may_have_been_billed(serve: Serve) -> None:
    client, _sent = serve([_cut(200)])
    with pytest.raises(AnswerLostError) as caught:
        client.generate_content("m", BODY)
    assert str(caught.value) == (
        "the answer was lost after the server accepted the request (HTTP 200); it may have been"
        " billed: RemoteProtocolError: peer closed connection without sending complete"
    )


def test_a_cut_200_body_is_retried_when_the_policy_allows(sleeps: list[float]) -> None:
    answers = iter([_cut(200), _ok()])
    policy = RetryPolicy(retry_lost_answers=True, sleep=sleeps.append, random=lambda: 0.0)
    transport = httpx.MockTransport(lambda request: next(answers))
    with Client(api_key="test-key-123", transport=transport, retry=policy) as client:
        assert isinstance(client.generate_content("m", BODY), models.GenerateContentResponse)
    assert sleeps == [1.0]


def test_a_503_whose_body_is_cut_is_retried_as_a_503(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([_cut(503), _ok()])
    client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (2, [1.0])


def test_a_503_whose_body_is_cut_raises_its_status_error(serve: Serve) -> None:
    client, sent = serve([_cut(503), _cut(503), _cut(503)])
    with pytest.raises(ServiceUnavailableError, match="the error body was cut off") as caught:
        client.generate_content("m", BODY)
    assert (len(sent), caught.value.status_code, caught.value.status) == (3, 503, "UNAVAILABLE")


def test_a_cut_429_body_still_honours_retry_after(serve: Serve, sleeps: list[float]) -> None:
    cut = httpx.Response(
        429, headers={"retry-after": "5"}, stream=CutBody(httpx.ReadError("connection reset"))
    )
    client, _sent = serve([cut, _ok()])
    client.generate_content("m", BODY)
    assert sleeps == [5.0]


def test_a_400_whose_body_is_cut_is_not_retried(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([_cut(400), _ok()])
    with pytest.raises(BadRequestError, match="cut off"):
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (1, [])


def test_read_timeout_on_a_post_is_raised_without_retrying(
    serve: Serve, sleeps: list[float]
) -> None:
    client, sent = serve([httpx.ReadTimeout("timed out"), _ok()])
    with pytest.raises(APITimeoutError) as caught:
        client.generate_content("m", BODY)
    assert (len(sent), sleeps, caught.value.cause) == (1, [], "ReadTimeout")


def test_bad_header_is_raised_without_retrying(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([httpx.LocalProtocolError("Illegal header value"), _ok()])
    with pytest.raises(APIConnectionError) as caught:
        client.generate_content("m", BODY)
    assert (len(sent), sleeps, caught.value.cause) == (1, [], "LocalProtocolError")


def test_unsupported_url_scheme_is_raised_without_retrying(
    policy: RetryPolicy, sleeps: list[float]
) -> None:
    client = Client(api_key="test-key-123", base_url="ftp://example.test", retry=policy)
    with client, pytest.raises(APIConnectionError) as caught:
        client.generate_content("m", BODY)
    assert (caught.value.cause, sleeps) == ("UnsupportedProtocol", [])


def test_undecodable_body_is_a_response_validation_error(serve: Serve, sleeps: list[float]) -> None:
    bad_gzip = httpx.Response(
        200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )
    client, sent = serve([bad_gzip, _ok()])
    with pytest.raises(APIResponseValidationError, match="DecodingError"):
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (1, [])


def test_undecodable_error_body_is_a_response_validation_error(serve: Serve) -> None:
    bad_gzip = httpx.Response(
        503, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )
    client, _sent = serve([bad_gzip])
    with pytest.raises(APIResponseValidationError):
        client.generate_content("m", BODY)


def test_request_that_cannot_be_encoded_is_a_connection_error(serve: Serve) -> None:
    unencodable = UnicodeEncodeError("ascii", "x-goog-api-key: clé", 17, 18, "not ASCII")
    client, sent = serve([unencodable, _ok()])
    with pytest.raises(APIConnectionError, match="cannot be encoded as ascii") as caught:
        client.generate_content("m", BODY)
    assert (len(sent), caught.value.cause) == (1, "UnicodeEncodeError")
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_last_error_is_raised_after_max_attempts(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([_status(500)])
    with pytest.raises(InternalServerError) as caught:
        client.generate_content("m", BODY)
    assert caught.value.status_code == 500
    assert len(sent) == 3


def test_bad_request_is_not_retried(serve: Serve, sleeps: list[float]) -> None:
    client, sent = serve([_status(400), _ok()])
    with pytest.raises(BadRequestError):
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (1, [])


def test_every_attempt_sends_the_same_bytes(serve: Serve) -> None:
    client, sent = serve([_status(503), _status(502), _ok()])
    client.generate_content("m", BODY)
    assert len({request.content for request in sent}) == 1


def test_stream_is_retried_before_its_body_is_read(serve: Serve, sleeps: list[float]) -> None:
    chunk = b'data: {"responseId": "r1"}\n\n'
    client, sent = serve([_status(503), httpx.Response(200, content=chunk)])
    with client.stream_generate_content("m", BODY) as stream:
        assert [c.response_id for c in stream] == ["r1"]
    assert len(sent) == 2


def test_stream_is_not_retried_once_its_body_has_started(serve: Serve) -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b'data: {"responseId": "r1"}\n\n'
            raise httpx.ReadError("connection reset")

    client, sent = serve([httpx.Response(200, stream=Broken()), _ok()])
    seen: list[str | None] = []
    with pytest.raises(AnswerLostError), client.stream_generate_content("m", BODY) as stream:
        seen.extend(chunk.response_id for chunk in stream)
    assert (seen, len(sent)) == (["r1"], 1)


def test_a_retry_is_logged_with_its_delay(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="wisdomgate_api")
    client, _sent = serve([_status(503), _ok()])
    client.generate_content("m", BODY)
    assert "retrying in 1.00s, attempt 2 of 3" in caplog.text


def test_read_timeout_is_retried_when_the_policy_allows_it(sleeps: list[float]) -> None:
    timed_out: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not timed_out:
            timed_out.append(request)
            raise httpx.ReadTimeout("timed out")
        return httpx.Response(200, json=ANSWER)

    policy = RetryPolicy(retry_read_timeouts=True, sleep=sleeps.append, random=lambda: 0.0)
    transport = httpx.MockTransport(handler)
    with Client(api_key="test-key-123", transport=transport, retry=policy) as client:
        client.generate_content("m", BODY)
    assert sleeps == [1.0]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            429,
            json={
                "error": {
                    "code": 429,
                    "message": "wait",
                    "details": [{"@type": RETRY_INFO, "retryDelay": "3600s"}],
                }
            },
        ),
        httpx.Response(503, headers={"retry-after": "86400"}),
    ],
    ids=["retry-info-3600s", "retry-after-86400"],
)
def test_a_wait_longer_than_max_delay_is_raised_at_once(
    serve: Serve, sleeps: list[float], response: httpx.Response
) -> None:
    client, sent = serve([response, _ok()])
    with pytest.raises(APIStatusError) as caught:
        client.generate_content("m", BODY)
    assert (len(sent), sleeps) == (1, [])
    assert caught.value.retry_after is not None and caught.value.retry_after >= 3600
