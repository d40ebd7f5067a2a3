"""What a model answered, read out of a GenerateContentResponse: images, text, finish, usage."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from wisdomgate_api import Base64File
from wisdomgate_api.models import Candidate, Content, GenerateContentResponse, Part

__all__ = ["Answer", "OutputImage"]


@dataclass(frozen=True)
class OutputImage:
    """One image of the answer: where its bytes are, MIME type and real pixel size.

    A big image stays in the file the client decoded it into while it arrived; a small one is
    decoded once, here, and its bytes kept: `open()` reads either, so writing the image neither
    copies a big one nor decodes a small one again.
    """

    mime_type: str
    source: bytes | Base64File
    size: int  # bytes
    width: int | None  # None when Pillow cannot decode it
    height: int | None
    thought: bool  # an interim image of the model's thinking, not part of the answer

    @property
    def decodes(self) -> bool:
        """True when Pillow decoded the whole image (its pixel size is known)."""
        return self.width is not None

    @property
    def data(self) -> bytes:
        """The image's bytes, in memory."""
        return self.source if isinstance(self.source, bytes) else self.source.to_bytes()

    def open(self) -> BinaryIO:
        """A reader of the image's bytes."""
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source.open()


@dataclass(frozen=True)
class Answer:
    """The first candidate of a response (the one whose content goes into the history)."""

    response: GenerateContentResponse
    candidate: Candidate | None
    images: tuple[OutputImage, ...]  # every inline image, thought images included, in order
    text: str  # the non-thought text parts, joined

    @classmethod
    def from_response(cls, response: GenerateContentResponse) -> Answer:
        """Decode the first candidate's parts."""
        candidate = response.candidates[0] if response.candidates else None
        parts = _parts(candidate.content if candidate else None)
        images = tuple(image for part in parts if (image := _image(part)) is not None)
        text = "".join(part.text for part in parts if part.text and not part.thought)
        return cls(response=response, candidate=candidate, images=images, text=text)

    @property
    def final_images(self) -> tuple[OutputImage, ...]:
        """The answer's images without the interim thought images."""
        return tuple(image for image in self.images if not image.thought)

    @property
    def undecodable(self) -> tuple[int, ...]:
        """1-based positions (in `images`) of images whose bytes are not a whole image."""
        return tuple(n for n, image in enumerate(self.images, 1) if not image.decodes)

    @property
    def content(self) -> Content | None:
        """The model content exactly as received (what the next turn sends back)."""
        return self.candidate.content if self.candidate else None

    @property
    def finish_reason(self) -> str | None:
        """The candidate's finishReason as a string (open enum: new values pass through)."""
        reason = self.candidate.finish_reason if self.candidate else None
        return str(reason) if reason is not None else None

    @property
    def finish_message(self) -> str | None:
        """The candidate's finishMessage, if any."""
        return self.candidate.finish_message if self.candidate else None

    @property
    def block_reason(self) -> str | None:
        """promptFeedback.blockReason, set when the prompt itself was blocked."""
        feedback = self.response.prompt_feedback
        reason = feedback.block_reason if feedback else None
        return str(reason) if reason is not None else None

    @property
    def grounded(self) -> bool:
        """True when the candidate carries groundingMetadata."""
        return self.candidate is not None and self.candidate.grounding_metadata is not None

    @property
    def total_tokens(self) -> int | None:
        """usageMetadata.totalTokenCount, if reported."""
        usage = self.response.usage_metadata
        return usage.total_token_count if usage else None


def _parts(content: Content | None) -> list[Part]:
    return list(content.parts or []) if content else []


def _image(part: Part) -> OutputImage | None:
    blob = part.inline_data
    if blob is None or blob.data is None or not (blob.mime_type or "").startswith("image/"):
        return None
    # ValueError here: the text is not base64
    source = blob.data if isinstance(blob.data, Base64File) else blob.data.to_bytes()
    size = source.size if isinstance(source, Base64File) else len(source)
    with io.BytesIO(source) if isinstance(source, bytes) else source.open() as reader:
        width, height = _pixel_size(reader)
    return OutputImage(str(blob.mime_type), source, size, width, height, bool(part.thought))


def _pixel_size(reader: BinaryIO) -> tuple[int | None, int | None]:
    # load() decodes every pixel: a header followed by garbage, or a cut file, is no image
    try:
        with Image.open(reader) as image:
            image.load()
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None, None
