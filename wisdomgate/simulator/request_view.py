"""A checked generateContent request, with the facts the answer is built from."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from wisdomgate.catalog import ModelInfo
from wisdomgate_api.models import Content, GenerateContentRequest, ImageConfig

__all__ = ["InlineImage", "ParsedRequest", "text_tokens"]


def text_tokens(text: str) -> int:
    """The simulator's token estimate for text: about four characters per token."""
    return math.ceil(len(text) / 4) if text else 0


@dataclass(frozen=True)
class InlineImage:
    """One decoded inlineData blob and where it sits in contents."""

    content_index: int
    part_index: int
    role: str
    mime_type: str
    data: bytes

    @property
    def is_image(self) -> bool:
        """True for image/* blobs."""
        return self.mime_type.lower().startswith("image/")


@dataclass(frozen=True)
class ParsedRequest:
    """A generateContent request that passed every check."""

    model: ModelInfo
    request: GenerateContentRequest
    images: tuple[InlineImage, ...]
    request_hash: str

    @cached_property
    def last_user_text(self) -> str:
        """Text of the latest user turn (what the answer is about; triggers live here)."""
        for content in reversed(self.request.contents):
            if content.role != "model":
                return _text_of(content)
        return ""

    @cached_property
    def prompt_text(self) -> str:
        """All input text: system instruction and every turn."""
        contents = list(self.request.contents)
        if self.request.system_instruction is not None:
            contents.insert(0, self.request.system_instruction)
        return "\n".join(_text_of(content) for content in contents)

    @property
    def input_images(self) -> list[InlineImage]:
        """Every image blob in the request, in order."""
        return [image for image in self.images if image.is_image]

    @property
    def image_config(self) -> ImageConfig:
        """imageConfig, or an empty one."""
        config = self.request.generation_config
        return (config.image_config if config else None) or ImageConfig()

    @cached_property
    def modalities(self) -> frozenset[str]:
        """Requested response modalities, upper-case; empty means the model's default."""
        config = self.request.generation_config
        values = (config.response_modalities if config else None) or []
        return frozenset(str(m.value).upper() for m in values) - {"MODALITY_UNSPECIFIED"}

    @property
    def wants_image(self) -> bool:
        """An image model asked for (or defaulting to) image output."""
        return self.model.is_image and (not self.modalities or "IMAGE" in self.modalities)

    @property
    def wants_text(self) -> bool:
        """Text output requested (image models default to TEXT+IMAGE, like the real ones)."""
        return not self.modalities or "TEXT" in self.modalities

    @property
    def uses_search(self) -> bool:
        """A google_search (or googleSearchRetrieval) tool is present."""
        return any(
            tool.google_search is not None or tool.google_search_retrieval is not None
            for tool in self.request.tools or []
        )

    @property
    def max_output_tokens(self) -> int | None:
        """generationConfig.maxOutputTokens, if set."""
        config = self.request.generation_config
        return config.max_output_tokens if config else None

    @property
    def include_thoughts(self) -> bool:
        """thinkingConfig.includeThoughts."""
        config = self.request.generation_config
        thinking = config.thinking_config if config else None
        return bool(thinking and thinking.include_thoughts)

    @property
    def thinking_budget(self) -> int | None:
        """thinkingConfig.thinkingBudget, if set."""
        config = self.request.generation_config
        thinking = config.thinking_config if config else None
        return thinking.thinking_budget if thinking else None

    @property
    def wants_json(self) -> bool:
        """responseMimeType is application/json."""
        config = self.request.generation_config
        return bool(config and config.response_mime_type == "application/json")

    @cached_property
    def prompt_tokens(self) -> tuple[int, int]:
        """(text tokens, image tokens) of the input."""
        per_image = self.model.input_image_tokens
        return text_tokens(self.prompt_text), per_image * len(self.input_images)


def _text_of(content: Content) -> str:
    return "".join(part.text or "" for part in content.parts or [] if not part.thought)
