"""Each outcome is named, with its reason and the model's own words."""

from __future__ import annotations

import httpx

from tests.conftest import PngMaker, ResponseMaker
from wisdomgate.recipe.plan import Expectations
from wisdomgate.run.answer import Answer
from wisdomgate.run.expectations import check_expectations
from wisdomgate.run.outcomes import OutcomeKind, TurnOutcome, classify_answer, classify_error
from wisdomgate_api import AnswerLostError, APIConnectionError, RateLimitError


def classify(
    answer: Answer, expect: Expectations | None = None, *, image_expected: bool = True
) -> TurnOutcome:
    expect = expect or Expectations()
    return classify_answer(
        answer,
        check_expectations(expect, answer),
        image_expected=image_expected,
        expected_finish=expect.finish_reason,
    )


def test_an_image_answer_passes(make_png: PngMaker, make_response: ResponseMaker) -> None:
    outcome = classify(Answer.from_response(make_response(images=[make_png()])))
    assert (outcome.kind, outcome.passed, outcome.reason) == (OutcomeKind.OK, True, "")


def test_a_blocked_prompt_names_the_block_reason(make_response: ResponseMaker) -> None:
    outcome = classify(Answer.from_response(make_response(block="PROHIBITED_CONTENT")))
    assert outcome.kind is OutcomeKind.BLOCKED and not outcome.passed
    assert outcome.block_reason == "PROHIBITED_CONTENT"
    assert "prompt blocked: PROHIBITED_CONTENT" in outcome.reason


def test_image_safety_reports_the_finish_message(make_response: ResponseMaker) -> None:
    response = make_response(finish="IMAGE_SAFETY", finish_message="Unable to show this image.")
    outcome = classify(Answer.from_response(response))
    assert outcome.kind is OutcomeKind.IMAGE_SAFETY and not outcome.passed
    assert "finishReason IMAGE_SAFETY" in outcome.reason
    assert "Unable to show this image." in outcome.reason
    assert outcome.model_text == "Unable to show this image."


def test_no_image_reports_the_models_text(make_response: ResponseMaker) -> None:
    outcome = classify(
        Answer.from_response(make_response(text="I drew nothing.", finish="NO_IMAGE"))
    )
    assert outcome.kind is OutcomeKind.NO_IMAGE
    assert "I drew nothing." in outcome.reason


def test_max_tokens_is_its_own_outcome(make_response: ResponseMaker) -> None:
    outcome = classify(Answer.from_response(make_response(text="cut", finish="MAX_TOKENS")))
    assert (outcome.kind, outcome.finish_reason) == (OutcomeKind.MAX_TOKENS, "MAX_TOKENS")


def test_other_finish_reasons_are_reported_by_name(make_response: ResponseMaker) -> None:
    outcome = classify(Answer.from_response(make_response(text="x", finish="RECITATION")))
    assert outcome.kind is OutcomeKind.FINISH_REASON
    assert "finishReason RECITATION" in outcome.reason


def test_an_expected_finish_reason_is_not_a_failure(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="cut", finish="MAX_TOKENS"))
    outcome = classify(answer, Expectations(finish_reason="MAX_TOKENS"), image_expected=False)
    assert outcome.passed and outcome.kind is OutcomeKind.MAX_TOKENS


def test_text_only_when_an_image_was_expected(make_response: ResponseMaker) -> None:
    outcome = classify(Answer.from_response(make_response(text="Here is a description.")))
    assert outcome.kind is OutcomeKind.TEXT_ONLY and not outcome.passed
    assert "Here is a description." in outcome.reason


def test_text_only_is_fine_when_no_image_was_expected(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="An answer."))
    assert classify(answer, image_expected=False).passed


def test_failed_expectations_fail_the_turn_with_expected_and_actual(
    make_response: ResponseMaker,
) -> None:
    answer = Answer.from_response(make_response(text="hello"))
    outcome = classify(answer, Expectations(text_contains=("bye",)), image_expected=False)
    assert outcome.kind is OutcomeKind.EXPECTATION_FAILED
    assert outcome.reason == "text_contains: expected 'bye', got 'hello'"


def test_api_errors_carry_status_code_status_and_message() -> None:
    error = RateLimitError("Quota exceeded", status_code=429, status="RESOURCE_EXHAUSTED")
    outcome = classify_error(error)
    assert outcome.kind is OutcomeKind.API_ERROR
    assert (outcome.http_status, outcome.error_status) == (429, "RESOURCE_EXHAUSTED")
    assert outcome.reason == "API error: HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded"


def test_connection_errors_are_named() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:9")
    outcome = classify_error(APIConnectionError("connection refused", request=request))
    assert outcome.kind is OutcomeKind.CONNECTION_ERROR
    assert "connection refused" in outcome.reason


def test_a_lost_answer_is_its_own_outcome_and_says_it_may_have_been_billed() -> None:
    error = AnswerLostError(
        "the answer was lost after the server accepted the request (HTTP 200);"
        " it may have been billed: RemoteProtocolError: peer closed connection",
        status_code=200,
        cause="RemoteProtocolError",
    )
    outcome = classify_error(error)
    assert (outcome.kind, outcome.passed, outcome.http_status) == (
        OutcomeKind.ANSWER_LOST,
        False,
        200,
    )
    assert "it may have been billed" in outcome.reason
    assert "`--resume` re-sends it knowingly" in outcome.reason
