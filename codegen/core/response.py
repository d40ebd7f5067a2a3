# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""HTTP answers as results or typed errors: APIResponse, google.rpc.Status parsing, parsing models."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import ValidationError

from .base import ApiModel
from .exceptions import (
    AnswerLostError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    WisdomGateError,
    error_class_for,
)
from .spool import SPOOL_THRESHOLD, JsonSpooler, SpooledJson

__all__ = [
    "APIResponse",
    "Received",
    "Redact",
    "aread_body",
    "body_error",
    "connection_error",
    "encoding_error",
    "error_from_status",
    "http_error",
    "parse_model",
    "read_body",
    "status_error",
]

M = TypeVar("M", bound=ApiModel)
T = TypeVar("T")
Redact = Callable[[str], str]

# google.rpc.Code name -> HTTP status, for a Status whose `code` is missing (stream error chunks).
_HTTP_BY_RPC = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INTERNAL": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
# HTTP status -> its canonical google.rpc.Code name, for an error body that is not a Status.
_RPC_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_UNSET: Any = object()


def _keep(text: str) -> str:
    return text


@dataclass(frozen=True)
class Received:
    """An answer: its httpx.Response, and its JSON body when the client read it (not a stream)."""

    response: httpx.Response
    body: SpooledJson | None = None


def _spools(response: httpx.Response) -> bool:
    # a body that says it is small is read as httpx reads it (`.content` stays available);
    # a big or unsized one is read piece by piece, its long data strings decoded to spools
    length = response.headers.get("content-length", "")
    return response.is_success and not (length.isdigit() and int(length) <= SPOOL_THRESHOLD)


def read_body(response: httpx.Response) -> SpooledJson:
    """Read a (2xx or error) body: small ones whole, big ones through a JsonSpooler."""
    if not _spools(response):
        return SpooledJson(response.read(), {})
    spooler = JsonSpooler()
    for chunk in response.iter_bytes():
        spooler.feed(chunk)
    return spooler.finish()


async def aread_body(response: httpx.Response) -> SpooledJson:
    """read_body for an async response."""
    if not _spools(response):
        return SpooledJson(await response.aread(), {})
    spooler = JsonSpooler()
    async for chunk in response.aiter_bytes():
        spooler.feed(chunk)
    return spooler.finish()


class APIResponse(Generic[T]):
    """One call's httpx.Response (status, headers) plus parse() for its typed result.

    A body longer than the spool threshold (1 MiB) is read piece by piece: its http_response
    then has no `.content`, and parse() is the way to its data.
    """

    def __init__(self, received: Received, parser: Callable[[Received], T]) -> None:
        self.http_response = received.response
        self._received = received
        self._parser = parser
        self._parsed: T = _UNSET

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}]>"

    @property
    def status_code(self) -> int:
        """The HTTP status code."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The HTTP response headers."""
        return self.http_response.headers

    def parse(self) -> T:
        """The typed result, parsed once (for a stream: the Stream, not yet read)."""
        if self._parsed is _UNSET:
            self._parsed = self._parser(self._received)
        return self._parsed


def parse_model(received: Received, model: type[M], redact: Redact = _keep) -> M:
    """Validate a 2xx JSON body into model; an `{"error": ...}` body raises its APIStatusError."""
    response = received.response
    body = received.body or SpooledJson(response.content, {})
    try:
        parsed = body.validate(model)
    except ValidationError as exc:
        _raise_error_body(body.text, response, redact)
        message = f"the response is not a valid {model.__name__}: {exc}"
        raise APIResponseValidationError(message, response=response) from None
    # extra="allow" would keep an error envelope as an unknown field of an empty answer
    _raise_error_payload((parsed.model_extra or {}).get("error"), response, redact)
    return parsed


def _raise_error_body(text: bytes, response: httpx.Response, redact: Redact) -> None:
    try:
        payload = json.loads(text)
    except ValueError:
        return
    if isinstance(payload, dict):
        _raise_error_payload(payload.get("error"), response, redact)


