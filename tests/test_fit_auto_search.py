"""`fit: auto`'s search: cheaper than fitting every image at every rung, the same choice."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from wisdomgate.recipe import ImageInput
from wisdomgate.recipe.checks import request_bytes
from wisdomgate.recipe.fit_image import DecodedSources, fit_bytes
from wisdomgate.recipe.fit_spool import FitSettings, Fitter
from wisdomgate.recipe.fitting import (
    AUTO_HEADROOM,
    FIT_LADDER,
    Reference,
    TurnImages,
    fit_turns,
)


def photo(seed: int, size: tuple[int, int]) -> bytes:
    """A JPEG between a gradient and noise (seeded): its bytes per pixel vary like photos'."""
    rng = random.Random(seed)
    noise = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    smooth = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    Image.blend(smooth, noise, rng.random()).save(out, "JPEG", quality=95)
    return out.getvalue()


def reference(folder: Path, index: int, data: bytes, fmt: str) -> Reference:
    path = folder / f"ref-{index}.jpg"
    path.write_bytes(data)
    image = ImageInput(path, "image/jpeg", hashlib.sha256(data).hexdigest(), len(data))
    settings = FitSettings(None, "webp" if fmt == "webp" else "jpeg", 80)
    return Reference(image, settings, ("turns", 0, "images", index))


def exhaustive(turns: list[TurnImages], limit: int) -> list[tuple[ImageInput, ...]]:
    """The search as it was first written: every image fitted at each rung from the top, the
    first rung at which no turn's request is over the target is chosen."""
    fitter, target = Fitter(), int(limit * (1 - AUTO_HEADROOM))
    sent: list[tuple[ImageInput, ...]] = []
    for rung in FIT_LADDER:
        sent = []
        for turn in turns:
            fitted = [
                fitter.fit(ref.image, rung, ref.settings, auto=True)
                for ref in turn.references
                if ref.settings
            ]
            assert all(isinstance(image, ImageInput) for image in fitted)
            sent.append(tuple(image for image in fitted if isinstance(image, ImageInput)))
        sizes: list[int] = []
        over = False
        for turn, images in zip(turns, sent, strict=True):
            sizes += [image.size_bytes for image in images]
            over = over or request_bytes(list(turn.texts), sizes) > target
        if not over:
            return sent
    return sent


def digests(sent: list[tuple[ImageInput, ...]]) -> list[list[str]]:
    return [[image.sha256 for image in images] for images in sent]


run_shapes = st.lists(
    st.tuples(
        st.integers(0, 2**16),
        st.integers(40, 700),
        st.integers(40, 700),
        st.sampled_from(["jpeg", "webp"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shapes=run_shapes, split=st.integers(0, 4), limit=st.integers(2_000, 1_200_000))
def test_auto_chooses_the_rung_the_exhaustive_search_chooses(
    tmp_path: Path, shapes: list[tuple[int, int, int, str]], split: int, limit: int
) -> None:
    refs = [
        reference(tmp_path, i, photo(seed, (w, h)), fmt)
        for i, (seed, w, h, fmt) in enumerate(shapes)
    ]
    first, second = refs[: min(split, len(refs))], refs[min(split, len(refs)) :]
    turns = [TurnImages(1, ("turns", 0), ("draw",), tuple(first))]
    if second:
        turns.append(TurnImages(2, ("turns", 1), ("draw", "again"), tuple(second)))

    sent, issues = fit_turns(turns, None, limit, Fitter())

    expected = exhaustive(turns, limit)
    assert digests(sent) == digests(expected)
    cannot = [issue for issue in issues if "cannot bring" in issue.message]
    assert bool(cannot) == (
        request_bytes(list(turns[-1].texts), [i.size_bytes for t in expected for i in t])
        > int(limit * (1 - AUTO_HEADROOM))
    )


def test_a_rung_that_cannot_fit_stops_encoding_at_the_first_image_over(tmp_path: Path) -> None:
    refs = [reference(tmp_path, i, photo(i, (600, 400)), "jpeg") for i in range(4)]
    turns = [TurnImages(1, ("turns", 0), ("draw",), tuple(refs))]
    fitter = Fitter()
    one_small = fitter.fit(refs[0].image, 256, refs[0].settings or FitSettings(None))
    assert isinstance(one_small, ImageInput)

    sent, issues = fit_turns(turns, None, request_bytes(["draw"], [one_small.size_bytes]), fitter)

    # 600 px (the image's own size) and 512 px were each given up after one image over the
    # limit; only 256 px, the last rung, fits all four (and still does not fit)
    assert sorted(side for _, side, _, _ in fitter._fitted) == [256] * 4 + [384, 512, 600]
    assert [issue.message for issue in issues if "cannot bring" in issue.message]
    assert len(sent[0]) == 4


def test_a_kept_source_gives_the_bytes_of_a_fresh_decode() -> None:
    data = photo(7, (640, 480))
    sha = hashlib.sha256(data).hexdigest()
    sources = DecodedSources()
    for side in (640, 512, 384, 256, 512, 640):  # the second 512 and 640 come from `sources`
        kept = fit_bytes(data, side, "jpeg", 85, sources=sources, sha256=sha)
        assert kept == fit_bytes(data, side, "jpeg", 85)


def test_sources_are_not_kept_beyond_their_pixel_budget() -> None:
    data = photo(3, (300, 200))
    sources = DecodedSources(max_pixels=300 * 200 - 1)
    fit_bytes(data, 100, "jpeg", 85, sources=sources, sha256="x")
    assert sources.get(("x", 300, 200)) is None
