"""Semantic checks of a planned run against the model catalog, and the expectations' parsing.

These catch what the API would reject (or what could never pass) before any money is spent.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from wisdomgate.catalog import (
    ASPECT_TOLERANCE,
    ModelInfo,
    UnsupportedImageOptionError,
    load_catalog,
    parse_ratio,
)
from wisdomgate.errors import FieldPath, Issue
from wisdomgate.recipe.api_fields import enum_values
from wisdomgate.recipe.issues import did_you_mean, suggestion
from wisdomgate.recipe.plan import Expectations
from wisdomgate_api.models import FinishReason, GenerationConfig, ResponseModality

__all__ = [
    "check_config",
    "check_model",
    "check_reference_images",
    "parse_expectations",
    "request_bytes",
]

# Plausible model ids that the catalog does not know are accepted (with a warning): new models
# appear faster than the catalog is updated. Names close to a known one are typos, and errors.
MODEL_ID = re.compile(r"^(models/)?[a-z][a-z0-9]*(?:[-.][a-z0-9]+)+$")
TYPO_CUTOFF = 0.8
PART_OVERHEAD = 100  # JSON around each part ({"inlineData": {"mimeType": ..., "data": ...}})

Where = Callable[[FieldPath], FieldPath]  # a path in the merged config -> where it is written


def check_model(name: str, path: FieldPath) -> tuple[ModelInfo | None, list[Issue]]:
    """The catalog entry of a model; unknown models are errors unless they look like new ids."""
    catalog = load_catalog()
    info = catalog.get(name)
    if info is not None:
        return info, []
    names = catalog.names()
    close = did_you_mean(name, names)
    known = ", ".join(names)
    if close is not None and _similar(name, close):
        return None, [Issue(path, f"unknown model '{name}'", f"did you mean '{close}'?")]
    if MODEL_ID.match(name):
        message = (
            f"model '{name}' is not in the catalog; its aspect ratios, sizes and limits are not"
            " checked"
        )
        return None, [Issue(path, message, f"known models: {known}", severity="warning")]
    return None, [Issue(path, f"'{name}' is not a model id", f"use one of {known}")]


def _similar(name: str, close: str) -> bool:
    return difflib.SequenceMatcher(None, name.lower(), close.lower()).ratio() >= TYPO_CUTOFF


def check_config(info: ModelInfo | None, config: GenerationConfig, where: Where) -> list[Issue]:
    """What the API rejects in a generationConfig: thinking options together, and options the
    model does not have."""
    issues = []
    thinking = config.thinking_config
    if thinking and thinking.thinking_budget is not None and thinking.thinking_level is not None:
        message = "thinkingBudget and thinkingLevel cannot be used together (the API rejects it)"
        fix = "keep one: thinkingLevel for Gemini 3 models, thinkingBudget for 2.5 models"
        issues.append(Issue(where(("thinkingConfig",)), message, fix))
    if info is None:
        return issues
    image_models = ", ".join(m.name for m in load_catalog().models() if m.is_image)
    if not info.is_image:
        if config.image_config is not None:
            message = f"imageConfig is for image models; {info.name} makes text only"
            fix = f"remove imageConfig, or use an image model ({image_models})"
            issues.append(Issue(where(("imageConfig",)), message, fix))
        if ResponseModality.IMAGE in (config.response_modalities or []):
            message = f"responseModalities asks for IMAGE but {info.name} makes text only"
            fix = f"remove IMAGE, or use an image model ({image_models})"
            issues.append(Issue(where(("responseModalities",)), message, fix))
        return issues
    image = config.image_config
    if image is not None and image.aspect_ratio is not None:
        issues += _one_of("aspectRatio", image.aspect_ratio, info.aspect_ratios, info, where)
    if image is not None and image.image_size is not None:
        if not info.image_sizes:
            message = f"imageSize is not supported by {info.name}"
            issues.append(Issue(where(("imageConfig", "imageSize")), message, "remove imageSize"))
        else:
            issues += _one_of("imageSize", image.image_size, info.image_sizes, info, where)
    return issues


def _one_of(
    key: str, value: str, allowed: tuple[str, ...], info: ModelInfo, where: Where
) -> list[Issue]:
    if value in allowed:
        return []
    listed = ", ".join(allowed)
    message = f"{key} '{value}' is not one of {listed} for {info.name}"
    return [Issue(where(("imageConfig", key)), message, f"use one of {listed}")]


def check_reference_images(
    info: ModelInfo | None, count: int, turn: int, path: FieldPath
) -> list[Issue]:
    """The API counts every user image of the conversation so far against the model's limit."""
    limit = info.max_reference_images if info else None
    if info is None or limit is None or count <= limit:
        return []
    message = (
        f"{count} reference images in the conversation up to turn {turn};"
        f" {info.name} accepts at most {limit}"
    )
    fix = "send fewer images; earlier turns' images count too"
    return [Issue(path, message, fix)]


def request_bytes(texts: list[str], image_sizes: list[int]) -> int:
    """Estimated JSON size of a request: text, base64 images and the JSON around them."""
    text = sum(len(t.encode()) for t in texts)
    images = sum(4 * math.ceil(size / 3) for size in image_sizes)
    return text + images + PART_OVERHEAD * (len(texts) + len(image_sizes))


