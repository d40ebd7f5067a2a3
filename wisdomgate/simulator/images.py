"""Deterministic PNG images: colours and shapes from the prompt, reference images blended in.

Drawn on a small canvas (longest side 256 px), reduced to a 64-colour palette and scaled up
with NEAREST, so even 4K and 12288x1536 answers take well under a second and little memory.
The same inputs always give the same bytes; a different prompt or reference image gives a
visibly different picture.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence

from PIL import Image, ImageDraw

__all__ = ["aspect_of", "decodes", "render_png"]

_CANVAS = 256  # longest side of the drawing canvas
_PALETTE_COLOURS = 64


def render_png(
    width: int, height: int, *, prompt: str, references: Sequence[bytes], salt: bytes = b""
) -> bytes:
    """A width x height PNG derived from the prompt, the reference images and salt."""
    small = _canvas_size(width, height)
    stream = _ByteStream(hashlib.sha256(prompt.encode() + b"|" + salt).digest())
    image = _background(small, stream)
    if references:
        image = Image.blend(image, _fit(references[-1], small, stream), 0.55)
    _draw_shapes(image, stream)
    _draw_thumbnails(image, references, stream)
    _draw_code(image, hashlib.sha256(salt + prompt.encode()).digest())
    palette = image.quantize(
        colors=_PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.resize((width, height), Image.Resampling.NEAREST).save(out, "PNG", compress_level=1)
    return out.getvalue()


def aspect_of(data: bytes) -> float | None:
    """width / height of an encoded image, or None when it cannot be read."""
    opened = _open(data)
    return None if opened is None else opened.width / opened.height


def decodes(data: bytes, mime_type: str) -> bool:
    """Whether data reads as an image; True for types Pillow cannot check (HEIC, HEIF)."""
    Image.init()
    if mime_type.lower() not in Image.MIME.values():
        return True  # the real API takes HEIC/HEIF: do not refuse what we cannot check
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()  # structure and checksums, without decoding every pixel
    except Exception:  # Pillow signals bad data with many exception types
        return False
    return True


class _ByteStream:
    """An endless deterministic byte source (SHA-256 in counter mode)."""

    def __init__(self, seed: bytes) -> None:
        self._seed, self._counter, self._buffer = seed, 0, b""

    def take(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._buffer += hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def colour(self) -> tuple[int, int, int]:
        r, g, b = self.take(3)
        return r, g, b

    def below(self, limit: int) -> int:
        return int.from_bytes(self.take(4), "big") % max(limit, 1)


def _canvas_size(width: int, height: int) -> tuple[int, int]:
    scale = max(width, height) / _CANVAS
    return max(1, round(width / scale)), max(1, round(height / scale))


def _background(size: tuple[int, int], stream: _ByteStream) -> Image.Image:
    top, bottom = stream.colour(), stream.colour()
    gradient = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), gradient)


def _draw_shapes(image: Image.Image, stream: _ByteStream) -> None:
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for _ in range(3 + stream.below(4)):
        x0, y0 = stream.below(w), stream.below(h)
        box = (x0, y0, x0 + 1 + stream.below(w // 2 + 1), y0 + 1 + stream.below(h // 2 + 1))
        if stream.below(2):
            draw.ellipse(box, fill=stream.colour(), outline=(0, 0, 0))
        else:
            draw.rectangle(box, fill=stream.colour(), outline=(255, 255, 255))


def _draw_thumbnails(image: Image.Image, references: Sequence[bytes], stream: _ByteStream) -> None:
    """A strip of every reference image along the bottom edge, so edits are visible."""
    if not references:
        return
    w, h = image.size
    side = max(4, min(h // 4, w // max(len(references), 1)))
    for index, data in enumerate(references):
        thumb = _fit(data, (side, side), stream)
        image.paste(thumb, (index * side, h - side))


def _draw_code(image: Image.Image, digest: bytes) -> None:
    """Eight blocks along the top edge spell the request digest, so every answer differs."""
    draw = ImageDraw.Draw(image)
    w = image.size[0]
    block = max(1, w // 16)
    for index in range(8):
        colour = (digest[3 * index], digest[3 * index + 1], digest[3 * index + 2])
        draw.rectangle(
            (index * block, 0, (index + 1) * block - 1, max(0, block // 2 - 1)), fill=colour
        )


def _fit(data: bytes, size: tuple[int, int], stream: _ByteStream) -> Image.Image:
    """The encoded image scaled to size, or a colour block derived from its bytes if unreadable."""
    opened = _open(data)
    if opened is None:
        return Image.new("RGB", size, tuple(hashlib.sha256(data).digest()[:3]))
    opened.draft("RGB", size)  # JPEG: decode at reduced scale, much faster for big photos
    return opened.convert("RGB").resize(size, Image.Resampling.BILINEAR)


def _open(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            # Huge uploads only ever get thumbnailed here; do not let the bomb check turn fatal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
            return image
    except Exception:  # any undecodable upload falls back to a colour block
        return None
