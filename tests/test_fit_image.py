"""Fitting one reference image: downsized to a long side, upright, re-encoded, nothing else kept."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from tests.test_recipe_broken import heic_bytes
from wisdomgate.recipe.fit_image import fit_bytes, oriented_size


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rgb(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    """A pixel of a multi-band image, as a tuple."""
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return pixel


def grey(image: Image.Image, x: int, y: int) -> float:
    """A pixel of a one-band image."""
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, int | float)
    return pixel


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    channels = len(mode)
    return Image.frombytes(mode, (width, height), os.urandom(width * height * channels))


def with_orientation(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(image, "JPEG", exif=exif)


def test_the_long_side_becomes_the_fit_size() -> None:
    out = fit_bytes(encoded(Image.new("RGB", (1200, 600))), 300, "jpeg", 85)
    assert (out.width, out.height) == (300, 150)
    assert decoded(out.data).size == (300, 150)


def test_a_portrait_image_is_fitted_by_its_height() -> None:
    out = fit_bytes(encoded(Image.new("RGB", (600, 1200))), 300, "jpeg", 85)
    assert (out.width, out.height) == (150, 300)


def test_a_jpeg_fitted_far_down_gets_the_exact_size() -> None:
    # libjpeg's reduced-scale decoding (1/2, 1/4, 1/8) must not change the size sent
    source = with_orientation(Image.new("RGB", (1001, 601), (90, 120, 150)), 6)
    out = fit_bytes(source, 100, "jpeg", 85)
    assert decoded(out.data).size == (round(601 * 100 / 1001), 100)


def test_a_heic_photo_is_fitted_to_a_jpeg() -> None:
    source = heic_bytes()  # 16 x 16
    out = fit_bytes(source, 8, "jpeg", 85)
    assert (out.mime_type, decoded(out.data).size) == ("image/jpeg", (8, 8))


def test_an_image_is_never_enlarged() -> None:
    out = fit_bytes(encoded(Image.new("RGB", (200, 100))), 2048, "jpeg", 85)
    assert decoded(out.data).size == (200, 100)


def test_the_aspect_ratio_is_kept_to_the_pixel() -> None:
    out = fit_bytes(encoded(Image.new("RGB", (1000, 333))), 512, "jpeg", 85)
    assert (out.width, out.height) == (512, round(333 * 512 / 1000))


def test_the_exif_orientation_is_applied_to_the_pixels() -> None:
    # orientation 6: the camera was turned; the picture is seen 90 degrees rotated (portrait)
    out = fit_bytes(with_orientation(Image.new("RGB", (400, 200)), 6), 100, "jpeg", 85)
    assert decoded(out.data).size == (50, 100)


def test_the_size_of_an_image_is_read_as_it_is_seen() -> None:
    assert oriented_size(with_orientation(Image.new("RGB", (400, 200)), 8)) == (200, 400)


def test_an_opaque_image_becomes_a_jpeg_at_the_quality_asked() -> None:
    source = encoded(noise(300, 300))
    low, high = fit_bytes(source, 300, "jpeg", 30), fit_bytes(source, 300, "jpeg", 95)
    assert (low.mime_type, low.quality) == ("image/jpeg", 30)
    assert decoded(low.data).format == "JPEG"
    assert len(low.data) < len(high.data)


def test_webp_can_be_asked_for_an_opaque_image() -> None:
    out = fit_bytes(encoded(noise(120, 80)), 100, "webp", 80)
    assert (out.mime_type, decoded(out.data).format, out.quality) == ("image/webp", "WEBP", 80)


def test_transparency_is_kept_as_lossless_webp() -> None:
    source = Image.new("RGBA", (64, 32), (10, 20, 30, 0))
    source.putpixel((5, 5), (200, 100, 50, 128))
    out = fit_bytes(encoded(source), 64, "jpeg", 85)
    image = decoded(out.data)
    assert (out.mime_type, out.quality, image.mode) == ("image/webp", None, "RGBA")
    assert image.getpixel((5, 5)) == (200, 100, 50, 128)  # lossless: the pixel exactly


def test_an_alpha_channel_that_hides_nothing_is_a_jpeg() -> None:
    out = fit_bytes(encoded(Image.new("RGBA", (64, 64), (1, 2, 3, 255))), 64, "jpeg", 85)
    assert out.mime_type == "image/jpeg"


def test_a_palette_image_with_a_transparent_colour_keeps_it() -> None:
    source = Image.new("P", (32, 32), 0)
    source.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = fit_bytes(encoded(source, transparency=0), 32, "jpeg", 85)
    assert rgb(decoded(out.data), 0, 0)[3] == 0


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    source = Image.new("I;16", (16, 16), 40000)
    pixel = grey(decoded(fit_bytes(encoded(source), 16, "jpeg", 95).data), 0, 0)
    assert abs(pixel - 40000 // 256) <= 2


def test_a_cmyk_jpeg_is_sent_as_rgb() -> None:
    source = encoded(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG")
    image = decoded(fit_bytes(source, 32, "jpeg", 95).data)
    assert image.mode == "RGB"
    assert rgb(image, 16, 16)[0] > 200  # red stays red


def test_metadata_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    exif[0x8825] = {1: "N"}  # a GPS block
    source = encoded(
        Image.new("RGB", (100, 100)),
        "JPEG",
        exif=exif,
        comment=b"private comment",
        xmp=b"<x:xmpmeta>private xmp</x:xmpmeta>",
    )
    out = fit_bytes(source, 50, "jpeg", 85)
    assert dict(decoded(out.data).getexif()) == {}
    assert b"private" not in out.data and b"SecretCamera" not in out.data


def test_a_colour_profile_is_applied_and_not_sent() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encoded(Image.new("RGB", (40, 40), (200, 50, 50)), "PNG", icc_profile=profile)
    out = fit_bytes(source, 40, "jpeg", 95)
    image = decoded(out.data)
    assert "icc_profile" not in image.info
    red, green, _ = rgb(image, 20, 20)
    assert abs(red - 200) <= 4 and abs(green - 50) <= 4  # sRGB to sRGB: the colour unchanged


images = st.builds(
    lambda size, mode, seed: Image.frombytes(
        mode, size, bytes((seed * 31 + i) % 256 for i in range(size[0] * size[1] * len(mode)))
    ),
    st.tuples(st.integers(1, 48), st.integers(1, 48)),
    st.sampled_from(["RGB", "RGBA", "L", "LA"]),
    st.integers(0, 255),
)


@settings(max_examples=40, deadline=None)
@given(
    image=images,
    fmt=st.sampled_from(["PNG", "JPEG", "WEBP"]),
    long_side=st.integers(1, 64),
    target=st.sampled_from(["jpeg", "webp"]),
    quality=st.integers(1, 100),
)
def test_the_same_image_and_settings_give_the_same_bytes(
    image: Image.Image, fmt: str, long_side: int, target: str, quality: int
) -> None:
    if fmt == "JPEG":
        image = image.convert("RGB")
    source = encoded(image, fmt)
    first = fit_bytes(source, long_side, target, quality)  # type: ignore[arg-type]
    assert fit_bytes(source, long_side, target, quality) == first  # type: ignore[arg-type]
    assert max(first.width, first.height) == min(long_side, max(image.size))


def test_a_fresh_process_makes_the_same_bytes() -> None:
    # what --resume and --replay rely on: another process, the same request hash
    source = encoded(Image.new("RGB", (300, 200), (12, 34, 56)), "PNG")
    script = (
        "import sys, hashlib; from wisdomgate.recipe.fit_image import fit_bytes;"
        "print(hashlib.sha256(fit_bytes(sys.stdin.buffer.read(), 128, 'jpeg', 85).data).hexdigest())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=source, capture_output=True, check=True
    )
    here = hashlib.sha256(fit_bytes(source, 128, "jpeg", 85).data).hexdigest()
    assert done.stdout.decode().strip() == here
