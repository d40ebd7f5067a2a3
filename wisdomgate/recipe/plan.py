"""What a validated recipe becomes: one PlannedRun per matrix cell, ready to send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wisdomgate_api.models import Content, GenerationConfig, SafetySetting, Tool

__all__ = ["AutoFit", "Expectations", "Fitted", "ImageInput", "PlannedRun", "PlannedTurn"]


@dataclass(frozen=True)
class ImageInput:
    """A reference image, checked: it exists, lies inside the root and has a supported type.

    A fitted reference (`fit:`) is the re-encoded bytes: `path` is their content-addressed spool
    file (wisdomgate.recipe.fitting), `fitted` says what they were made from and how."""

    path: Path
    mime_type: str  # detected from the content, not the file name
    sha256: str
    size_bytes: int
    fitted: Fitted | None = None


@dataclass(frozen=True)
class Fitted:
    """How a fitted reference was made: from which file, at which long side and quality."""

    source: ImageInput  # the file the recipe names
    long_side: int  # the long side asked for (for `fit: auto`, the one chosen)
    auto: bool  # chosen by `fit: auto`
    width: int  # of the bytes sent
    height: int
    quality: int | None  # None: lossless (an image with transparency, as WebP)


@dataclass(frozen=True)
class AutoFit:
    """What `fit: auto` chose for a run: one long side for its `auto` references, and the
    largest request (the last turn's, estimated) against the model's limit."""

    long_side: int
    references: int  # the run's images fitted by `auto` (every turn's)
    smaller: int  # of those, the ones already within long_side (re-encoded at their own size)
    request_bytes: int
    limit_bytes: int

    def describe(self) -> str:
        """`fit: auto -> 1536 px (3 references, request 18.9 MB of 20.0 MB)`."""
        count = f"{self.references} reference{'' if self.references == 1 else 's'}"
        if self.smaller:
            count += ", all" if self.smaller == self.references else f", {self.smaller}"
            count += " already smaller"
        request, limit = self.request_bytes / 2**20, self.limit_bytes / 2**20
        return (
            f"fit: auto -> {self.long_side} px ({count}; request {request:.1f} MB"
            f" of {limit:.1f} MB)"
        )


@dataclass(frozen=True)
class Expectations:
    """The checks that decide whether a turn passed (all rendered and parsed)."""

    images: int | None = None  # at least this many images
    mime_type: str | None = None
    aspect_ratio: str | None = None  # "W:H", every image within 1%
    size: tuple[int, int] | None = None  # exact (width, height) in pixels
    text_contains: tuple[str, ...] = ()
    text_matches: str | None = None  # a regex that compiles (re.search)
    finish_reason: str | None = None  # a known FinishReason value
    grounded: bool | None = None  # groundingMetadata present (or absent when False)
    max_total_tokens: int | None = None


@dataclass(frozen=True)
class PlannedTurn:
    """One user turn of a run, rendered and validated."""

    number: int  # 1-based
    prompt: str  # rendered
    images: tuple[ImageInput, ...]
    # The recipe's config deep-merged with the turn's config, rendered, validated.
    generation_config: GenerationConfig | None
    expect: Expectations


@dataclass(frozen=True)
class PlannedRun:
    """One matrix cell of one recipe: everything the runner needs, nothing left to render."""

    recipe_name: str
    recipe_path: Path
    recipe_sha256: str
    run_id: str  # "default" without a matrix, else e.g. "style=watercolour,aspect=16:9"
    model: str
    system_instruction: Content | None
    safety_settings: tuple[SafetySetting, ...] | None
    tools: tuple[Tool, ...] | None
    turns: tuple[PlannedTurn, ...]
    variables: Mapping[str, str]
    auto_fit: AutoFit | None = None  # what `fit: auto` chose; None when no image asks for it
