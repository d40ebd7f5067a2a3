"""Request rules on parts, safety settings and inline images, with the real API's wording.

`check_part_oneofs` (a part's `data` oneof, a voice config's `voice_config`) runs on the raw JSON
(the real API refuses such a message while parsing, and its message names the member as the
client spelled it); the others run on the parsed request. openapi.json states the same oneofs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from wisdomgate.keys import snake_case
from wisdomgate.simulator import errors
from wisdomgate.simulator.images import decodes
from wisdomgate.simulator.request_view import InlineImage
from wisdomgate_api.models import GenerateContentRequest

__all__ = ["check_images_decode", "check_part_oneofs", "check_safety_settings"]

# Members of the Part proto's `oneof data` (content.proto, plus the API's toolCall/toolResponse),
# in both JSON spellings ProtoJSON accepts. thought, thoughtSignature, videoMetadata... sit
# outside the oneof. openapi.json says the same (Part.oneOf): exactly one member per part.
_DATA_MEMBERS: Final = frozenset(
    {
        *("text", "inlineData", "inline_data", "functionCall", "function_call"),
        *("functionResponse", "function_response", "fileData", "file_data"),
        *("executableCode", "executable_code", "codeExecutionResult", "code_execution_result"),
        *("toolCall", "tool_call", "toolResponse", "tool_response"),
    }
)
# VoiceConfig's `oneof voice_config`: at most one member (openapi.json VoiceConfig.oneOf).
_VOICE_MEMBERS: Final = frozenset(
    {
        "prebuiltVoiceConfig",
        "prebuilt_voice_config",
        "replicatedVoiceConfig",
        "replicated_voice_config",
    }
)
_NESTED_REQUEST: Final = ("generateContentRequest", "generate_content_request")
_SYSTEM: Final = ("systemInstruction", "system_instruction")


def check_part_oneofs(
    data: Mapping[str, Any], message_name: str = "GenerateContentRequest"
) -> None:
    """400 for a part that sets two members of the `data` oneof (e.g. text and inlineData) or
    none, and for a voice config that sets two voices."""
    for where, part in _parts(data, ""):
        members = _set_members(part, _DATA_MEMBERS)
        if not members:
            raise errors.invalid_argument(
                f"* {message_name}.{where}.data: required oneof field 'data' must have one"
                " initialized field\n"
            )
        if len(members) > 1:
            raise errors.bad_request([(where, _already_set(where, "data", members[1]))])
    for where, voice in _voice_configs(data):
        members = _set_members(voice, _VOICE_MEMBERS)
        if len(members) > 1:  # simulator wording, after the API's oneof message
            raise errors.bad_request([(where, _already_set(where, "voice_config", members[1]))])


def _set_members(message: Mapping[str, Any], names: frozenset[str]) -> list[str]:
    # A JSON null leaves a member unset, so only members with a value count.
    return [key for key, value in message.items() if key in names and value is not None]


def _already_set(where: str, oneof: str, member: str) -> str:
    return f"Invalid value at '{where}' (oneof), oneof field '{oneof}' is already set. Cannot set '{member}'"


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


def _voice_configs(data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, voiceConfig) of the speech config, single- and multi-speaker, and a nested request's."""
    for key in _NESTED_REQUEST:
        nested = data.get(key)
        if isinstance(nested, Mapping):
            for where, voice in _voice_configs(nested):
                yield f"generate_content_request.{where}", voice
    speech = _member(_member(data, "generationConfig"), "speechConfig")
    voice = _member(speech, "voiceConfig")
    if voice:
        yield "generation_config.speech_config.voice_config", voice
    speakers = _member(_member(speech, "multiSpeakerVoiceConfig"), "speakerVoiceConfigs")
    for index, speaker in enumerate(speakers if isinstance(speakers, list) else []):
        voice = _member(speaker, "voiceConfig")
        if voice:
            where = "generation_config.speech_config.multi_speaker_voice_config"
            yield f"{where}.speaker_voice_configs[{index}].voice_config", voice


def _member(message: object, camel: str) -> Any:
    """message[camel] or message[snake_case], whichever is set (None when message is not an object)."""
    if not isinstance(message, Mapping):
        return None
    value = message.get(camel)
    return value if value is not None else message.get(snake_case(camel))


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
