"""Reference images decoded for real at validation: a file whose first bytes look right but that
is truncated or garbage passes a sniff, and would cost a rejected request later."""

from __future__ import annotations

import io
import warnings
from collections import OrderedDict
from typing import Any

from PIL import Image, UnidentifiedImageError

__all__ = ["HEIF_DECODER", "decode_problem", "register_heif_opener"]

# HEIC/HEIF: Pillow needs libheif's plugin. Without it their container is checked only. Imported
# at the first HEIF reference (it costs ~0.1 s, more than validating a hundred recipes); None
# where there is no pillow-heif wheel.
_NOT_LOADED: Any = object()
HEIF_DECODER: Any = _NOT_LOADED
_HEIF_REGISTERED = False

_PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_HEIF_TYPES = ("image/heic", "image/heif")
_CACHE_SIZE = 1024
# (sha256, type) -> the problem or None: one decode per file content, across every recipe
# of a load (the recipes of a folder share their references).
_decoded: OrderedDict[tuple[str, str], str | None] = OrderedDict()


def decode_problem(data: bytes, mime_type: str, sha256: str) -> str | None:
    """Why the image does not decode as `mime_type` ("is truncated..."); None when it does."""
    key = (sha256, mime_type)
    if key in _decoded:
        _decoded.move_to_end(key)
        return _decoded[key]
    problem = _heif_problem(data) if mime_type in _HEIF_TYPES else _pillow_problem(data, mime_type)
    _decoded[key] = problem
    if len(_decoded) > _CACHE_SIZE:
        _decoded.popitem(last=False)
    return problem


def _pillow_problem(data: bytes, mime_type: str) -> str | None:
    kind = _PILLOW_FORMATS[mime_type]
    try:
        with warnings.catch_warnings():
            # Large photos are fine here; only a decompression bomb (twice Pillow's limit) is not.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                image.load()
    except Image.DecompressionBombError:
        return f"is a {kind} image with too many pixels to decode safely"
    # Pillow reports broken data as OSError ("image file is truncated"), SyntaxError ("broken
    # PNG file"), ValueError, EOFError, struct.error, even IndexError: every one means the same.
    except Exception as exc:
        return f"does not decode as a {kind} image ({_reason(exc)})"
    return None


def _heif_decoder() -> Any:
    """pillow_heif, imported once; None when it is not installed."""
    global HEIF_DECODER
    if HEIF_DECODER is _NOT_LOADED:
        try:
            import pillow_heif

            HEIF_DECODER = pillow_heif
        except ImportError:  # pragma: no cover - a platform without a pillow-heif wheel
            HEIF_DECODER = None
    return HEIF_DECODER


def register_heif_opener() -> bool:
    """Let Image.open read HEIC/HEIF (once per process); False without pillow-heif."""
    global _HEIF_REGISTERED
    decoder = _heif_decoder()
    if decoder is None:
        return False
    if not _HEIF_REGISTERED:
        decoder.register_heif_opener()
        _HEIF_REGISTERED = True
    return True


def _heif_problem(data: bytes) -> str | None:
    decoder = _heif_decoder()
    if decoder is None:
        return _heif_container_problem(data)
    try:
        decoder.read_heif(io.BytesIO(data))  # opens and decodes the primary image
    except Exception as exc:  # libheif errors arrive as ValueError, EOFError, RuntimeError
        if "Unsupported" in str(exc):  # a codec this libheif lacks (not HEVC): not our call
            return None
        return f"does not decode as a HEIF image ({_reason(exc)})"
    return None


def _heif_container_problem(data: bytes) -> str | None:
    """Without a decoder: the ISO-BMFF boxes must chain to the end, with a `meta` box."""
    offset, boxes = 0, set()
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.add(data[offset + 4 : offset + 8])
        if size == 0:  # the last box runs to the end of the file
            break
        if size == 1 and offset + 16 <= len(data):  # a 64-bit size follows the type
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8 or offset + size > len(data):
            return "is truncated or damaged (a HEIF box runs past the end of the file)"
        offset += size
    return None if b"meta" in boxes else "is damaged (a HEIF file without a meta box)"


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):  # its text names a BytesIO object
        return "its header is not valid"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 100 else f"{text[:97]}..."
