"""HTTP errors become typed exceptions carrying the google.rpc.Status code, status, message, details."""

from __future__ import annotations

import json
import pickle
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
    AuthenticationError,
    BadRequestError,
    Client,
    DeadlineExceededError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    WisdomGateError,
)
from wisdomgate_api._core.response import error_from_status

EXAMPLES = Path(__file__).parent / "data" / "recorded"
BODY = {"contents": [{"parts": [{"text": "hi"}]}]}
RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNKNOWN",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _client(response: httpx.Response) -> Client:
    """A client that answers every call with response and never retries."""
    transport = httpx.MockTransport(lambda request: response)
    return Client(api_key="test-key-123", transport=transport, retry=RetryPolicy(max_attempts=1))


def _envelope(code: int, message: str = "went wrong", **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": RPC_STATUS[code], **extra}}


def _raised(response: httpx.Response) -> APIStatusError:
    with _client(response) as client, pytest.raises(APIStatusError) as caught:
        client.generate_content("m", BODY)
    return caught.value


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, ServiceUnavailableError),
        (504, DeadlineExceededError),
    ],
)
def test_status_maps_to_its_exception_class(code: int, cls: type[APIStatusError]) -> None:
    error = _raised(httpx.Response(code, json=_envelope(code)))
    assert type(error) is cls
    assert (error.status_code, error.status, error.message) == (
        code,
        RPC_STATUS[code],
        "went wrong",
    )


def test_status_errors_are_wisdom_gate_errors() -> None:
    assert isinstance(_raised(httpx.Response(404, json=_envelope(404))), WisdomGateError)


def test_details_are_kept() -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]
    error = _raised(httpx.Response(400, json=_envelope(400, "API key not valid.", details=details)))
    assert error.details == details
    assert error.detail("ErrorInfo") == details[0]


def test_recorded_429_keeps_quota_failure_and_retry_info() -> None:
    payload = json.loads((EXAMPLES / "error-429-retryinfo.json").read_text())
    error = _raised(httpx.Response(429, json=payload))
    assert isinstance(error, RateLimitError)
    assert error.message == "You exceeded your current quota, please check your plan."
    assert error.detail("RetryInfo") == {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "34.4s",
    }
    assert error.detail("QuotaFailure") is not None


def test_recorded_400_thinking_error() -> None:
    payload = json.loads((EXAMPLES / "error-400-thinking.json").read_text())
    error = _raised(httpx.Response(400, json=payload["thinkingLevelAndBudgetResponse"]))
    assert isinstance(error, BadRequestError)
    assert error.status == "INVALID_ARGUMENT"
    assert "thinking budget" in error.message


def test_str_shows_code_status_and_message() -> None:
    error = _raised(httpx.Response(404, json=_envelope(404, "models/x is not found")))
    assert str(error) == "404 NOT_FOUND: models/x is not found"


def test_non_json_body_keeps_the_text_as_message() -> None:
    error = _raised(httpx.Response(502, text="<html>upstream died</html>"))
    assert isinstance(error, InternalServerError)
    assert (error.message, error.details) == ("<html>upstream died</html>", [])


@pytest.mark.parametrize("code", sorted(RPC_STATUS))
def test_non_json_body_status_is_the_canonical_rpc_code_name(code: int) -> None:
    expected = {**RPC_STATUS, 502: "UNKNOWN"}[code]  # 502 has no google.rpc.Code of its own
    assert _raised(httpx.Response(code, text="<html>no</html>")).status == expected


def test_empty_body_gives_the_reason_phrase_as_message() -> None:
    error = _raised(httpx.Response(503))
    assert isinstance(error, ServiceUnavailableError)
    assert (error.message, error.status) == ("Service Unavailable", "UNAVAILABLE")


def test_json_body_without_the_envelope_gives_the_text_as_message() -> None:
    error = _raised(httpx.Response(401, json={"message": "no"}))
    assert isinstance(error, AuthenticationError)
    assert error.message == '{"message":"no"}'


