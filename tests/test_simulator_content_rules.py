"""Part oneofs, safety categories and undecodable inline images are refused as the real API does."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from wisdomgate.catalog import load_catalog

pytestmark = pytest.mark.slow

TEXT = "gemini-2.5-flash"
IMAGE = "gemini-2.5-flash-image"
PALM_CATEGORIES = ("DEROGATORY", "TOXICITY", "VIOLENCE", "SEXUAL", "MEDICAL", "DANGEROUS")
ACCEPTED_LIST = (
    "HarmCategory.HARM_CATEGORY_HATE_SPEECH, HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT,"
    " HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT, HarmCategory.HARM_CATEGORY_HARASSMENT,"
    " HarmCategory.HARM_CATEGORY_CIVIC_INTEGRITY"
)
UNABLE = (
    "Unable to process input image. Please retry or report in"
    " https://developers.generativeai.google/guide/troubleshooting"
)


def _png_b64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _blob(data: str, mime_type: str = "image/png") -> dict[str, Any]:
    return {"mimeType": mime_type, "data": data}


def _body(*parts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": list(parts)}], **extra}


def _post(
    client: httpx.Client, body: Any, model: str = TEXT, method: str = "generateContent"
) -> httpx.Response:
    return client.post(f"/v1beta/models/{model}:{method}", json=body)


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    return error


def _safety(*categories: str) -> dict[str, Any]:
    settings = [{"category": c, "threshold": "BLOCK_NONE"} for c in categories]
    return _body({"text": "hello"}, safetySettings=settings)


# ---------------------------------------------------------------- Part oneof `data`


def test_part_with_text_and_inline_data_is_refused(sim_client: httpx.Client) -> None:
    body = _body({"text": "a", "inlineData": _blob(_png_b64())})
    assert _error(_post(sim_client, body))["message"] == (
        "Invalid value at 'contents[0].parts[0]' (oneof), oneof field 'data' is already set."
        " Cannot set 'inlineData'"
    )


def test_oneof_error_carries_a_field_violation(sim_client: httpx.Client) -> None:
    body = _body({"text": "ok"}, {"text": "a", "fileData": {"fileUri": "https://x/f"}})
    [detail] = _error(_post(sim_client, body))["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert detail["fieldViolations"][0]["field"] == "contents[0].parts[1]"


def test_oneof_error_names_the_member_as_spelled(sim_client: httpx.Client) -> None:
    body = _body({"inline_data": _blob(_png_b64()), "text": "a"})
    assert _error(_post(sim_client, body))["message"].endswith("Cannot set 'text'")


def test_oneof_is_checked_in_the_system_instruction(sim_client: httpx.Client) -> None:
    system = {"parts": [{"text": "a", "functionCall": {"name": "f"}}]}
    message = _error(_post(sim_client, _body({"text": "hi"}, systemInstruction=system)))["message"]
    assert message.startswith("Invalid value at 'system_instruction.parts[0]' (oneof)")


def test_oneof_is_checked_by_count_tokens(sim_client: httpx.Client) -> None:
    body = _body({"text": "a", "inlineData": _blob(_png_b64())})
    _error(_post(sim_client, body, method="countTokens"))


def test_null_member_does_not_count_as_set(sim_client: httpx.Client) -> None:
    assert _post(sim_client, _body({"text": "a", "inlineData": None})).status_code == 200


def test_thought_signature_beside_text_is_not_a_oneof_member(sim_client: httpx.Client) -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"text": "hello", "thoughtSignature": "c2ln"}]},
            {"role": "user", "parts": [{"text": "again"}]},
        ]
    }
    assert _post(sim_client, body).status_code == 200


# ---------------------------------------------------------------- safety settings


def test_every_gemini_harm_category_is_accepted(sim_client: httpx.Client) -> None:
    assert _post(sim_client, _safety(*load_catalog().harm_categories)).status_code == 200


@pytest.mark.parametrize("name", PALM_CATEGORIES)
def test_palm_era_category_is_refused(sim_client: httpx.Client, name: str) -> None:
    body = _safety("HARM_CATEGORY_HARASSMENT", f"HARM_CATEGORY_{name}")
    assert _error(_post(sim_client, body))["message"] == (
        "* GenerateContentRequest.safety_settings[1]: element predicate failed:"
        f" $.category in ({ACCEPTED_LIST})\n"
    )


def test_unspecified_category_is_refused(sim_client: httpx.Client) -> None:
    body = _safety("HARM_CATEGORY_UNSPECIFIED")
    assert "element predicate failed" in _error(_post(sim_client, body))["message"]


def test_category_names_are_case_insensitive(sim_client: httpx.Client) -> None:
    assert _post(sim_client, _safety("harm_category_harassment")).status_code == 200


def test_duplicate_category_is_refused(sim_client: httpx.Client) -> None:
    body = _safety(
        "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "harm_category_harassment"
    )
    message = _error(_post(sim_client, body))["message"]
    assert message.startswith("* GenerateContentRequest.safety_settings[2]: category")
    assert "HARM_CATEGORY_HARASSMENT is already set by safety_settings[0]" in message


# ---------------------------------------------------------------- inline images


def test_undecodable_image_is_refused(sim_client: httpx.Client) -> None:
    body = _body({"text": "edit"}, {"inlineData": _blob("AA==")})
    assert _error(_post(sim_client, body, IMAGE))["message"] == UNABLE


def test_truncated_png_is_refused(sim_client: httpx.Client) -> None:
    half = base64.b64encode(base64.b64decode(_png_b64())[:40]).decode()
    body = _body({"text": "edit"}, {"inlineData": _blob(half)})
    assert _error(_post(sim_client, body, IMAGE))["message"] == UNABLE


def test_undecodable_image_in_history_is_refused(sim_client: httpx.Client) -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "a cat"}]},
            {"role": "model", "parts": [{"inlineData": _blob("AA==")}]},
            {"role": "user", "parts": [{"text": "bluer"}]},
        ]
    }
    assert _error(_post(sim_client, body, IMAGE))["message"] == UNABLE


def test_decodable_image_is_accepted(sim_client: httpx.Client) -> None:
    body = _body({"text": "edit"}, {"inlineData": _blob(_png_b64())})
    assert _post(sim_client, body, IMAGE).status_code == 200


def test_image_type_pillow_cannot_read_is_not_refused(sim_client: httpx.Client) -> None:
    body = _body({"text": "edit"}, {"inlineData": _blob("AA==", "image/heic")})
    assert _post(sim_client, body, IMAGE).status_code == 200


def test_non_image_blob_is_not_decoded(sim_client: httpx.Client) -> None:
    body = _body({"text": "read"}, {"inlineData": _blob("AA==", "text/plain")})
    assert _post(sim_client, body).status_code == 200


def test_part_without_a_data_member_is_refused(sim_client: httpx.Client) -> None:
    response = _post(sim_client, _body({"thought": True}))
    assert response.status_code == 400
    assert _error(response)["message"] == (
        "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data'"
        " must have one initialized field\n"
    )


def test_part_with_only_null_members_is_refused(sim_client: httpx.Client) -> None:
    assert _post(sim_client, _body({"text": None})).status_code == 400


def test_tool_call_is_a_data_member(sim_client: httpx.Client) -> None:
    body = _body({"text": "a", "toolCall": {"id": "1", "toolType": "GOOGLE_SEARCH_WEB"}})
    assert _error(_post(sim_client, body))["message"].endswith("Cannot set 'toolCall'")


def test_voice_config_with_two_voices_is_refused(sim_client: httpx.Client) -> None:
    voice = {"prebuiltVoiceConfig": {"voiceName": "Kore"}, "replicated_voice_config": {}}
    body = _body({"text": "a"}, generationConfig={"speechConfig": {"voiceConfig": voice}})
    assert _error(_post(sim_client, body))["message"] == (
        "Invalid value at 'generation_config.speech_config.voice_config' (oneof), oneof field"
        " 'voice_config' is already set. Cannot set 'replicated_voice_config'"
    )
