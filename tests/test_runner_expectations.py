"""Each expectation passes and fails on its own, reporting expected and actual values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.conftest import PngMaker, ResponseMaker
from wisdomgate.catalog import parse_ratio
from wisdomgate.recipe.plan import Expectations
from wisdomgate.run.answer import Answer
from wisdomgate.run.expectations import ExpectationResult, check_expectations


def only(results: list[ExpectationResult]) -> ExpectationResult:
    assert len(results) == 1
    return results[0]


def test_no_expectations_means_no_checks(make_response: ResponseMaker) -> None:
    assert check_expectations(Expectations(), Answer.from_response(make_response(text="hi"))) == []


@pytest.mark.parametrize(("count", "passed"), [(1, True), (2, False)])
def test_images_is_a_minimum_count(
    make_png: PngMaker, make_response: ResponseMaker, count: int, passed: bool
) -> None:
    answer = Answer.from_response(make_response(images=[make_png()]))
    result = only(check_expectations(Expectations(images=count), answer))
    assert (result.name, result.expected, result.actual, result.passed) == (
        "images",
        count,
        1,
        passed,
    )


def test_mime_type_must_match_every_image(make_png: PngMaker, make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(images=[make_png()]))
    assert only(check_expectations(Expectations(mime_type="image/png"), answer)).passed
    failed = only(check_expectations(Expectations(mime_type="image/jpeg"), answer))
    assert not failed.passed and failed.actual == ["image/png"]


@pytest.mark.parametrize(
    ("size", "passed"), [((1600, 900), True), ((1376, 768), True), ((1344, 768), False)]
)
def test_aspect_ratio_allows_one_percent_using_decoded_pixels(
    make_png: PngMaker, make_response: ResponseMaker, size: tuple[int, int], passed: bool
) -> None:
    answer = Answer.from_response(make_response(images=[make_png(*size)]))
    assert only(check_expectations(Expectations(aspect_ratio="16:9"), answer)).passed is passed


def test_aspect_ratio_accepts_the_models_documented_size(
    make_png: PngMaker, make_response: ResponseMaker
) -> None:
    # gemini-2.5-flash-image's 16:9 is 1344x768: 1.6% off the exact ratio, yet what it returns.
    answer = Answer.from_response(make_response(images=[make_png(1344, 768)]))
    expect = Expectations(aspect_ratio="16:9")
    result = only(check_expectations(expect, answer, known_sizes=lambda ratio: [(1344, 768)]))
    assert result.passed


def test_aspect_ratio_fails_without_images(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="no picture"))
    assert not only(check_expectations(Expectations(aspect_ratio="1:1"), answer)).passed


def test_size_is_exact(make_png: PngMaker, make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(images=[make_png(32, 16)]))
    assert only(check_expectations(Expectations(size=(32, 16)), answer)).passed
    failed = only(check_expectations(Expectations(size=(16, 16)), answer))
    assert (failed.expected, failed.actual, failed.passed) == ("16x16", ["32x16"], False)


def test_text_contains_checks_each_string(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="Sunlight and water"))
    results = check_expectations(Expectations(text_contains=("Sunlight", "sugar")), answer)
    assert [(r.expected, r.passed) for r in results] == [("Sunlight", True), ("sugar", False)]


def test_text_matches_is_a_regex_search(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="CO2 + H2O"))
    assert only(check_expectations(Expectations(text_matches=r"CO\d"), answer)).actual == "CO2"
    assert not only(check_expectations(Expectations(text_matches=r"^H2O"), answer)).passed


def test_finish_reason_compares_the_candidates_reason(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="t", finish="MAX_TOKENS"))
    result = only(check_expectations(Expectations(finish_reason="STOP"), answer))
    assert (result.actual, result.passed) == ("MAX_TOKENS", False)


@pytest.mark.parametrize(
    ("grounded", "expected", "passed"), [(True, True, True), (False, True, False)]
)
def test_grounded_means_grounding_metadata_is_present(
    make_response: ResponseMaker, grounded: bool, expected: bool, passed: bool
) -> None:
    answer = Answer.from_response(make_response(text="t", grounded=grounded))
    assert only(check_expectations(Expectations(grounded=expected), answer)).passed is passed


def test_max_total_tokens_is_an_upper_bound(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="t", total_tokens=1500))
    assert only(check_expectations(Expectations(max_total_tokens=1500), answer)).passed
    failed = only(check_expectations(Expectations(max_total_tokens=1000), answer))
    assert (failed.actual, failed.passed) == (1500, False)


def test_describe_names_expected_and_actual(make_response: ResponseMaker) -> None:
    answer = Answer.from_response(make_response(text="t"))
    result = only(check_expectations(Expectations(images=1), answer))
    assert result.describe() == "images: expected 1, got 0"


@pytest.mark.parametrize(("ratio", "size"), [("1.5:1", (24, 16)), ("16:9.5", (32, 19))])
def test_aspect_ratio_may_be_written_with_decimals(
    make_png: PngMaker, make_response: ResponseMaker, ratio: str, size: tuple[int, int]
) -> None:
    answer = Answer.from_response(make_response(images=[make_png(*size)]))
    assert only(check_expectations(Expectations(aspect_ratio=ratio), answer)).passed


@pytest.mark.parametrize(
    ("text", "ratio"),
    [("16:9", Fraction(16, 9)), ("1.5:1", Fraction(3, 2)), (" 16 : 9.5 ", Fraction(32, 19))],
)
def test_parse_ratio_reads_positive_w_h_exactly(text: str, ratio: Fraction) -> None:
    assert parse_ratio(text) == ratio


@pytest.mark.parametrize("text", ["16:0", "0:1", "0.0:1", "16/9", "a:b", "-1:2", "1e3:1", "16:9:1"])
def test_parse_ratio_refuses_anything_but_positive_w_h(text: str) -> None:
    assert parse_ratio(text) is None
