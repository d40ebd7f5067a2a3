# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Inline data that lives in a file: `Base64File`, and the `Base64` type of every `data` field.

A `data` field holds a `Base64Data` (base64 text in memory, a `str`) or a `Base64File`: bytes in
a file (a reference image given by path, or a big answer image the client decoded while reading
the response) whose base64 text is made only when asked for. Both give `to_bytes()`, `open()`
and `save(path)`; `to_wire()` and `to_json()` give the same base64 text either way, byte for byte.
"""

from __future__ import annotations

import io
import mimetypes
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any, BinaryIO, Protocol, Self

import pybase64
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from .base import ApiModel, Base64Data

__all__ = [
    "ENCODE_CHUNK",
    "Base64",
    "Base64File",
    "BlobModel",
    "FileChangedError",
    "PartModel",
    "TextShape",
    "claim_spooled",
    "encoded_length",
    "guess_mime_type",
    "placeholder_for",
]

# Raw bytes per encoded piece: a multiple of 3, so that pieces encode to text that concatenates.
ENCODE_CHUNK = 3 * 256 * 1024
_URL_SAFE_ALTCHARS = b"-_"
# Keys of the pydantic validation / serialization context (see spool.py and encoding.py).
SPOOLED_KEY = "wisdomgate_api.spooled"
STREAMED_KEY = "wisdomgate_api.streamed"


class FileChangedError(OSError):
    """A file behind a Base64File changed (size or modification time) after it was given."""


@dataclass(frozen=True)
class TextShape:
    """How base64 text was written: the alphabet and whether it ends with `=` padding."""

    url_safe: bool = False
    padded: bool = True


STANDARD = TextShape()


def encoded_length(size: int, shape: TextShape = STANDARD) -> int:
    """The number of base64 characters that size bytes encode to."""
    whole, rest = divmod(size, 3)
    if shape.padded:
        return 4 * (whole + (1 if rest else 0))
    return 4 * whole + (rest + 1 if rest else 0)


def encode(data: bytes, shape: TextShape = STANDARD, *, last: bool = True) -> bytes:
    """data as base64 text of shape (padding is only ever stripped from the last piece)."""
    text = pybase64.b64encode(data, altchars=_URL_SAFE_ALTCHARS if shape.url_safe else None)
    return text if shape.padded or not last else text.rstrip(b"=")


class _Source(Protocol):
    """Where a Base64File's bytes are: a size, and readers from the start."""

    size: int

    def reader(self) -> BinaryIO: ...

    def describe(self) -> str: ...


class _PathSource:
    """A file by path: its size and modification time are taken once and checked on each read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        info = path.stat()
        self.size = info.st_size
        self._stamp = (info.st_size, info.st_mtime_ns)

    def reader(self) -> BinaryIO:
        handle = self.path.open("rb")
        info = os.fstat(handle.fileno())
        if (info.st_size, info.st_mtime_ns) != self._stamp:
            handle.close()
            raise FileChangedError(f"{self.path} changed after it was given as inline data")
        return handle

    def describe(self) -> str:
        return str(self.path)


class _FileObjectSource:
    """An open, seekable binary file: the bytes from its position when given to its end."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.start = file.tell()
        self.size = file.seek(0, os.SEEK_END) - self.start
        file.seek(self.start)

    def reader(self) -> BinaryIO:
        self.file.seek(self.start)
        return io.BufferedReader(_Window(self.file, self.size), 1 << 20)

    def describe(self) -> str:
        return repr(getattr(self.file, "name", self.file))


class _Window(io.RawIOBase):
    """At most size bytes of file from its position; closing it leaves file open."""

    def __init__(self, file: IO[bytes], size: int) -> None:
        self._file = file
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: self._left]
        data = self._file.read(len(view))
        view[: len(data)] = data
        self._left -= len(data)
        return len(data)


class Base64File:
    """Inline data whose bytes are in a file; its base64 text is encoded only when asked for.

    Made by `Base64File.from_path` / `from_file` for a request (the text is encoded while the
    request is sent), or by the client for an answer's big inline data (decoded while it was
    read). `text` and `str()` give the base64 text; `to_bytes()`, `open()` and `save()` the bytes.
    """

    def __init__(self, source: _Source, shape: TextShape = STANDARD) -> None:
        self._source = source
        self.shape = shape

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Base64File:
        """The bytes of the file at path, read when needed (it must not change until then)."""
        return cls(_PathSource(Path(path)))

    @classmethod
    def from_file(cls, file: IO[bytes]) -> Base64File:
        """The bytes of a seekable binary file from its current position to its end."""
        return cls(_FileObjectSource(file))

    def __repr__(self) -> str:
        return f"Base64File({self._source.describe()}, {self.size} bytes)"

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Base64File | str):
            return self.text == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __copy__(self) -> Base64File:
        return self  # immutable: the file is only ever read

    def __deepcopy__(self, memo: dict[int, Any]) -> Base64File:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # a pickle cannot carry an open file: it carries the text, which unpickles as Base64Data
        return Base64Data, (self.text,)

    @property
    def size(self) -> int:
        """The number of bytes (decoded)."""
        return self._source.size

    @property
    def encoded_length(self) -> int:
        """The number of base64 characters of `text`, known without encoding."""
        return encoded_length(self.size, self.shape)

    @property
    def text(self) -> str:
        """The whole base64 text (held in memory: prefer save() or open() for big data)."""
        return b"".join(self.iter_text()).decode("ascii")

    def iter_text(self, chunk: int = ENCODE_CHUNK) -> Iterator[bytes]:
        """The base64 text in pieces (each from at most chunk bytes, a multiple of 3)."""
        left = self.size
        with self.open() as reader:
            while left > 0:
                data = reader.read(min(chunk, left))
                if not data:
                    raise FileChangedError(f"{self._source.describe()} became shorter")
                left -= len(data)
                yield encode(data, self.shape, last=left == 0)

    def open(self) -> BinaryIO:
        """A reader of the bytes, from the start (close it when done)."""
        return self._source.reader()

    def to_bytes(self) -> bytes:
        """All the bytes, in memory."""
        with self.open() as reader:
            return reader.read()

    def save(self, path: str | os.PathLike[str]) -> int:
        """Write the bytes to path (streamed, never all in memory); the number written."""
        with open(path, "wb") as out:
            copy_into = getattr(self._source, "copy_into", None)
            if copy_into is not None:  # a spool file: copied by the kernel
                return int(copy_into(out))
            with self.open() as reader:
                shutil.copyfileobj(reader, out, 1 << 20)
            return out.tell()


