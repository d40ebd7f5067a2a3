# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Request bodies on the wire: the one serialisation the client, dry runs and tests share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .base import ApiModel

__all__ = ["coerce_body", "encode_body"]

M = TypeVar("M", bound=ApiModel)


def encode_body(body: ApiModel) -> bytes:
    """The exact JSON bytes the client sends for body: compact, camelCase, set fields only."""
    return body.to_json().encode("utf-8")


def coerce_body(model: type[M], body: M | Mapping[str, Any]) -> M:
    """body as a model instance: a plain mapping is validated into model (pydantic errors propagate)."""
    if isinstance(body, model):
        return body
    if isinstance(body, ApiModel):
        # a different model would serialise, but as the wrong request: refuse it loudly
        raise TypeError(f"expected {model.__name__} or a mapping, got {type(body).__name__}")
    return model.model_validate(body)
