# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""The client's exception hierarchy: every API and transport error it raises.

The runtime's own errors (recipe, usage, output) are not here: they derive from
wisdomgate.errors.ToolkitError.

    WisdomGateError
    ├── APIConnectionError            the request got no whole HTTP answer (or could not be sent)
    │   ├── APITimeoutError
    │   └── AnswerLostError           a 2xx answer whose body was lost: it may have been billed
    ├── APIStatusError                an HTTP error status, or an `{"error": ...}` body or chunk
    │   ├── BadRequestError           400 (INVALID_ARGUMENT, FAILED_PRECONDITION, API_KEY_INVALID)
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── RateLimitError            429
    │   └── InternalServerError       5xx (ServiceUnavailableError 503, DeadlineExceededError 504)
    └── APIResponseValidationError    a 2xx body that is not what the spec says (or not decodable)

These errors pickle (without their httpx request and response) and never show the API key.
"""

from __future__ import annotations

import email.utils
import math
import time
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnswerLostError",
    "AuthenticationError",
    "BadRequestError",
    "DeadlineExceededError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "WisdomGateError",
]


def _rebuild(cls: type[Exception], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception:
    # keyword-only constructors cannot be rebuilt by BaseException's default pickling
    return cls(*args, **kwargs)


class WisdomGateError(Exception):
    """Root of every API and transport error the client raises."""


class APIConnectionError(WisdomGateError):
    """No whole HTTP answer: connection refused or dropped, DNS, TLS, a request that cannot be sent.

    `cause` names the underlying failure (the httpx exception class, e.g. "ConnectError" or
    "ReadTimeout"); the retry policy decides from it whether trying again can help.
    """

    def __init__(
        self, message: str, *, request: httpx.Request | None = None, cause: str = ""
    ) -> None:
        super().__init__(message)
        self.request = request
        self.cause = cause

    def __reduce__(self) -> Any:
        return _rebuild, (type(self), (str(self),), {"cause": self.cause})


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class AnswerLostError(APIConnectionError):
    """The server accepted the request (2xx) but its answer was lost mid-body: it may be billed.

    `status_code` is the 2xx the server sent; `cause` names the httpx failure that cut the body.
    Not retried unless `RetryPolicy.retry_lost_answers`: the server has done the work.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request: httpx.Request | None = None,
        cause: str = "",
    ) -> None:
        super().__init__(message, request=request, cause=cause)
        self.status_code = status_code

    def __reduce__(self) -> Any:
        kwargs = {"status_code": self.status_code, "cause": self.cause}
        return _rebuild, (type(self), (str(self),), kwargs)


class APIResponseValidationError(WisdomGateError):
    """A successful answer whose body does not match the spec."""

    def __init__(self, message: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response

    def __reduce__(self) -> Any:
        return _rebuild, (type(self), (str(self),), {})


class APIStatusError(WisdomGateError):
    """An error answer in google.rpc.Status form: HTTP status, `error.status`, message, details."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        status: str | None = None,
        details: list[dict[str, Any]] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.status = status
        self.details = details or []
        self.response = response

    def __str__(self) -> str:
        status = f" {self.status}" if self.status else ""
        return f"{self.status_code}{status}: {self.message}"

    def __reduce__(self) -> Any:
        kwargs = {"status_code": self.status_code, "status": self.status, "details": self.details}
        return _rebuild, (type(self), (self.message,), kwargs)

    def detail(self, type_name: str) -> dict[str, Any] | None:
        """The first detail whose `@type` ends with type_name (e.g. "RetryInfo"), if any."""
        for item in self.details:
            if str(item.get("@type", "")).endswith(f".{type_name}"):
                return item
        return None

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait from now (Retry-After, RetryInfo); None if no hint."""
        return self.server_delay(now=time.time())

    def server_delay(self, *, now: float) -> float | None:
        """The larger of Retry-After and RetryInfo.retryDelay in seconds, as seen at `now`."""
        hints = [h for h in (self._retry_after_header(now), self._retry_info()) if h is not None]
        return max(hints) if hints else None

    def _retry_after_header(self, now: float) -> float | None:
        value = self.response.headers.get("retry-after") if self.response is not None else None
        if not value:
            return None
        seconds = _non_negative(value)
        if seconds is not None:
            return seconds
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - now)

    def _retry_info(self) -> float | None:
        delay = (self.detail("RetryInfo") or {}).get("retryDelay")
        if isinstance(delay, dict):  # the proto form {"seconds": "34", "nanos": 400000000}
            try:
                return max(0.0, float(delay.get("seconds", 0)) + float(delay.get("nanos", 0)) / 1e9)
            except (TypeError, ValueError):
                return None
        if isinstance(delay, str) and delay.endswith("s"):  # google.protobuf.Duration JSON: "34.4s"
            return _non_negative(delay[:-1])
        return None


def _non_negative(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else max(0.0, value)  # "nan" parses, but is no delay


class BadRequestError(APIStatusError):
    """400: the request is invalid (or the key is, API_KEY_INVALID)."""


class AuthenticationError(APIStatusError):
    """401: no valid credentials."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not call this (or no key was sent)."""


class NotFoundError(APIStatusError):
    """404: unknown model or path."""


class RateLimitError(APIStatusError):
    """429: quota or rate limit exceeded (RESOURCE_EXHAUSTED)."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class ServiceUnavailableError(InternalServerError):
    """503: the service is overloaded or down (UNAVAILABLE)."""


class DeadlineExceededError(InternalServerError):
    """504: the server gave up (DEADLINE_EXCEEDED)."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
    503: ServiceUnavailableError,
    504: DeadlineExceededError,
}


def error_class_for(status_code: int) -> type[APIStatusError]:
    """The most specific exception class for an HTTP status."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    return InternalServerError if status_code >= 500 else APIStatusError
