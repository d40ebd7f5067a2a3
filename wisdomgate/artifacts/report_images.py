"""How much an image changed: a perceptual hash distance and a pixel difference (Pillow).

The dHash (difference hash) shrinks an image to 9x8 grey pixels and keeps one bit per
neighbouring pair: is the left one brighter? Two images that look alike have hashes a few bits
apart whatever their size or encoding; the distance is the number of differing bits (0-64). The
pixel difference is the mean absolute difference of the two images scaled to the same small
size, 0 (same) to 1 (black against white). The change score is the larger of the two, the hash
distance divided by 64: a re-encode scores near 0, a different picture near or above 0.3.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

__all__ = ["HASH_BITS", "ImageChange", "compare_images", "dhash"]

HASH_BITS = 64
_HASH_SIZE = 8
_DIFF_SIZE = (64, 64)  # enough to see a changed region, small enough for thousands of pairs


@dataclass(frozen=True)
class ImageChange:
    """How two images differ: hash distance (bits), pixel difference (0-1), the score (0-1)."""

    hash_distance: int
    pixel_difference: float

    @property
    def score(self) -> float:
        """The change score: max(hash distance / 64, pixel difference), 0 = the same."""
        return max(self.hash_distance / HASH_BITS, self.pixel_difference)


SAME = ImageChange(0, 0.0)
GONE = ImageChange(HASH_BITS, 1.0)  # an image on one side only, or one that does not decode


def dhash(image: Image.Image) -> int:
    """The 64-bit difference hash of an image."""
    grey = image.convert("L").resize((_HASH_SIZE + 1, _HASH_SIZE), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()  # mode L: one byte per pixel, row by row
    bits = 0
    for row in range(_HASH_SIZE):
        for column in range(_HASH_SIZE):
            left = pixels[row * (_HASH_SIZE + 1) + column]
            right = pixels[row * (_HASH_SIZE + 1) + column + 1]
            bits = (bits << 1) | (left > right)
    return bits


def _pixel_difference(old: Image.Image, new: Image.Image) -> float:
    small_old = old.convert("RGB").resize(_DIFF_SIZE, Image.Resampling.BILINEAR)
    small_new = new.convert("RGB").resize(_DIFF_SIZE, Image.Resampling.BILINEAR)
    means = ImageStat.Stat(ImageChops.difference(small_old, small_new)).mean
    return sum(means) / len(means) / 255


def _open(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as image:
            image.draft("RGB", (256, 256))  # JPEGs decode at a fraction of their size
            image.load()
            return image.copy()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def compare_images(old: Path, new: Path) -> ImageChange:
    """How the image at new differs from the one at old (GONE when either cannot be read)."""
    old_image, new_image = _open(old), _open(new)
    if old_image is None or new_image is None:
        return GONE
    distance = (dhash(old_image) ^ dhash(new_image)).bit_count()
    return ImageChange(distance, _pixel_difference(old_image, new_image))
