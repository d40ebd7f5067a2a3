"""Error answers in google.rpc.Status form, with the real API's wording where it is known.

Messages marked "simulator wording" below are not copied from the live API (no public capture
was found); docs/simulator.md lists them.
"""

from __future__ import annotations

import math
from typing import Any

from wisdomgate_api.models import ErrorResponse, RpcCode, Status, StatusDetail

__all__ = [
    "ApiError",
    "SimulatorConfigError",
    "SimulatorError",
    "api_key_invalid",
    "bad_header",
    "bad_request",
    "deadline_exceeded",
    "internal",
    "invalid_argument",
    "missing_key",
    "model_not_found",
    "payload_too_large",
    "rate_limited",
    "shutting_down",
    "unable_to_process_image",
    "unavailable",
]

_TYPE = "type.googleapis.com/google.rpc."
_RATE_LIMIT_DOC = "https://ai.google.dev/gemini-api/docs/rate-limits"


class SimulatorError(Exception):
    """The simulator could not do what was asked (start, configure); not a client error."""


class SimulatorConfigError(SimulatorError, ValueError):
    """A simulator setting (fault spec, latency...) is invalid."""


class ApiError(Exception):
    """An error answer the simulator sends: HTTP status, google.rpc.Status body, headers.

    Raised inside the server to answer a request; it never reaches a client as this type.
    """

    def __init__(
        self,
        code: int,
        status: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def to_model(self) -> ErrorResponse:
        """The body as the generated ErrorResponse model."""
        status = Status(code=self.code, message=self.message, status=RpcCode(self.status))
        if self.details:
            status.details = [StatusDetail.model_validate(d) for d in self.details]
        return ErrorResponse(error=status)

    def body(self) -> dict[str, Any]:
        """The JSON body: {"error": {"code", "message", "status", "details"?}}."""
        error = self.to_model().to_wire()["error"]
        # Same key order as the real API (the model's field order puts details before status).
        order = ("code", "message", "status", "details")
        return {"error": {key: error[key] for key in order if key in error}}


def invalid_argument(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    """400 INVALID_ARGUMENT."""
    return ApiError(400, "INVALID_ARGUMENT", message, details)


def bad_request(violations: list[tuple[str | None, str]]) -> ApiError:
    """400 INVALID_ARGUMENT with a BadRequest detail, one fieldViolation per problem."""
    field_violations = [
        {"field": field, "description": text} if field else {"description": text}
        for field, text in violations
    ]
    message = "\n".join(text for _, text in violations)
    return invalid_argument(
        message, [{"@type": f"{_TYPE}BadRequest", "fieldViolations": field_violations}]
    )


def bad_header(name: str, problem: str) -> ApiError:
    """400 for a malformed simulator control header (simulator wording)."""
    return bad_request([(name, f"Invalid value in header '{name}': {problem}")])


def unable_to_process_image() -> ApiError:
    """400 for inline image data that does not decode as an image (the real API's wording)."""
    return invalid_argument(
        "Unable to process input image. Please retry or report in"
        " https://developers.generativeai.google/guide/troubleshooting"
    )


def missing_key() -> ApiError:
    """403 for a call without any API key (the real API's wording)."""
    return ApiError(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity)."
        " Please use API Key or other form of API consumer identity to call this API.",
    )


def api_key_invalid() -> ApiError:
    """400 API_KEY_INVALID, as the real API answers a wrong key (the key is never echoed)."""
    message = "API key not valid. Please pass a valid API key."
    return invalid_argument(
        message,
        [
            {
                "@type": f"{_TYPE}ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {"@type": f"{_TYPE}LocalizedMessage", "locale": "en-US", "message": message},
        ],
    )


def model_not_found(model: str, method: str) -> ApiError:
    """404 for an unknown model (the real API's wording)."""
    return ApiError(
        404,
        "NOT_FOUND",
        f"models/{model} is not found for API version v1beta, or is not supported for {method}."
        " Call ListModels to see the list of available models and their supported methods.",
    )


def payload_too_large(limit: int) -> ApiError:
    """400 for a request body over the model's size limit (message pattern of the real API)."""
    return invalid_argument(f"Request payload size exceeds the limit: {limit} bytes.")


def rate_limited(model: str, *, retry_after: float, daily: bool) -> ApiError:
    """429 RESOURCE_EXHAUSTED shaped like a live free-tier answer; per-minute ones carry RetryInfo."""
    period = "Day" if daily else "Minute"
    metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
    violation = {
        "quotaMetric": metric,
        "quotaId": f"GenerateRequestsPer{period}PerProjectPerModel-FreeTier",
        "quotaDimensions": {"location": "global", "model": model},
        "quotaValue": "250" if daily else "10",
    }
    message = (
        "You exceeded your current quota, please check your plan and billing details."
        f" For more information on this error, head to: {_RATE_LIMIT_DOC}.\n"
        f"* Quota exceeded for metric: {metric}, limit: {violation['quotaValue']}, model: {model}"
    )
    details: list[dict[str, Any]] = [
        {"@type": f"{_TYPE}QuotaFailure", "violations": [violation]},
        {
            "@type": f"{_TYPE}Help",
            "links": [
                {"description": "Learn more about Gemini API quotas", "url": _RATE_LIMIT_DOC}
            ],
        },
    ]
    headers: dict[str, str] = {}
    if not daily:
        # A per-day quota does not clear in seconds, so only the per-minute one says when to retry.
        message += f"\nPlease retry in {_duration(retry_after)}."
        details.append({"@type": f"{_TYPE}RetryInfo", "retryDelay": _duration(retry_after)})
        headers["Retry-After"] = str(math.ceil(retry_after))
    return ApiError(429, "RESOURCE_EXHAUSTED", message, details, headers)


def internal() -> ApiError:
    """500 INTERNAL (the real API's wording)."""
    return ApiError(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in"
        " https://developers.generativeai.google/guide/troubleshooting",
    )


def unavailable() -> ApiError:
    """503 UNAVAILABLE (the real API's wording for an overloaded model)."""
    return ApiError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


def shutting_down() -> ApiError:
    """503 UNAVAILABLE for a request still waiting when the server stops (simulator wording)."""
    return ApiError(503, "UNAVAILABLE", "The simulator is shutting down. Please try again later.")


def deadline_exceeded() -> ApiError:
    """504 DEADLINE_EXCEEDED."""
    return ApiError(
        504,
        "DEADLINE_EXCEEDED",
        "The request timed out. Please try again.",
    )


def _duration(seconds: float) -> str:
    """google.protobuf.Duration JSON text, e.g. 34.4s or 2s."""
    return f"{seconds:g}s"
