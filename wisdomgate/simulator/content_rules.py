"""Request rules on parts, safety settings and inline images, with the real API's wording.

`check_part_oneofs` runs on the raw JSON (the real API refuses such a part while parsing, and
its message names the member as the client spelled it); the others run on the parsed request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from wisdomgate.simulator import errors
from wisdomgate.simulator.images import decodes
from wisdomgate.simulator.request_view import InlineImage
from wisdomgate_api.models import GenerateContentRequest

__all__ = ["check_images_decode", "check_part_oneofs", "check_safety_settings"]

# Members of the Part proto's `oneof data` (content.proto), in both JSON spellings ProtoJSON
# accepts. thought, thoughtSignature, videoMetadata... sit outside the oneof.
_DATA_MEMBERS: Final = frozenset(
    {
        *("text", "inlineData", "inline_data", "functionCall", "function_call"),
        *("functionResponse", "function_response", "fileData", "file_data"),
        *("executableCode", "executable_code", "codeExecutionResult", "code_execution_result"),
    }
)
_NESTED_REQUEST: Final = ("generateContentRequest", "generate_content_request")
_SYSTEM: Final = ("systemInstruction", "system_instruction")


def check_part_oneofs(data: Mapping[str, Any]) -> None:
    """400 for a part that sets two members of the `data` oneof (e.g. text and inlineData)."""
    for where, part in _parts(data, ""):
        # A JSON null leaves a member unset, so only members with a value count.
        members = [key for key, value in part.items() if key in _DATA_MEMBERS and value is not None]
        if len(members) > 1:
            text = (
                f"Invalid value at '{where}' (oneof), oneof field 'data' is already set."
                f" Cannot set '{members[1]}'"
            )
            raise errors.bad_request([(where, text)])


def _parts(data: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, part) for every part of contents, systemInstruction and a nested request."""
    contents = data.get("contents")
    for ci, content in enumerate(contents if isinstance(contents, list) else []):
        yield from _content_parts(content, f"{prefix}contents[{ci}]")
    for key in _SYSTEM:
        yield from _content_parts(data.get(key), f"{prefix}system_instruction")
    for key in _NESTED_REQUEST:
        nested = data.get(key)
        if isinstance(nested, Mapping):
            yield from _parts(nested, f"{prefix}generate_content_request.")


def _content_parts(content: object, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    parts = content.get("parts") if isinstance(content, Mapping) else None
    for pi, part in enumerate(parts if isinstance(parts, list) else []):
        if isinstance(part, Mapping):
            yield f"{where}.parts[{pi}]", part


def check_safety_settings(
    request: GenerateContentRequest, harm_categories: tuple[str, ...]
) -> None:
    """400 for a category the API does not accept (PaLM-era ones) or one set twice."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, setting in enumerate(request.safety_settings or []):
        # Enum names are case-insensitive on the live API ("harm_category_harassment" works).
        category = str(setting.category.value).upper()
        where = f"* GenerateContentRequest.safety_settings[{index}]"
        if category not in harm_categories:
            listed = ", ".join(f"HarmCategory.{name}" for name in harm_categories)
            problems.append(f"{where}: element predicate failed: $.category in ({listed})\n")
        elif category in seen:
            problems.append(  # simulator wording: no live capture of this error was found
                f"{where}: category {category} is already set by"
                f" safety_settings[{seen[category]}]; set each category at most once.\n"
            )
        else:
            seen[category] = index
    if problems:
        raise errors.invalid_argument("".join(problems))


def check_images_decode(images: tuple[InlineImage, ...]) -> None:
    """400 'Unable to process input image' for image data that is not a readable image."""
    if any(image.is_image and not decodes(image.data, image.mime_type) for image in images):
        raise errors.unable_to_process_image()
