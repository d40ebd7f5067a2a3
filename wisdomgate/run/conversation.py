"""Build each turn's GenerateContentRequest: the history so far plus the new user turn.

The history holds every earlier user turn (text and reference images) and every earlier model
answer's Content object exactly as the client parsed it. The generated models keep unknown fields
and keep base64 text (`thoughtSignature`, image data) verbatim, so sending that object back
re-emits every part the server sent, signatures included, without decoding or re-encoding them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from wisdomgate.errors import ToolkitError
from wisdomgate.recipe import ImageInput, PlannedRun, PlannedTurn
from wisdomgate_api.models import Content, GenerateContentRequest, Part

__all__ = ["Conversation", "ReferenceImageChangedError", "dry_run_placeholder", "user_content"]


class ReferenceImageChangedError(ToolkitError):
    """A reference image changed on disk (or went away) after the recipe was validated."""


def _reference_part(image: ImageInput) -> Part:
    # sent from disk, checked against the hash it was validated with: the Part records the
    # file's size and modification time first, and the client refuses to send it changed since
    try:
        part = Part.from_path(image.path, mime_type=image.mime_type)
        with Path(image.path).open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise ReferenceImageChangedError(
            f"reference image {image.path} cannot be read since the recipe was validated"
            f" ({exc.strerror or exc}); put the file back, or change the recipe's images"
        ) from exc
    if digest != image.sha256:
        # Sending other bytes than the ones validated (size, type) would break the plan's checks.
        raise ReferenceImageChangedError(
            f"reference image {image.path} changed since the recipe was validated;"
            " run again so that the new file is checked"
        )
    return part


def user_content(turn: PlannedTurn) -> Content:
    """The user turn: the prompt text, then each reference image as inlineData (from its file)."""
    parts = [Part(text=turn.prompt), *(_reference_part(image) for image in turn.images)]
    return Content(role="user", parts=parts)


def dry_run_placeholder(turn_number: int) -> Content:
    """Stands in for a model answer that only exists after sending (dry-run previews only)."""
    note = (
        f"[wisdomgate dry-run placeholder: the model's answer to turn {turn_number}, with all its"
        " parts and thought signatures, goes here; it is only known after sending]"
    )
    return Content(role="model", parts=[Part(text=note)])


class Conversation:
    """The contents sent so far in one run; `request_for` adds the next user turn."""

    def __init__(self, plan: PlannedRun) -> None:
        self.plan = plan
        self.history: list[Content] = []

    def request_for(self, turn: PlannedTurn) -> tuple[GenerateContentRequest, Content]:
        """The request for this turn and the user Content it adds (to record once answered)."""
        user = user_content(turn)
        plan = self.plan
        fields: dict[str, object] = {"contents": [*self.history, user]}
        if plan.system_instruction is not None:
            fields["system_instruction"] = plan.system_instruction
        if plan.tools is not None:
            fields["tools"] = list(plan.tools)
        if plan.safety_settings is not None:
            fields["safety_settings"] = list(plan.safety_settings)
        if turn.generation_config is not None:
            fields["generation_config"] = turn.generation_config
        # model_validate (not the constructor) so that only the fields set here count as set:
        # to_wire() and encode_body() leave the rest out instead of sending nulls.
        return GenerateContentRequest.model_validate(fields), user

    def record(self, user: Content, answer: Content) -> None:
        """Append a finished exchange: the user turn and the model's Content as received."""
        self.history.extend((user, answer))
