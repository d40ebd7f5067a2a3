"""Thought signatures: issued on Gemini 3 parts, required back on image parts, tamper-proof."""

from __future__ import annotations

import base64
import copy
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from wisdomgate.simulator.signatures import SignatureCheck, Signer

PRO_IMAGE = "gemini-3-pro-image-preview"
FLASH_25_IMAGE = "gemini-2.5-flash-image"
FIRST_TURN = {"role": "user", "parts": [{"text": "a red fox in the snow"}]}
SECOND_TURN = {"role": "user", "parts": [{"text": "now make it blue"}]}
IMAGE_ONLY = {"responseModalities": ["TEXT", "IMAGE"]}


def _generate(
    sim_client: httpx.Client, model: str, contents: list[dict[str, Any]]
) -> httpx.Response:
    body = {"contents": contents, "generationConfig": IMAGE_ONLY}
    return sim_client.post(f"/v1beta/models/{model}:generateContent", json=body)


def _first_turn(sim_client: httpx.Client, model: str = PRO_IMAGE) -> dict[str, Any]:
    response = _generate(sim_client, model, [FIRST_TURN])
    assert response.status_code == 200, response.text
    content: dict[str, Any] = response.json()["candidates"][0]["content"]
    return content


def _image_index(content: dict[str, Any]) -> int:
    return next(i for i, part in enumerate(content["parts"]) if "inlineData" in part)


def _message(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    message: str = response.json()["error"]["message"]
    return message


@pytest.mark.slow
def test_gemini_3_image_parts_carry_signatures(sim_client: httpx.Client) -> None:
    content = _first_turn(sim_client)
    assert all("thoughtSignature" in part for part in content["parts"])


@pytest.mark.slow
def test_two_turn_edit_with_signatures_succeeds(sim_client: httpx.Client) -> None:
    history = [FIRST_TURN, _first_turn(sim_client), SECOND_TURN]
    assert _generate(sim_client, PRO_IMAGE, history).status_code == 200


@pytest.mark.slow
def test_two_turn_edit_missing_signature_is_rejected(sim_client: httpx.Client) -> None:
    model_turn = _first_turn(sim_client)
    index = _image_index(model_turn)
    del model_turn["parts"][index]["thoughtSignature"]
    message = _message(_generate(sim_client, PRO_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN]))
    assert message.startswith(
        f"Image part is missing a thought_signature in content position 2, part position {index + 1}."
    )


@pytest.mark.slow
def test_tampered_signature_is_rejected(sim_client: httpx.Client) -> None:
    model_turn = _first_turn(sim_client)
    part = model_turn["parts"][_image_index(model_turn)]
    raw = bytearray(base64.b64decode(part["thoughtSignature"]))
    raw[-1] ^= 0xFF
    part["thoughtSignature"] = base64.b64encode(bytes(raw)).decode()
    message = _message(_generate(sim_client, PRO_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN]))
    assert message == "Corrupted thought signature."


@pytest.mark.slow
def test_foreign_signature_is_rejected(sim_client: httpx.Client) -> None:
    model_turn = _first_turn(sim_client)
    model_turn["parts"][_image_index(model_turn)]["thoughtSignature"] = base64.b64encode(
        b"x" * 40
    ).decode()
    assert _message(_generate(sim_client, PRO_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN])) == (
        "Corrupted thought signature."
    )


@pytest.mark.slow
def test_swapped_image_under_signature_is_rejected(sim_client: httpx.Client) -> None:
    model_turn = _first_turn(sim_client)
    other = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 255, 0)).save(other, "PNG")
    model_turn["parts"][_image_index(model_turn)]["inlineData"]["data"] = base64.b64encode(
        other.getvalue()
    ).decode()
    assert _message(_generate(sim_client, PRO_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN])) == (
        "Corrupted thought signature."
    )


@pytest.mark.slow
def test_urlsafe_signature_is_accepted(sim_client: httpx.Client) -> None:
    model_turn = copy.deepcopy(_first_turn(sim_client))
    for part in model_turn["parts"]:
        raw = base64.b64decode(part["thoughtSignature"])
        part["thoughtSignature"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert (
        _generate(sim_client, PRO_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN]).status_code == 200
    )


@pytest.mark.slow
def test_documented_bypass_signature_is_accepted(sim_client: httpx.Client) -> None:
    model_turn = _first_turn(sim_client)
    model_turn["parts"][_image_index(model_turn)]["thoughtSignature"] = (
        "skip_thought_signature_validator"
    )
    assert (
        _generate(sim_client, PRO_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN]).status_code == 200
    )


@pytest.mark.slow
def test_gemini_25_image_has_no_signatures_and_needs_none(sim_client: httpx.Client) -> None:
    model_turn = _first_turn(sim_client, FLASH_25_IMAGE)
    assert not any("thoughtSignature" in part for part in model_turn["parts"])
    assert (
        _generate(sim_client, FLASH_25_IMAGE, [FIRST_TURN, model_turn, SECOND_TURN]).status_code
        == 200
    )


@pytest.mark.slow
def test_signature_names_its_response(sim_client: httpx.Client) -> None:
    response = _generate(sim_client, PRO_IMAGE, [FIRST_TURN]).json()
    parts = response["candidates"][0]["content"]["parts"]
    index = next(i for i, part in enumerate(parts) if "inlineData" in part)
    assert Signer.describe(parts[index]["thoughtSignature"]) == (response["responseId"], index)


def test_signer_is_deterministic_per_seed() -> None:
    assert Signer(1).sign("r", 0) == Signer(1).sign("r", 0)
    assert Signer(1).sign("r", 0) != Signer(2).sign("r", 0)


def test_signer_rejects_other_seed() -> None:
    assert Signer(2).check(Signer(1).sign("r", 0)) == SignatureCheck.CORRUPTED


def test_signer_binds_content() -> None:
    signature = Signer(0).sign("r", 1, b"image")
    assert Signer(0).check(signature, b"image") == SignatureCheck.VALID
    assert Signer(0).check(signature, b"other") == SignatureCheck.CORRUPTED


def test_signer_rejects_non_base64() -> None:
    assert Signer(0).check("!!not base64!!") == SignatureCheck.CORRUPTED
