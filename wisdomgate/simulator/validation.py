"""Request checks, in the order and wording of the real API: JSON, schema, unknown fields,
enum values, base64, then model-specific rules (image options, thinking, history, limits)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import Enum
from typing import Any, TypeVar

from pydantic import ValidationError

from wisdomgate.catalog import ModelInfo
from wisdomgate.simulator import errors
from wisdomgate.simulator.content_rules import check_images_decode, check_safety_settings
from wisdomgate.simulator.errors import ApiError
from wisdomgate.simulator.field_paths import Part, format_path, loc_parts, unknown_fields, walk
from wisdomgate.simulator.proto_scalars import scalar_problems
from wisdomgate.simulator.request_view import InlineImage, ParsedRequest
from wisdomgate.simulator.signatures import SignatureCheck, Signer
from wisdomgate_api import ApiModel, OpenStrEnum
from wisdomgate_api.models import Content, GenerateContentRequest, GenerationConfig

__all__ = [
    "check_generate_request",
    "check_size",
    "decode_blobs",
    "parse_model",
]

M = TypeVar("M", bound=ApiModel)
_PROTO_PACKAGE = "type.googleapis.com/google.ai.generativelanguage.v1beta"
_SIGNATURE_DOC = "https://ai.google.dev/gemini-api/docs/thought-signatures#model-behavior"
_TYPE_NAMES = {
    "string": "TYPE_STRING",
    "int": "TYPE_INT32",
    "float": "TYPE_FLOAT",
    "bool": "TYPE_BOOL",
}


def parse_model(cls: type[M], data: dict[str, Any], message_name: str) -> M:
    """Validate data as cls; unknown fields, bad types and unknown enum values give 400."""
    try:
        parsed = cls.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc, data, message_name) from None
    scalars = [
        _invalid_value(format_path(path), kind, value)
        for path, kind, value in scalar_problems(cls, data)
    ]
    if scalars:
        raise errors.bad_request(scalars)
    unknown = list(unknown_fields(parsed))
    if unknown:
        raise errors.bad_request([_unknown_violation(parent, name) for parent, name in unknown])
    bad_enums = [
        _enum_violation(format_path(parts), value)
        for parts, value in walk(parsed)
        if isinstance(value, OpenStrEnum) and not _known_enum(value)
    ]
    if bad_enums:
        raise errors.bad_request(bad_enums)
    return parsed


def check_generate_request(
    request: GenerateContentRequest,
    model: ModelInfo,
    signer: Signer,
    request_hash: str,
    *,
    harm_categories: tuple[str, ...],
) -> ParsedRequest:
    """Every model-level rule of generateContent; the checked request view."""
    _check_contents(request)
    check_safety_settings(request, harm_categories)
    images = tuple(decode_blobs(request.contents))
    _check_generation_config(request.generation_config, model)
    _check_history(request, images, model, signer)
    _check_reference_limit(images, model)
    # Last: the real API only finds out while processing the images, after the request checks.
    check_images_decode(images)
    return ParsedRequest(model=model, request=request, images=images, request_hash=request_hash)


def check_size(size: int, limit: int) -> None:
    """400 'Request payload size exceeds the limit' for a body of size bytes over limit."""
    if size > limit:
        raise errors.payload_too_large(limit)


# ---------------------------------------------------------------- schema-level problems


def _schema_error(exc: ValidationError, data: Any, message_name: str) -> ApiError:
    violations: list[tuple[str | None, str]] = []
    for error in exc.errors():
        missing = error["type"] == "missing"
        parts = loc_parts(error["loc"], data, missing=missing)
        path = format_path(parts)
        if missing:
            name = format_path(parts[-1:])
            violations.append((path, f"* {message_name}.{path}: {name} is not specified"))
        else:
            kind = _TYPE_NAMES.get(error["type"].split("_")[0], "TYPE_MESSAGE")
            violations.append(_invalid_value(path, kind, error.get("input")))
    return errors.bad_request(violations)


def _invalid_value(path: str, kind: str, value: Any) -> tuple[str | None, str]:
    shown = json.dumps(value, default=str)[:100]
    return (path, f"Invalid value at '{path}' ({kind}), {shown}")


def _unknown_violation(parent: tuple[Part, ...], name: str) -> tuple[str | None, str]:
    where = format_path(parent)
    suffix = f" at '{where}'" if where else ""
    text = f'Invalid JSON payload received. Unknown name "{name}"{suffix}: Cannot find field.'
    return (where or None, text)


def _enum_violation(path: str, value: Enum) -> tuple[str | None, str]:
    kind = f"{_PROTO_PACKAGE}.{type(value).__name__}"
    return (path, f"Invalid value at '{path}' ({kind}), \"{value}\"")


def _known_enum(value: Enum) -> bool:
    # The live API accepts enum names in any case ("Image", "low"), so compare case-insensitively.
    known = {str(member.value).lower() for member in type(value)}
    return str(value.value).lower() in known


# ---------------------------------------------------------------- contents and inline data


def _check_contents(request: GenerateContentRequest) -> None:
    if not request.contents:
        raise errors.invalid_argument(
            "* GenerateContentRequest.contents: contents is not specified\n"
        )
    for index, content in enumerate(request.contents):
        if not content.parts:
            raise errors.invalid_argument(
                f"* GenerateContentRequest.contents[{index}].parts: contents.parts must not be empty.\n"
            )
        if content.role not in (None, "", "user", "model"):
            raise errors.invalid_argument("Please use a valid role: user, model.")


def decode_blobs(contents: list[Content]) -> Iterator[InlineImage]:
    """Every inlineData blob (base64 checked); 400 for data that is not base64."""
    for ci, content in enumerate(contents):
        for pi, part in enumerate(content.parts or []):
            blob = part.inline_data
            if blob is None or blob.data is None:
                continue
            try:
                data = blob.data.to_bytes()
            except ValueError:
                path = f"contents[{ci}].parts[{pi}].inline_data.data"
                shown = str(blob.data)[:40]
                raise errors.bad_request(
                    [
                        (
                            path,
                            f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"",
                        )
                    ]
                ) from None
            role = content.role or "user"
            yield InlineImage(ci, pi, role, blob.mime_type or "", data)


# ---------------------------------------------------------------- generation config


def _check_generation_config(config: GenerationConfig | None, model: ModelInfo) -> None:
    if config is None:
        return
    thinking = config.thinking_config
    if thinking and thinking.thinking_budget is not None and thinking.thinking_level is not None:
        raise errors.invalid_argument(
            "You can only set only one of thinking budget and thinking level."
        )
    modalities = {str(m.value).upper() for m in config.response_modalities or []}
    allowed = {"TEXT", "IMAGE"} if model.is_image else {"TEXT"}
    if modalities - allowed - {"MODALITY_UNSPECIFIED"}:
        listed = ", ".join(sorted(m.lower() for m in modalities))
        raise errors.invalid_argument(
            f"Model does not support the requested response modalities: {listed}"
        )
    image_config = config.image_config
    if image_config is None:
        return
    if not model.is_image:
        # simulator wording
        raise errors.invalid_argument(f"Image config is not supported for models/{model.name}.")
    if (
        image_config.aspect_ratio is not None
        and image_config.aspect_ratio not in model.aspect_ratios
    ):
        raise errors.invalid_argument(  # simulator wording
            f"Unsupported aspect ratio: {image_config.aspect_ratio}. Supported values for"
            f" models/{model.name} are: {', '.join(model.aspect_ratios)}."
        )
    if image_config.image_size is not None and image_config.image_size not in model.image_sizes:
        raise errors.invalid_argument(  # simulator wording
            f"Unsupported image size: {image_config.image_size}. Supported values for"
            f" models/{model.name} are: {', '.join(model.image_sizes)}."
        )


# ---------------------------------------------------------------- history and limits


def _check_history(
    request: GenerateContentRequest,
    images: tuple[InlineImage, ...],
    model: ModelInfo,
    signer: Signer,
) -> None:
    """Gemini 3 models: signatures must be ours; image parts of model turns must carry one."""
    if not model.thought_signatures:
        return
    blobs = {(image.content_index, image.part_index): image.data for image in images}
    for ci, content in enumerate(request.contents):
        if content.role != "model":
            continue
        for pi, part in enumerate(content.parts or []):
            data = blobs.get((ci, pi))
            if part.thought_signature is not None:
                if signer.check(str(part.thought_signature), data) == SignatureCheck.CORRUPTED:
                    raise errors.invalid_argument("Corrupted thought signature.")
            elif data is not None and model.is_image:
                raise errors.invalid_argument(
                    "Image part is missing a thought_signature in content position"
                    f" {ci + 1}, part position {pi + 1}. Please refer to {_SIGNATURE_DOC}"
                    " for more details."
                )


def _check_reference_limit(images: tuple[InlineImage, ...], model: ModelInfo) -> None:
    limit = model.max_reference_images
    count = sum(1 for image in images if image.role != "model" and image.is_image)
    if limit is not None and count > limit:
        raise errors.invalid_argument(  # simulator wording
            f"Too many input images: {count}. models/{model.name} accepts at most {limit}"
            " reference images per request."
        )