def parse_expectations(
    raw: Mapping[str, Any],
    path: FieldPath,
    info: ModelInfo | None,
    config: GenerationConfig | None,
    grounding_tools: bool | None,
) -> tuple[Expectations, list[Issue]]:
    """Rendered `expect:` values -> Expectations, with every value checked."""
    issues: list[Issue] = []
    size = _parse_size(raw.get("size"), (*path, "size"), issues)
    for key, check in _VALUE_CHECKS.items():
        if raw.get(key) is not None:
            issues += check(str(raw[key]), (*path, key))
    contains = raw.get("text_contains")
    expectations = Expectations(
        images=raw.get("images"),
        mime_type=raw.get("mime_type"),
        aspect_ratio=raw.get("aspect_ratio"),
        size=size,
        text_contains=(contains,) if isinstance(contains, str) else tuple(contains or ()),
        text_matches=raw.get("text_matches"),
        finish_reason=raw.get("finish_reason"),
        grounded=raw.get("grounded"),
        max_total_tokens=raw.get("max_total_tokens"),
    )
    if expectations.grounded and grounding_tools is False:
        fix = "add tools: [google_search], or remove grounded"
        issues.append(Issue((*path, "grounded"), "grounded: true needs a grounding tool", fix))
    issues += _consistency(expectations, path, info, config)
    return expectations, issues


def _parse_size(value: Any, path: FieldPath, issues: list[Issue]) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(value))
    if not match or not int(match[1]) or not int(match[2]):
        issues.append(Issue(path, f"size '{value}' is not WIDTHxHEIGHT", "write e.g. 1024x1024"))
        return None
    return int(match[1]), int(match[2])


def _check_ratio(value: str, path: FieldPath) -> list[Issue]:
    if parse_ratio(value) is None:
        return [Issue(path, f"aspect_ratio '{value}' is not W:H", "write e.g. 16:9")]
    return []


def _check_regex(value: str, path: FieldPath) -> list[Issue]:
    try:
        re.compile(value)
    except re.error as exc:
        message = f"text_matches is not a valid regular expression: {exc.msg} at position {exc.pos}"
        return [Issue(path, message, "escape special characters with \\, e.g. \\( or \\.")]
    return []


def _check_finish_reason(value: str, path: FieldPath) -> list[Issue]:
    if FinishReason(value).is_known:
        return []
    known = enum_values(FinishReason)
    message = f"finish_reason '{value}' is not one of {', '.join(known)}"
    return [Issue(path, message, suggestion(value, known))]


def _check_mime_type(value: str, path: FieldPath) -> list[Issue]:
    if re.fullmatch(r"image/[a-z0-9.+-]+", value):
        return []
    return [Issue(path, f"mime_type '{value}' is not an image MIME type", "write e.g. image/png")]


_VALUE_CHECKS: dict[str, Callable[[str, FieldPath], list[Issue]]] = {
    "aspect_ratio": _check_ratio,
    "text_matches": _check_regex,
    "finish_reason": _check_finish_reason,
    "mime_type": _check_mime_type,
}


def _consistency(
    expect: Expectations, path: FieldPath, info: ModelInfo | None, config: GenerationConfig | None
) -> list[Issue]:
    """Expectations that can never pass with this model and config."""
    wants_images = [
        k for k in ("images", "mime_type", "aspect_ratio", "size") if getattr(expect, k)
    ]
    if not wants_images:
        return []
    where = (*path, wants_images[0])
    if info is not None and not info.is_image:
        return [
            Issue(where, f"expects images but {info.name} makes text only", "use an image model")
        ]
    modalities = config.response_modalities if config else None
    if (
        modalities
        and all(m.is_known for m in modalities)
        and ResponseModality.IMAGE not in modalities
    ):
        fix = "add IMAGE to responseModalities"
        return [Issue(where, "expects images but responseModalities has no IMAGE", fix)]
    image = config.image_config if config else None
    if info is None or image is None or image.aspect_ratio is None:
        return []
    return _size_consistency(expect, path, info, image.aspect_ratio, image.image_size)


def _size_consistency(
    expect: Expectations, path: FieldPath, info: ModelInfo, aspect: str, size: str | None
) -> list[Issue]:
    try:
        width, height = info.image_dimensions(aspect, size)
    except UnsupportedImageOptionError:
        return []  # reported by check_config
    issues = []
    # Compared with the configured ratio, not the pixels: documented sizes may be >1% off
    # (2.5 Flash Image's 16:9 is 1344x768) and the expectation check accepts them.
    expected_ratio = parse_ratio(expect.aspect_ratio) if expect.aspect_ratio else None
    configured = parse_ratio(aspect) or Fraction(width, height)
    if expected_ratio and abs(configured / expected_ratio - 1) > ASPECT_TOLERANCE:
        message = (
            f"aspect_ratio {expect.aspect_ratio} can never match: the config asks for {aspect}"
        )
        issues.append(
            Issue((*path, "aspect_ratio"), message, f"expect {aspect}", severity="warning")
        )
    if expect.size and expect.size != (width, height):
        shown = f"{expect.size[0]}x{expect.size[1]}"
        message = f"size {shown} can never match: {info.name} makes {width}x{height} at {aspect}"
        fix = f"expect {width}x{height}"
        issues.append(Issue((*path, "size"), message, fix, severity="warning"))
    return issues
