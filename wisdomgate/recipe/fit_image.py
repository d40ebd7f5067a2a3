"""One reference image fitted: decoded, turned upright, downsized to a long side, re-encoded.

Pure and deterministic: the same input bytes and settings give the same output bytes (with the
same Pillow and codec libraries), so a fitted reference keeps its request's hash from one run to
the next. Nothing of the original's metadata is kept: EXIF (GPS, camera, orientation, which is
applied to the pixels first), XMP, comments. An embedded colour profile is applied (the pixels are
converted to sRGB) instead of being dropped, so a Display P3 photo keeps its colours.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from wisdomgate.recipe.image_decode import register_heif_opener

__all__ = ["DecodedSources", "FitFormat", "FittedBytes", "fit_bytes", "oriented_size"]

FitFormat = Literal["jpeg", "webp"]

# Why these: Lanczos is Pillow's sharpest downsampling filter; 4:2:0 chroma subsampling is what
# cameras write (set explicitly: Pillow's default changes with the quality); no progressive or
# optimised Huffman passes, which would only trade time for a few percent.
_RESAMPLE = Image.Resampling.LANCZOS
_JPEG_SUBSAMPLING = 2  # 4:2:0
_WEBP_METHOD = 4  # libwebp's default speed/size trade-off, fixed so it cannot drift
_SRGB = ImageCms.createProfile("sRGB")


@dataclass
class DecodedSources:
    """Decoded sources (upright, sRGB, flattened) kept for the next rung of `fit: auto`.

    Keyed by (sha256, the decoder's size): a JPEG decoded at 1/2, 1/4 or 1/8 scale is another
    image. Entries are kept until max_pixels is reached, then new ones are not kept (never
    evicted): `auto` visits the same images rung after rung, which an LRU would thrash.
    """

    max_pixels: int = 48_000_000  # about 150 MB of RGB; a dozen phone photos would be 2 GB
    _images: dict[tuple[str, int, int], Image.Image] = field(default_factory=dict)
    _pixels: int = 0

    def get(self, key: tuple[str, int, int]) -> Image.Image | None:
        """The decoded image kept under key, if any."""
        return self._images.get(key)

    def keep(self, key: tuple[str, int, int], image: Image.Image) -> None:
        """Keep image under key while the budget allows."""
        pixels = image.width * image.height
        if key not in self._images and self._pixels + pixels <= self.max_pixels:
            self._images[key] = image
            self._pixels += pixels


@dataclass(frozen=True)
class FittedBytes:
    """The re-encoded image: its bytes, type and pixel size, and the quality used."""

    data: bytes
    mime_type: str
    width: int
    height: int
    quality: int | None  # None: lossless (an image with transparency)


def oriented_size(data: bytes) -> tuple[int, int]:
    """(width, height) as the image is seen: after its EXIF orientation (read from the header)."""
    with _open(data) as image:
        return _upright(image.size, image.getexif().get(0x0112, 1))


def _upright(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """The size once the EXIF orientation is applied: 5 to 8 turn the picture by 90 degrees."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def fit_bytes(
    data: bytes,
    long_side: int,
    fmt: FitFormat,
    quality: int,
    *,
    sources: DecodedSources | None = None,
    sha256: str = "",
) -> FittedBytes:
    """data downsized so that its long side is at most long_side (never enlarged), re-encoded.

    An image with transparency is written as lossless WebP (JPEG has no alpha); any other as
    `fmt` at `quality`. With `sources` (and the data's sha256), the decoded image is taken from
    or kept there: the same pixels, so the same bytes, without decoding again. OSError or
    ValueError when data does not decode.
    """
    image, (width, height), scale = _decoded(data, long_side, sources, sha256)
    if scale < 1:  # the size from the original's, whatever the decoder's scale was
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, _RESAMPLE)
    else:
        image = image.copy()  # a kept source is shared; its info is cleared below
    image.info = {}  # Pillow's encoders carry some of it over (a JPEG comment, an ICC profile)
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA"):
        image.save(out, "WEBP", lossless=True, quality=100, method=_WEBP_METHOD, exact=False)
        return FittedBytes(out.getvalue(), "image/webp", image.width, image.height, None)
    if fmt == "webp":
        image.save(out, "WEBP", quality=quality, method=_WEBP_METHOD)
        return FittedBytes(out.getvalue(), "image/webp", image.width, image.height, quality)
    image.save(out, "JPEG", quality=quality, subsampling=_JPEG_SUBSAMPLING, optimize=False)
    return FittedBytes(out.getvalue(), "image/jpeg", image.width, image.height, quality)


def _decoded(
    data: bytes, long_side: int, sources: DecodedSources | None, sha256: str
) -> tuple[Image.Image, tuple[int, int], float]:
    """The source decoded (at the JPEG draft scale the long side allows), upright, in sRGB and
    flattened; its upright size at full scale; and the scale to resize it by."""
    with _open(data) as opened:
        width, height = _upright(opened.size, opened.getexif().get(0x0112, 1))
        scale = long_side / max(width, height)
        if scale <= 0.5 and opened.format == "JPEG":
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale directly; at least twice the target is
            # kept, so the Lanczos pass below still has the detail it needs
            opened.draft(
                None, (math.ceil(opened.width * scale * 2), math.ceil(opened.height * scale * 2))
            )
        key = (sha256, *opened.size)  # the size the decoder will produce (draft sets it)
        kept = sources.get(key) if sources is not None and sha256 else None
        if kept is not None:
            return kept, (width, height), scale
        image = ImageOps.exif_transpose(opened)  # a copy, upright
        icc = opened.info.get("icc_profile")
    image = _flatten_mode(_to_srgb(image, icc))
    if sources is not None and sha256:
        sources.keep(key, image)
    return image, (width, height), scale


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # large photos are expected here; a decompression bomb is refused at validation
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            # HEIC/HEIF: its plugin is imported only when such a reference turns up (it is slow)
            if not register_heif_opener():
                raise
            return Image.open(io.BytesIO(data))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The pixels in sRGB when the file embeds another colour profile (dropped otherwise)."""
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: the pixels as they are
    return converted if converted is not None else image


def _flatten_mode(image: Image.Image) -> Image.Image:
    """RGB or L, or RGBA/LA when some pixel is not fully opaque."""
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        alpha = image.getchannel("A")
        if alpha.getextrema()[0] == 255:  # an alpha channel that hides nothing
            return image.convert("RGB" if image.mode == "RGBA" else "L")
        return image
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scaled to 8 bits (convert("L") would clip everything above 255)
        return image.point(lambda value: value / 256).convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, 1, F...
