"""The wire format of answers: one GenerateContentResponse, or the chunks of a stream.

Shapes follow the recorded examples: usage with promptTokensDetails and (for images)
candidatesTokensDetails, serviceTier "standard", thoughtSignature on the first answer part and
on every image part of Gemini 3 models, and for Gemini 3 text streams a last chunk with an empty
text part that carries the signature.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from wisdomgate.catalog import load_catalog
from wisdomgate.simulator.answer import Answer
from wisdomgate.simulator.request_view import ParsedRequest, text_tokens
from wisdomgate.simulator.signatures import Signer
from wisdomgate_api import Base64Data
from wisdomgate_api.models import (
    Blob,
    Candidate,
    Content,
    FinishReason,
    GenerateContentResponse,
    HarmCategory,
    HarmProbability,
    Modality,
    ModalityTokenCount,
    Part,
    PromptFeedback,
    SafetyRating,
    UsageMetadata,
)

__all__ = ["ResponseContext", "build_chunks", "build_response", "response_id_for"]

_STREAM_PIECES = 3


def response_id_for(request_hash: str, seed: int) -> str:
    """A responseId like the real ones (22 URL-safe characters), fixed per request and seed."""
    digest = hashlib.sha256(f"{seed}|{request_hash}|response-id".encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class ResponseContext:
    """What every response of one request shares."""

    req: ParsedRequest
    answer: Answer
    response_id: str
    signer: Signer

    @property
    def signs(self) -> bool:
        """Gemini 3 models put thoughtSignature on model parts."""
        return self.req.model.thought_signatures

    def sign(self, ordinal: int, content: bytes | None = None) -> Base64Data:
        """The signature of the answer's part number ordinal."""
        return Base64Data(self.signer.sign(self.response_id, ordinal, content))


def build_response(ctx: ResponseContext) -> GenerateContentResponse:
    """The non-streamed answer."""
    answer = ctx.answer
    if answer.block_reason:
        return _envelope(ctx, None, _usage(ctx, output=0), blocked=True)
    if not answer.has_content:
        return _envelope(ctx, _empty_candidate(answer), _usage(ctx, output=0))
    candidate = Candidate(
        content=Content(parts=_parts(ctx), role="model"),
        finish_reason=FinishReason(answer.finish_reason or "STOP"),
        index=0,
    )
    if answer.grounding is not None:
        candidate.grounding_metadata = answer.grounding
    image_tokens = answer.image.tokens if answer.image else 0
    usage = _usage(ctx, output=answer.output_tokens, image_tokens=image_tokens)
    return _envelope(ctx, candidate, usage)


def build_chunks(ctx: ResponseContext) -> list[GenerateContentResponse]:
    """The streamed answer: text in several chunks, the image in one, finish and usage last."""
    answer = ctx.answer
    if answer.block_reason or not answer.has_content:
        return [build_response(ctx)]
    pieces = _stream_parts(ctx)
    chunks: list[GenerateContentResponse] = []
    streamed_text, image_tokens = "", 0
    for index, part in enumerate(pieces):
        if not part.thought:
            streamed_text += part.text or ""
        if part.inline_data is not None and answer.image is not None:
            image_tokens = answer.image.tokens
        produced = text_tokens(streamed_text) + image_tokens
        candidate = Candidate(content=Content(parts=[part], role="model"), index=0)
        if index == len(pieces) - 1:
            candidate.finish_reason = FinishReason(answer.finish_reason or "STOP")
            if answer.grounding is not None:
                candidate.grounding_metadata = answer.grounding
        usage = _usage(ctx, output=produced, image_tokens=image_tokens)
        chunks.append(_envelope(ctx, candidate, usage))
    return chunks


# ---------------------------------------------------------------- parts


def _parts(ctx: ResponseContext) -> list[Part]:
    """Thought summary, text, image; signatures on the first answer part and on the image."""
    answer = ctx.answer
    parts: list[Part] = []
    if answer.thought:
        parts.append(Part(text=answer.thought, thought=True))
    if answer.text is not None:
        parts.append(Part(text=answer.text))
    if answer.image is not None:
        parts.append(_image_part(answer.image.png))
    if ctx.signs:
        _sign_parts(ctx, parts, sign_first=True)
    return parts


