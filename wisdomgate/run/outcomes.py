"""What happened in a turn, named: blocked, IMAGE_SAFETY, NO_IMAGE, API error... never "error"."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from wisdomgate.run.answer import Answer
from wisdomgate.run.expectations import ExpectationResult
from wisdomgate_api import (
    AnswerLostError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
)
from wisdomgate_api._core.retry import quota_exhausted

__all__ = [
    "NOT_RECORDED_CAUSE",
    "OutcomeKind",
    "TurnOutcome",
    "budget_reached",
    "classify_answer",
    "classify_error",
    "folder_busy",
    "internal_error",
    "not_run",
    "undecodable_images",
]

# The `cause` of the transport error `run --replay` raises for a request its cassette lacks
# (the class name of wisdomgate.cli.replay.NotRecordedError, as every APIConnectionError's cause).
NOT_RECORDED_CAUSE = "NotRecordedError"
_TEXT_LIMIT = 500  # the model's own words in the report; the full text is in turn-<N>.txt


class OutcomeKind(StrEnum):
    """The kinds of turn outcome; the manifest and the report use these values."""

    OK = "ok"
    EXPECTATION_FAILED = "expectation_failed"
    BLOCKED = "blocked"  # promptFeedback.blockReason: the prompt was refused
    IMAGE_SAFETY = "image_safety"  # finishReason IMAGE_SAFETY
    NO_IMAGE = "no_image"  # finishReason NO_IMAGE
    MAX_TOKENS = "max_tokens"  # finishReason MAX_TOKENS
    FINISH_REASON = "finish_reason"  # any other finishReason than STOP
    TEXT_ONLY = "text_only"  # text but no image where an image was expected
    EMPTY = "empty"  # no candidate and no block reason
    API_ERROR = "api_error"  # an HTTP error status (after the client's retries)
    CONNECTION_ERROR = "connection_error"  # no HTTP answer
    ANSWER_LOST = "answer_lost"  # a 2xx whose body was lost: may have been billed, not re-sent
    INVALID_RESPONSE = "invalid_response"  # a 2xx body that does not parse
    INPUT_ERROR = "input_error"  # the request could not be built (a reference image changed)
    NOT_RUN = "not_run"  # an earlier turn failed
    INTERNAL_ERROR = "internal_error"  # an unexpected exception in wisdomgate (a bug)
    FOLDER_BUSY = "folder_busy"  # another process writes the run folder: refused, nothing sent
    NOT_RECORDED = "not_recorded"  # --replay: the cassette has no answer; nothing sent or retried
    BUDGET = "budget"  # not run: --max-cost was reached before the run started (--resume: on)


_FINISH_KINDS = {
    "IMAGE_SAFETY": OutcomeKind.IMAGE_SAFETY,
    "NO_IMAGE": OutcomeKind.NO_IMAGE,
    "MAX_TOKENS": OutcomeKind.MAX_TOKENS,
}


@dataclass(frozen=True)
class TurnOutcome:
    """The verdict of one turn: what happened, whether it passed, why, and the model's words."""

    kind: OutcomeKind
    passed: bool
    reason: str  # one line for humans; "" when the turn passed
    model_text: str | None = None  # finishMessage and/or text parts, shortened
    finish_reason: str | None = None
    block_reason: str | None = None
    http_status: int | None = None
    error_status: str | None = None
    error_message: str | None = None
    traceback: str | None = None  # internal errors only: where wisdomgate went wrong

    def to_json(self) -> dict[str, Any]:
        """The manifest form (None fields left out)."""
        data = {
            "kind": self.kind.value,
            "passed": self.passed,
            "reason": self.reason,
            "model_text": self.model_text,
            "finish_reason": self.finish_reason,
            "block_reason": self.block_reason,
            "http_status": self.http_status,
            "error_status": self.error_status,
            "error_message": self.error_message,
            "traceback": self.traceback,
        }
        return {key: value for key, value in data.items() if value is not None}


def classify_answer(
    answer: Answer,
    expectations: list[ExpectationResult],
    *,
    image_expected: bool,
    expected_finish: str | None,
) -> TurnOutcome:
    """Name what the answer is and judge it (expectations included).

    A finishReason other than STOP fails the turn unless the recipe expects exactly that reason.
    """
    words = _model_words(answer)
    common: dict[str, Any] = {
        "model_text": words,
        "finish_reason": answer.finish_reason,
        "block_reason": answer.block_reason,
    }
    failed = [result for result in expectations if not result.passed]
    failed_text = "; ".join(result.describe() for result in failed)
    if answer.block_reason is not None:
        reason = f"prompt blocked: {answer.block_reason}"
        return TurnOutcome(OutcomeKind.BLOCKED, False, _with_words(reason, words), **common)
    if answer.candidate is None:
        return TurnOutcome(OutcomeKind.EMPTY, False, "the response has no candidate", **common)
    finish = answer.finish_reason
    if finish not in (None, "STOP"):
        kind = _FINISH_KINDS.get(finish, OutcomeKind.FINISH_REASON)
        if finish == expected_finish:
            return _judged(kind, failed_text, common)
        return TurnOutcome(kind, False, _with_words(f"finishReason {finish}", words), **common)
    if image_expected and not answer.final_images:
        reason = _with_words("text-only answer where an image was expected", words)
        return TurnOutcome(OutcomeKind.TEXT_ONLY, False, reason, **common)
    return _judged(OutcomeKind.OK, failed_text, common)