def _raise_error_payload(error: Any, response: httpx.Response, redact: Redact) -> None:
    if isinstance(error, dict):
        raise error_from_status(error, redact, response=response)


def status_error(response: httpx.Response, redact: Redact) -> APIStatusError:
    """The typed error for an HTTP error answer whose body has been read."""
    try:
        payload = json.loads(response.content)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return error_from_status(error, redact, response=response, status_code=response.status_code)
    # not a google.rpc.Status (a gateway's HTML page): the text is the message
    return _plain_status_error(response, redact(response.text.strip()) or response.reason_phrase)


def _plain_status_error(response: httpx.Response, message: str) -> APIStatusError:
    # `.status` gets the code name the API would have sent, never the HTTP reason phrase
    status = _RPC_BY_HTTP.get(response.status_code, "UNKNOWN")
    return error_class_for(response.status_code)(
        message, status_code=response.status_code, status=status, response=response
    )


def error_from_status(
    error: dict[str, Any],
    redact: Redact,
    *,
    response: httpx.Response | None = None,
    status_code: int | None = None,
) -> APIStatusError:
    """The typed error for a google.rpc.Status object; status_code defaults to its `code`."""
    status = error.get("status") if isinstance(error.get("status"), str) else None
    code = status_code or _code_of(error.get("code"), status)
    message = redact(str(error.get("message") or status or "unknown error"))
    raw_details = error.get("details")
    details = (
        [d for d in raw_details if isinstance(d, dict)] if isinstance(raw_details, list) else []
    )
    return error_class_for(code)(
        message, status_code=code, status=status, details=details, response=response
    )


def http_error(
    exc: httpx.HTTPError, request: httpx.Request | None, redact: Redact
) -> WisdomGateError:
    """Any httpx failure as a WisdomGateError whose text never shows the key."""
    if isinstance(exc, httpx.TransportError):
        return connection_error(exc, request, redact)
    summary = _summary(exc, redact)
    if isinstance(exc, httpx.DecodingError):  # an answer came, but its body cannot be decoded
        return APIResponseValidationError(f"the response body cannot be decoded: {summary}")
    return APIConnectionError(summary, request=request, cause=type(exc).__name__)


def body_error(exc: httpx.HTTPError, response: httpx.Response, redact: Redact) -> WisdomGateError:
    """The typed error for a failure while reading the body of response (its status has come)."""
    if not isinstance(exc, httpx.TransportError):
        return http_error(exc, _request_of(response), redact)
    summary = _summary(exc, redact)
    if not response.is_success:
        # the status already says no answer was produced: it is that status's error
        return _plain_status_error(response, f"the error body was cut off: {summary}")
    message = (
        "the answer was lost after the server accepted the request"
        f" (HTTP {response.status_code}); it may have been billed: {summary}"
    )
    return AnswerLostError(
        message,
        status_code=response.status_code,
        request=_request_of(response),
        cause=type(exc).__name__,
    )


def connection_error(
    exc: httpx.TransportError, request: httpx.Request | None, redact: Redact
) -> APIConnectionError:
    """The typed error for a request that got no HTTP answer (never showing the key)."""
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    return kind(_summary(exc, redact), request=request, cause=type(exc).__name__)


def encoding_error(exc: UnicodeEncodeError, request: httpx.Request | None) -> APIConnectionError:
    """The typed error for a request that cannot be encoded (exc.object may hold the key)."""
    message = f"the request cannot be encoded as {exc.encoding}: {exc.reason}"
    return APIConnectionError(message, request=request, cause=type(exc).__name__)


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built by hand has no request
        return None


def _summary(exc: Exception, redact: Redact) -> str:
    # the class name and the redacted text stand in for the exception, which is never chained
    detail = redact(str(exc))
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _code_of(code: Any, status: str | None) -> int:
    # bool is an int too, and a gateway may put a string code there: trust only a real HTTP status
    if isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599:
        return code
    return _HTTP_BY_RPC.get(status or "", 500)
