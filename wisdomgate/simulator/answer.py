"""What the simulator answers a checked request: text, image, finish reason, token counts.

This is the model-agnostic plan; responses.py turns it into the wire format (one response or
stream chunks).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from wisdomgate.catalog import parse_ratio
from wisdomgate.simulator.grounding import grounding_for
from wisdomgate.simulator.images import aspect_of, render_png
from wisdomgate.simulator.request_view import ParsedRequest, text_tokens
from wisdomgate.simulator.text import answer_text, thought_text
from wisdomgate.simulator.triggers import find_triggers, strip_triggers
from wisdomgate_api.models import GroundingMetadata

__all__ = ["Answer", "GeneratedImage", "plan_answer", "resolve_aspect_ratio"]

_NORMAL_FINISHES = frozenset({"STOP", "MAX_TOKENS"})


@dataclass(frozen=True)
class GeneratedImage:
    """A rendered PNG and what it costs."""

    png: bytes
    width: int
    height: int
    tokens: int


@dataclass(frozen=True)
class Answer:
    """The planned answer of one request."""

    text: str | None = None
    thought: str | None = None
    image: GeneratedImage | None = None
    finish_reason: str | None = "STOP"
    block_reason: str | None = None
    thoughts_tokens: int = 0
    grounding: GroundingMetadata | None = None

    @property
    def has_content(self) -> bool:
        """False for blocked prompts and empty-content finishes (NO_IMAGE, IMAGE_SAFETY...)."""
        return self.text is not None or self.image is not None

    @property
    def output_tokens(self) -> int:
        """candidatesTokenCount: answer text plus image tokens."""
        image = self.image.tokens if self.image else 0
        return text_tokens(self.text or "") + image


def plan_answer(req: ParsedRequest) -> Answer:
    """Decide the answer: triggers first, then text and/or image per responseModalities."""
    triggers = find_triggers(req.last_user_text)
    if triggers.block:
        return Answer(finish_reason=None, block_reason=triggers.block)
    finish = triggers.finish or "STOP"
    if finish not in _NORMAL_FINISHES:
        return Answer(finish_reason=finish)
    prompt = strip_triggers(req.last_user_text)
    text = _text(req, prompt, image=req.wants_image and not triggers.text_only)
    limit = req.max_output_tokens
    if finish == "MAX_TOKENS" or (text and limit is not None and text_tokens(text) > limit):
        return _truncated(req, text or "", limit)
    image = None if triggers.text_only or not req.wants_image else render_image(req, prompt)
    if image is None and text is None:
        text = _text(req, prompt, image=False, force=True)
    return Answer(
        text=text,
        thought=thought_text(prompt) if req.include_thoughts and req.model.thinking else None,
        image=image,
        thoughts_tokens=_thoughts_tokens(req),
        grounding=grounding_for(prompt, text) if req.uses_search else None,
    )


def render_image(req: ParsedRequest, prompt: str) -> GeneratedImage:
    """The PNG for an image request: size from the catalog, content from prompt and images."""
    model = req.model
    ratio = resolve_aspect_ratio(req)
    size = model.resolve_image_size(req.image_config.image_size)
    width, height = model.image_dimensions(ratio, size)
    references = [image.data for image in req.input_images]
    png = render_png(
        width, height, prompt=prompt, references=references, salt=req.request_hash.encode()
    )
    return GeneratedImage(png=png, width=width, height=height, tokens=model.image_tokens(size))


def resolve_aspect_ratio(req: ParsedRequest) -> str:
    """imageConfig.aspectRatio, else the supported ratio closest to the first input image, else 1:1."""
    if req.image_config.aspect_ratio:
        return req.image_config.aspect_ratio
    for image in _reference_order(req):
        aspect = aspect_of(image)
        if aspect:
            return min(req.model.aspect_ratios, key=lambda r: abs(math.log(_ratio(r) / aspect)))
    return "1:1"


def _reference_order(req: ParsedRequest) -> list[bytes]:
    """Images of the latest user turn first (new references), then the rest, newest first."""
    images = req.input_images
    last_user = max((i.content_index for i in images if i.role != "model"), default=-1)
    current = [i.data for i in images if i.content_index == last_user]
    return current + [i.data for i in reversed(images) if i.content_index != last_user]


def _ratio(text: str) -> float:
    ratio = parse_ratio(text)
    if ratio is None:  # the catalog's own ratios and validated requests only get here
        raise ValueError(f"not an aspect ratio: {text!r}")
    return float(ratio)


def _text(req: ParsedRequest, prompt: str, *, image: bool, force: bool = False) -> str | None:
    if not (req.wants_text or force):
        return None
    return answer_text(
        prompt=prompt,
        model=req.model.name,
        request_hash=req.request_hash,
        image=image,
        as_json=req.wants_json,
    )


def _truncated(req: ParsedRequest, text: str, limit: int | None) -> Answer:
    """A MAX_TOKENS answer: the text cut at the limit (or in half), no image."""
    if not text:
        text = _text(req, strip_triggers(req.last_user_text), image=False, force=True) or ""
    cut = limit * 4 if limit is not None else len(text) // 2
    return Answer(
        text=text[: max(1, cut)],
        finish_reason="MAX_TOKENS",
        thoughts_tokens=_thoughts_tokens(req),
    )


def _thoughts_tokens(req: ParsedRequest) -> int:
    """Deterministic thinking cost for thinking models (0 when thinking is off)."""
    budget = req.thinking_budget
    if not req.model.thinking or budget == 0:
        return 0
    digest = hashlib.sha256(f"{req.request_hash}|thoughts".encode()).digest()
    tokens = 120 + int.from_bytes(digest[:2], "big") % 200
    return min(tokens, budget) if budget is not None and budget > 0 else tokens