def _judged(kind: OutcomeKind, failed_text: str, common: dict[str, Any]) -> TurnOutcome:
    if failed_text:
        return TurnOutcome(OutcomeKind.EXPECTATION_FAILED, False, failed_text, **common)
    return TurnOutcome(kind, True, "", **common)


def classify_error(error: Exception) -> TurnOutcome:
    """The outcome of a request that raised (after the client's own retries)."""
    if isinstance(error, APIConnectionError) and error.cause == NOT_RECORDED_CAUSE:
        message = str(error).removeprefix(f"{NOT_RECORDED_CAUSE}: ")
        return TurnOutcome(
            OutcomeKind.NOT_RECORDED, False, f"not recorded: {message}", error_message=message
        )
    if isinstance(error, APIStatusError):
        status = f" {error.status}" if error.status else ""
        # a daily or zero quota is never retried: say so, or the user waits and reruns in vain
        hint = " (daily or zero quota: not retried)" if quota_exhausted(error) else ""
        return TurnOutcome(
            OutcomeKind.API_ERROR,
            False,
            f"API error: HTTP {error.status_code}{status}{hint}: {error.message}",
            http_status=error.status_code,
            error_status=error.status,
            error_message=error.message,
        )
    if isinstance(error, APIResponseValidationError):
        return TurnOutcome(
            OutcomeKind.INVALID_RESPONSE,
            False,
            f"invalid response: {error}",
            error_message=str(error),
        )
    if isinstance(error, AnswerLostError):
        return TurnOutcome(
            OutcomeKind.ANSWER_LOST,
            False,
            f"answer lost: {error} (not sent again; `--resume` re-sends it knowingly)",
            http_status=error.status_code,
            error_message=str(error),
        )
    if isinstance(error, APIConnectionError):
        return TurnOutcome(
            OutcomeKind.CONNECTION_ERROR,
            False,
            f"connection failed: {error}",
            error_message=str(error),
        )
    return TurnOutcome(
        OutcomeKind.INVALID_RESPONSE, False, f"invalid response: {error}", error_message=str(error)
    )


def internal_error(error: Exception, redact: Callable[[str], str]) -> TurnOutcome:
    """The outcome of an unexpected exception (a bug): it fails its own run, not the others."""
    # The key must not leak through an exception's text (a URL, a header): both are redacted.
    message = redact(f"{type(error).__name__}: {error}")
    return TurnOutcome(
        OutcomeKind.INTERNAL_ERROR,
        False,
        f"internal error: {message}",
        error_message=message,
        traceback=redact("".join(traceback.format_exception(error))),
    )


def undecodable_images(answer: Answer) -> TurnOutcome:
    """The outcome of an answer whose image parts hold bytes that are not a whole image."""
    shown = ", ".join(
        f"#{n} ({answer.images[n - 1].mime_type}, {len(answer.images[n - 1].data)} bytes)"
        for n in answer.undecodable
    )
    reason = f"invalid response: image {shown} does not decode as an image"
    return TurnOutcome(
        OutcomeKind.INVALID_RESPONSE,
        False,
        reason,
        finish_reason=answer.finish_reason,
        error_message=reason.removeprefix("invalid response: "),
    )


def folder_busy(reason: str) -> TurnOutcome:
    """The outcome of every turn of a run refused because another process writes its folder."""
    return TurnOutcome(OutcomeKind.FOLDER_BUSY, False, reason)


def not_run(failed_turn: int) -> TurnOutcome:
    """The outcome of a turn after the one that failed."""
    return TurnOutcome(OutcomeKind.NOT_RUN, False, f"not run: turn {failed_turn} failed")


def budget_reached(max_usd: float, spent: float) -> TurnOutcome:
    """The outcome of every turn of a run not started because --max-cost was reached."""
    return TurnOutcome(
        OutcomeKind.BUDGET,
        False,
        f"not run: budget: --max-cost ${max_usd:g} reached (${spent:.4f} spent);"
        " `--resume` continues with a higher --max-cost",
    )


def _model_words(answer: Answer) -> str | None:
    pieces = [text for text in (answer.finish_message, answer.text.strip()) if text]
    if not pieces:
        return None
    words = " | ".join(pieces)
    return words if len(words) <= _TEXT_LIMIT else words[: _TEXT_LIMIT - 1] + "…"


def _with_words(reason: str, words: str | None) -> str:
    return f"{reason} — model said: {words}" if words else reason