class _Spooled(Protocol):
    def claim(self, token: str) -> Base64Data | Base64File | None: ...


class _Streamed(Protocol):
    def placeholder(self, value: Base64File) -> str: ...


def claim_spooled(value: str, context: Any) -> Base64Data | Base64File | None:
    """The spooled value a placeholder stands for, when context holds spooled values."""
    spooled: _Spooled | None = context.get(SPOOLED_KEY) if isinstance(context, dict) else None
    return spooled.claim(value) if spooled is not None else None


def placeholder_for(value: Base64File, context: Any) -> str | None:
    """The placeholder a streamed request body puts where value's text goes (None: the text)."""
    streamed: _Streamed | None = context.get(STREAMED_KEY) if isinstance(context, dict) else None
    return streamed.placeholder(value) if streamed is not None else None


def _validate(value: Any, info: core_schema.ValidationInfo) -> Base64Data | Base64File:
    if isinstance(value, Base64File | Base64Data):
        return value
    if isinstance(value, str):
        return claim_spooled(value, info.context) or Base64Data(value)
    if isinstance(value, bytes | bytearray) and not info.mode == "json":
        return Base64Data.from_bytes(bytes(value))
    raise PydanticCustomError("base64_type", "Input should be base64 text, bytes or a Base64File")


def _serialize(value: Any, info: core_schema.SerializationInfo) -> Any:
    # JSON only (when_used="json"): model_dump() gives the objects themselves, unchecked
    if isinstance(value, Base64File):
        return placeholder_for(value, info.context) or value.text
    return value


class _Base64Schema:
    """The validation and serialization of `Base64`: text, bytes or a Base64File in; text out."""

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _serialize, info_arg=True, return_schema=core_schema.str_schema(), when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"type": "string", "format": "byte", "description": "base64"}


Base64 = Annotated[Base64Data | Base64File, _Base64Schema()]
"""The type of every `data` field: Base64Data (text in memory) or Base64File (bytes in a file)."""


def guess_mime_type(path: str | os.PathLike[str]) -> str:
    """The MIME type of a file from its name; ValueError when the name does not tell."""
    mime_type, _ = mimetypes.guess_type(os.fspath(path))
    if mime_type is None:
        raise ValueError(f"cannot tell the MIME type of {os.fspath(path)!r}: give mime_type=")
    return mime_type


class BlobModel(ApiModel):
    """Base of the generated Blob: inline data made from a path, a file or bytes."""

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], mime_type: str | None = None) -> Self:
        """The file at path, base64-encoded only while the request is sent."""
        data = Base64File.from_path(path)
        return cls.model_validate({"mime_type": mime_type or guess_mime_type(path), "data": data})

    @classmethod
    def from_file(cls, file: IO[bytes], mime_type: str) -> Self:
        """A seekable binary file (from its position), encoded only while the request is sent."""
        return cls.model_validate({"mime_type": mime_type, "data": Base64File.from_file(file)})

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> Self:
        """Bytes in memory."""
        return cls.model_validate({"mime_type": mime_type, "data": Base64Data.from_bytes(data)})


class PartModel(ApiModel):
    """Base of the generated Part: an inlineData part made from a path, a file or bytes."""

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], mime_type: str | None = None) -> Self:
        """A part whose inline data is the file at path, encoded only while it is sent."""
        data = Base64File.from_path(path)
        blob = {"mime_type": mime_type or guess_mime_type(path), "data": data}
        return cls.model_validate({"inline_data": blob})

    @classmethod
    def from_file(cls, file: IO[bytes], mime_type: str) -> Self:
        """A part whose inline data is a seekable binary file, encoded only while it is sent."""
        blob = {"mime_type": mime_type, "data": Base64File.from_file(file)}
        return cls.model_validate({"inline_data": blob})

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> Self:
        """A part whose inline data is bytes in memory."""
        blob = {"mime_type": mime_type, "data": Base64Data.from_bytes(data)}
        return cls.model_validate({"inline_data": blob})