def _stream_parts(ctx: ResponseContext) -> list[Part]:
    """One part per chunk: thought, text pieces, image, and the closing empty text part."""
    answer = ctx.answer
    parts: list[Part] = []
    if answer.thought:
        parts.append(Part(text=answer.thought, thought=True))
    if answer.text:
        parts.extend(Part(text=piece) for piece in _split(answer.text))
    if answer.image is not None:
        parts.append(_image_part(answer.image.png))
    if ctx.signs:
        # Text streams leave the pieces unsigned; image streams sign like the full answer.
        _sign_parts(ctx, parts, sign_first=answer.image is not None)
        if answer.image is None:
            # Gemini 3 text streams close with an empty text part carrying the signature.
            parts.append(Part(text="", thought_signature=ctx.sign(len(parts))))
        else:
            parts.append(Part(text=""))
    return parts


def _sign_parts(ctx: ResponseContext, parts: list[Part], *, sign_first: bool) -> None:
    """Sign every image part, and the first non-thought part when sign_first."""
    image = ctx.answer.image
    answer_parts = [(ordinal, part) for ordinal, part in enumerate(parts) if not part.thought]
    for position, (ordinal, part) in enumerate(answer_parts):
        if part.inline_data is not None and image is not None:
            part.thought_signature = ctx.sign(ordinal, image.png)
        elif position == 0 and sign_first:
            part.thought_signature = ctx.sign(ordinal)


def _image_part(png: bytes) -> Part:
    return Part(inline_data=Blob(mime_type="image/png", data=Base64Data.from_bytes(png)))


def _split(text: str) -> list[str]:
    """text in up to three pieces on word boundaries (joined they give text back)."""
    words = text.split(" ")
    if len(words) < _STREAM_PIECES:
        return [text]
    step = -(-len(words) // _STREAM_PIECES)
    pieces = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    return [pieces[0]] + [" " + piece for piece in pieces[1:]]


def _empty_candidate(answer: Answer) -> Candidate:
    """content {} with the finish reason, like the recorded NO_IMAGE answer."""
    candidate = Candidate(
        content=Content(), finish_reason=FinishReason(answer.finish_reason or "OTHER"), index=0
    )
    if answer.finish_reason == "SAFETY":
        candidate.safety_ratings = _safety_ratings(
            blocked_category="HARM_CATEGORY_DANGEROUS_CONTENT"
        )
    return candidate


def _safety_ratings(
    blocked_category: str | None = None, *, flagged: str = "HIGH"
) -> list[SafetyRating]:
    ratings = []
    for category in load_catalog().rated_harm_categories:
        rating = SafetyRating(
            category=HarmCategory(category),
            probability=HarmProbability(flagged if category == blocked_category else "NEGLIGIBLE"),
        )
        if category == blocked_category:
            rating.blocked = True
        ratings.append(rating)
    return ratings


# ---------------------------------------------------------------- envelope and usage


def _envelope(
    ctx: ResponseContext,
    candidate: Candidate | None,
    usage: UsageMetadata,
    *,
    blocked: bool = False,
) -> GenerateContentResponse:
    response = GenerateContentResponse()
    if candidate is not None:
        response.candidates = [candidate]
    if blocked:
        reason = ctx.answer.block_reason or "OTHER"
        feedback = PromptFeedback.model_validate({"blockReason": reason})
        if reason == "SAFETY":
            feedback.safety_ratings = _safety_ratings(
                blocked_category="HARM_CATEGORY_HARASSMENT", flagged="MEDIUM"
            )
        response.prompt_feedback = feedback
    response.usage_metadata = usage
    response.model_version = ctx.req.model.name
    response.response_id = ctx.response_id
    return response


def _usage(ctx: ResponseContext, *, output: int, image_tokens: int = 0) -> UsageMetadata:
    """usageMetadata; only the prompt is counted when nothing was generated."""
    text_in, images_in = ctx.req.prompt_tokens
    prompt = text_in + images_in
    usage = UsageMetadata(prompt_token_count=prompt)
    details = [ModalityTokenCount(modality=Modality.TEXT, token_count=text_in)]
    if images_in:
        details.append(ModalityTokenCount(modality=Modality.IMAGE, token_count=images_in))
    total = prompt
    answer = ctx.answer
    if output:
        usage.candidates_token_count = output
        total += output
    if answer.has_content and answer.thoughts_tokens:
        usage.thoughts_token_count = answer.thoughts_tokens
        total += answer.thoughts_tokens
    if answer.has_content and answer.grounding is not None:
        tool = 40 + len(answer.grounding.web_search_queries or []) * 25
        usage.tool_use_prompt_token_count = tool
        usage.tool_use_prompt_tokens_details = [
            ModalityTokenCount(modality=Modality.TEXT, token_count=tool)
        ]
        total += tool
    usage.total_token_count = total
    usage.prompt_tokens_details = details
    if image_tokens:
        usage.candidates_tokens_details = [
            ModalityTokenCount(modality=Modality.IMAGE, token_count=image_tokens)
        ]
    usage.service_tier = "standard"
    return usage
