"""A turn's `expect:` checks, judged against the answer, each with expected and actual values."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from wisdomgate.catalog import ASPECT_TOLERANCE, parse_ratio
from wisdomgate.recipe import Expectations
from wisdomgate.run.answer import Answer, OutputImage

__all__ = ["ExpectationResult", "check_expectations"]


@dataclass(frozen=True)
class ExpectationResult:
    """One check: its name, what the recipe expected, what the answer had, and the verdict."""

    name: str
    expected: Any
    actual: Any
    passed: bool

    def to_json(self) -> dict[str, Any]:
        """The manifest form."""
        return {
            "name": self.name,
            "expected": self.expected,
            "actual": self.actual,
            "passed": self.passed,
        }

    def describe(self) -> str:
        """One line for humans: `images: expected 1, got 0`."""
        return f"{self.name}: expected {self.expected!r}, got {self.actual!r}"


def check_expectations(
    expect: Expectations,
    answer: Answer,
    *,
    known_sizes: Callable[[str], Collection[tuple[int, int]]] = lambda ratio: (),
) -> list[ExpectationResult]:
    """Judge every expectation the turn sets, in the contract's order.

    known_sizes(ratio) gives the model's documented pixel sizes for an aspect ratio: those count
    as that ratio even when more than 1% off (gemini-2.5-flash-image's 16:9 is 1344x768, 1.6%).
    """
    images = answer.final_images
    results: list[ExpectationResult] = []
    if expect.images is not None:
        results.append(_result("images", expect.images, len(images), len(images) >= expect.images))
    if expect.mime_type is not None:
        mimes = [image.mime_type for image in images]
        ok = bool(mimes) and all(mime == expect.mime_type for mime in mimes)
        results.append(_result("mime_type", expect.mime_type, mimes, ok))
    if expect.aspect_ratio is not None:
        results.append(_aspect(expect.aspect_ratio, images, set(known_sizes(expect.aspect_ratio))))
    if expect.size is not None:
        sizes = [_size_text(image) for image in images]
        wanted = f"{expect.size[0]}x{expect.size[1]}"
        results.append(_result("size", wanted, sizes, bool(sizes) and set(sizes) == {wanted}))
    results.extend(_text_checks(expect, answer.text))
    if expect.finish_reason is not None:
        actual = answer.finish_reason
        results.append(
            _result("finish_reason", expect.finish_reason, actual, actual == expect.finish_reason)
        )
    if expect.grounded is not None:
        results.append(
            _result(
                "grounded", expect.grounded, answer.grounded, answer.grounded == expect.grounded
            )
        )
    if expect.max_total_tokens is not None:
        total = answer.total_tokens
        ok = total is not None and total <= expect.max_total_tokens
        results.append(_result("max_total_tokens", expect.max_total_tokens, total, ok))
    return results


def _result(name: str, expected: Any, actual: Any, passed: bool) -> ExpectationResult:
    return ExpectationResult(name, expected, actual, passed)


def _aspect(
    ratio: str, images: tuple[OutputImage, ...], known: set[tuple[int, int]]
) -> ExpectationResult:
    target = parse_ratio(ratio)
    actual = [_ratio_text(image) for image in images]
    if target is None:  # validation refuses these; a hand-built Expectations may not
        return _result("aspect_ratio", ratio, actual, False)

    def fits(image: OutputImage) -> bool:
        if image.width is None or image.height is None or image.height == 0:
            return False
        if (image.width, image.height) in known:
            return True
        return abs(Fraction(image.width, image.height) - target) <= target * Fraction(
            ASPECT_TOLERANCE
        )

    ok = bool(images) and all(fits(image) for image in images)
    return _result("aspect_ratio", ratio, actual, ok)


def _text_checks(expect: Expectations, text: str) -> list[ExpectationResult]:
    results = []
    for needle in expect.text_contains:
        results.append(_result("text_contains", needle, _excerpt(text), needle in text))
    if expect.text_matches is not None:
        found = re.search(expect.text_matches, text)
        actual = found.group(0) if found else _excerpt(text)
        results.append(_result("text_matches", expect.text_matches, actual, found is not None))
    return results


def _size_text(image: OutputImage) -> str:
    if image.width is None or image.height is None:
        return "undecodable"
    return f"{image.width}x{image.height}"


def _ratio_text(image: OutputImage) -> str:
    if image.width is None or image.height is None or image.height == 0:
        return "undecodable"
    return f"{image.width}x{image.height} ({image.width / image.height:.4f})"


def _excerpt(text: str, limit: int = 200) -> str:
    # The whole answer is in turn-<N>.txt; the report only needs enough to see what went wrong.
    return text if len(text) <= limit else text[: limit - 1] + "…"
