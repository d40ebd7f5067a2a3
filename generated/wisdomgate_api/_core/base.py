# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Base classes of the generated models: wire-faithful pydantic models, open enums, base64 data."""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Self

import pybase64
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["ApiModel", "Base64Data", "OpenStrEnum", "complete_models"]

_URL_SAFE = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_URL_SAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


class OpenStrEnum(StrEnum):
    """A string enum that keeps values it does not know (the server adds new ones often).

    A value that differs from a known one only in case ("Text" for TEXT, which the API accepts)
    is that known member, so it is sent back in the spec's canonical spelling (upper case for
    almost every enum); any other value becomes a pseudo-member that keeps its text.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        folded = value.casefold()
        for known in cls:
            if known.value.casefold() == folded:
                return known
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """True when the value is one the spec lists."""
        return self._value_ in type(self)._value2member_map_


class Base64Data(str):
    """Base64 text exactly as on the wire (`format: byte`), with helpers to get and set bytes.

    Parsing never rewrites the text, so a response round-trips unchanged. Raw `bytes` given in
    Python are encoded to standard base64; `to_bytes()` accepts standard and URL-safe alphabets,
    with or without padding, as the API does. A big answer's data is a `Base64File` instead
    (wisdomgate_api._core.media), which has the same `to_bytes()`, `open()` and `save()`.
    """

    @classmethod
    def from_bytes(cls, data: bytes) -> Base64Data:
        """Encode raw bytes as standard, padded base64."""
        return cls(pybase64.b64encode(data).decode("ascii"))

    def to_bytes(self) -> bytes:
        """Decode standard or URL-safe base64 (padding optional); ValueError when invalid."""
        if self.isascii():
            try:
                # what the API sends: standard and padded, decoded in one SIMD pass, no copy
                return pybase64.b64decode(self, validate=True)
            except binascii.Error:
                pass  # URL-safe, unpadded or with line breaks: the general path below
        return self._to_bytes_lenient()

    def open(self) -> BinaryIO:
        """A reader of the decoded bytes."""
        return io.BytesIO(self.to_bytes())

    def save(self, path: str | os.PathLike[str]) -> int:
        """Write the decoded bytes to path; the number written."""
        data = self.to_bytes()
        Path(path).write_bytes(data)
        return len(data)

    def _to_bytes_lenient(self) -> bytes:
        text = "".join(self.split())
        padded = text + "=" * (-len(text) % 4)
        url_safe = "-" in text or "_" in text
        if url_safe and not _URL_SAFE.fullmatch(padded):
            # urlsafe_b64decode would silently skip characters outside the alphabet: refuse them
            raise ValueError("not valid base64 (a character outside the URL-safe alphabet)")
        try:
            data = padded.encode("ascii")
            if url_safe:
                data = data.translate(_URL_SAFE_TO_STANDARD)
            return base64.b64decode(data, validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError(f"not valid base64 ({exc})") from None

    @classmethod
    def _coerce(cls, value: str | bytes) -> Base64Data:
        if isinstance(value, bytes | bytearray):
            return cls.from_bytes(bytes(value))
        return cls(value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # JSON input is always text; only Python callers may hand over raw bytes to encode.
        input_schema = core_schema.json_or_python_schema(
            json_schema=core_schema.str_schema(),
            python_schema=core_schema.union_schema(
                [core_schema.str_schema(strict=True), core_schema.bytes_schema(strict=True)]
            ),
        )
        return core_schema.no_info_after_validator_function(
            cls._coerce,
            input_schema,
            serialization=core_schema.to_string_ser_schema(),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "string", "format": "byte", "description": "base64"}


class ApiModel(BaseModel):
    """Base of every generated model: camelCase on the wire, snake_case or camelCase accepted."""

    model_config = ConfigDict(
        extra="allow",  # fields the server adds are kept and written back out
        validate_by_name=True,  # Part(inline_data=...) and {"inline_data": ...} both work
        validate_by_alias=True,
        serialize_by_alias=True,  # model_dump() emits camelCase, as the API does
        # JSON has no NaN or infinity: pydantic would send them as null. Refuse them instead.
        allow_inf_nan=False,
        protected_namespaces=(),
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object to send or store: camelCase, only the fields that were set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> str:
        """`to_wire()` as compact JSON text."""
        return self.model_dump_json(by_alias=True, exclude_unset=True)

    @classmethod
    def from_wire(cls, data: Any) -> Self:
        """Parse a JSON object (camelCase or snake_case keys)."""
        return cls.model_validate(data)

    def unknown_fields(self, prefix: str = "") -> list[str]:
        """Dotted wire paths of every field no schema declares (the real API rejects them)."""
        found = [f"{prefix}{name}" for name in sorted(self.model_extra or {})]
        for name, info in type(self).model_fields.items():
            wire = info.alias or name
            found.extend(_unknown_in(getattr(self, name), f"{prefix}{wire}"))
        return found


def _unknown_in(value: Any, path: str) -> list[str]:
    if isinstance(value, ApiModel):
        return value.unknown_fields(prefix=f"{path}.")
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _unknown_in(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _unknown_in(item, f"{path}.{key}")]
    return []


def complete_models(module: ModuleType) -> None:
    """Resolve the forward references of every ApiModel in module, so model_fields is complete."""
    # datamodel-codegen rebuilds only recursive models; code that introspects model_fields
    # (recipe checks, the schema export) needs every one of them resolved.
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ApiModel):
            value.model_rebuild()