def test_http_status_wins_over_a_non_numeric_envelope_code() -> None:
    error = _raised(httpx.Response(403, json={"error": {"code": "denied", "message": "no"}}))
    assert isinstance(error, PermissionDeniedError)
    assert (error.status_code, error.message, error.status) == (403, "no", None)


def test_error_keeps_the_response_with_its_headers() -> None:
    error = _raised(httpx.Response(429, json=_envelope(429), headers={"retry-after": "3"}))
    assert error.response is not None
    assert error.response.headers["retry-after"] == "3"
    assert error.response.json() == _envelope(429)


def test_unknown_4xx_is_a_plain_status_error() -> None:
    error = _raised(httpx.Response(409, json={"error": {"code": 409, "message": "busy"}}))
    assert type(error) is APIStatusError
    assert error.status_code == 409


def test_status_without_code_is_classed_by_its_rpc_name() -> None:
    error = error_from_status({"status": "UNAVAILABLE", "message": "later"}, str)
    assert isinstance(error, ServiceUnavailableError)
    assert error.status_code == 503


def test_status_without_code_or_known_name_is_a_server_error() -> None:
    error = error_from_status({"message": "??"}, str)
    assert isinstance(error, InternalServerError)
    assert error.status_code == 500


def test_malformed_details_are_dropped() -> None:
    error = error_from_status({"code": 400, "details": ["x", {"@type": "t.Help"}]}, str)
    assert error.details == [{"@type": "t.Help"}]


# ---------------------------------------------------------------- an error envelope with HTTP 200


def test_error_envelope_with_200_raises_the_typed_error() -> None:
    error = _raised(httpx.Response(200, json=_envelope(429, "quota")))
    assert isinstance(error, RateLimitError)
    assert (error.status_code, error.status, error.message) == (429, "RESOURCE_EXHAUSTED", "quota")


def test_error_envelope_with_200_and_no_code_is_classed_by_status() -> None:
    error = _raised(
        httpx.Response(200, json={"error": {"message": "later", "status": "UNAVAILABLE"}})
    )
    assert isinstance(error, ServiceUnavailableError)


def test_error_envelope_with_200_that_does_not_fit_the_model_raises_the_typed_error() -> None:
    # the body fails the model's validation, yet it is an error envelope, not a bad answer
    body = {"candidates": "nope", "error": {"code": 400, "message": "bad"}}
    assert isinstance(_raised(httpx.Response(200, json=body)), BadRequestError)


def test_error_envelope_with_200_never_shows_the_key() -> None:
    message = "API key test-key-123 not valid"
    error = _raised(httpx.Response(200, json={"error": {"code": 400, "message": message}}))
    assert "test-key-123" not in str(error)


# ---------------------------------------------------------------- pickling


def test_status_error_pickles_without_its_response() -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.Help", "links": []}]
    error = _raised(httpx.Response(429, json=_envelope(429, "quota", details=details)))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RateLimitError and copy.response is None
    assert (copy.message, copy.status_code, copy.status, copy.details, str(copy)) == (
        error.message,
        429,
        "RESOURCE_EXHAUSTED",
        details,
        str(error),
    )


def test_connection_error_pickles_with_its_cause() -> None:
    copy = pickle.loads(pickle.dumps(APITimeoutError("ReadTimeout: slow", cause="ReadTimeout")))
    assert type(copy) is APITimeoutError
    assert (str(copy), copy.cause, copy.request) == ("ReadTimeout: slow", "ReadTimeout", None)


def test_answer_lost_error_pickles_with_its_status_and_cause() -> None:
    error = AnswerLostError("lost: ReadError", status_code=200, cause="ReadError")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is AnswerLostError
    assert (str(copy), copy.status_code, copy.cause, copy.request) == (
        "lost: ReadError",
        200,
        "ReadError",
        None,
    )


def test_answer_lost_error_is_a_connection_error() -> None:
    assert issubclass(AnswerLostError, APIConnectionError)


def test_response_validation_error_pickles() -> None:
    copy = pickle.loads(pickle.dumps(APIResponseValidationError("bad body")))
    assert type(copy) is APIResponseValidationError and str(copy) == "bad body"
