"""`fit:` in recipes: which references are downsized, to what, and the request size checks."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from wisdomgate.recipe import ImageInput
from wisdomgate.recipe.fit_spool import spool_folder
from wisdomgate.recipe.fitting import FIT_LADDER
from wisdomgate.recipe.loader import load_plans, validate_paths

HEAD = "version: 1\nmodel: gemini-3-pro-image-preview\n"
MIB = 2**20


def write(folder: Path, body: str) -> Path:
    path = folder / "r.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def picture(folder: Path, name: str, size: tuple[int, int] = (800, 400)) -> Path:
    """A smooth opaque PNG (a gradient), small on disk."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    path = folder / name
    image.save(path, "PNG")
    return path


def noise(folder: Path, name: str, size: tuple[int, int] = (1000, 750)) -> Path:
    """A photo-like worst case: noise does not compress (stored, so that it is quick to make)."""
    width, height = size
    image = Image.frombytes("RGB", size, os.urandom(width * height * 3))
    path = folder / name
    image.save(path, "PNG", compress_level=0)
    return path


def ballast(folder: Path, name: str, mib: float) -> Path:
    """A tiny PNG padded with zeros to `mib` MiB: it decodes, and it weighs."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    path = folder / name
    path.write_bytes(buffer.getvalue() + bytes(int(mib * MIB)))
    return path


def images(path: Path) -> tuple[ImageInput, ...]:
    (plan,) = load_plans([path])
    return plan.turns[0].images


def errors(path: Path) -> list[str]:
    return [str(error) for error in validate_paths([path]).errors]


def test_a_fit_entry_sends_a_jpeg_with_that_long_side(tmp_path: Path) -> None:
    picture(tmp_path, "a.png", (800, 400))
    body = "turns:\n  - prompt: p\n    images: [{path: a.png, fit: 200}]\n"
    (image,) = images(write(tmp_path, body))
    assert image.mime_type == "image/jpeg"
    assert image.fitted is not None
    assert (image.fitted.width, image.fitted.height, image.fitted.long_side) == (200, 100, 200)
    with Image.open(image.path) as sent:
        assert (sent.format, sent.size) == ("JPEG", (200, 100))


def test_the_fitted_image_remembers_the_file_it_was_made_from(tmp_path: Path) -> None:
    source = picture(tmp_path, "a.png")
    (image,) = images(
        write(tmp_path, "turns:\n  - prompt: p\n    images: [{path: a.png, fit: 64}]\n")
    )
    assert image.fitted is not None
    assert image.fitted.source.path == source
    assert image.fitted.source.size_bytes == source.stat().st_size


def test_fitted_bytes_are_spooled_under_their_own_sha256(tmp_path: Path) -> None:
    picture(tmp_path, "a.png")
    (image,) = images(
        write(tmp_path, "turns:\n  - prompt: p\n    images: [{path: a.png, fit: 64}]\n")
    )
    assert image.path.parent == spool_folder()
    assert image.path.name == f"{image.sha256}.jpg"


def test_planning_twice_makes_the_same_bytes(tmp_path: Path) -> None:
    noise(tmp_path, "a.png", (300, 200))
    recipe = write(tmp_path, "turns:\n  - prompt: p\n    images: [{path: a.png, fit: 128}]\n")
    assert images(recipe)[0].sha256 == images(recipe)[0].sha256


def test_the_recipe_fit_applies_to_plain_paths(tmp_path: Path) -> None:
    picture(tmp_path, "a.png", (800, 400))
    (image,) = images(write(tmp_path, "fit: 400\nturns:\n  - prompt: p\n    images: [a.png]\n"))
    assert image.fitted is not None and image.fitted.width == 400


def test_fit_false_sends_the_file_as_it_is(tmp_path: Path) -> None:
    source = picture(tmp_path, "a.png")
    body = "fit: 400\nturns:\n  - prompt: p\n    images: [{path: a.png, fit: false}]\n"
    (image,) = images(write(tmp_path, body))
    assert (image.fitted, image.path, image.mime_type) == (None, source, "image/png")


def test_an_entry_overrides_the_recipe_fit_key_by_key(tmp_path: Path) -> None:
    picture(tmp_path, "a.png", (800, 400))
    body = (
        "fit: {size: 300, format: webp}\nturns:\n  - prompt: p\n"
        "    images: [{path: a.png, fit: {quality: 40}}]\n"
    )
    (image,) = images(write(tmp_path, body))
    assert image.fitted is not None
    assert (image.fitted.width, image.mime_type, image.fitted.quality) == (300, "image/webp", 40)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("big", "fit must be auto, false, a long side in pixels"),
        ("Auto", "fit must be auto, false, a long side in pixels"),
        ("true", "fit must be auto, false, a long side in pixels"),
        ("1.5", "fit must be auto, false, a long side in pixels"),
        ("10", "from 64 to 8192, not 10"),
        ("9000", "from 64 to 8192, not 9000"),
    ],
)
def test_a_bad_fit_is_an_error_at_its_place_with_the_fix(
    tmp_path: Path, value: str, says: str
) -> None:
    picture(tmp_path, "a.png")
    recipe = write(
        tmp_path, f"turns:\n  - prompt: p\n    images: [{{path: a.png, fit: {value}}}]\n"
    )
    (error,) = validate_paths([recipe]).errors
    assert (error.line, error.column, error.field) == (5, 33, "turns[0].images[0].fit")
    assert says in error.message
    assert error.fix is not None and "fit: auto" in error.fix


def test_a_bad_fit_option_names_the_option(tmp_path: Path) -> None:
    picture(tmp_path, "a.png")
    recipe = write(tmp_path, "fit: {size: 512, format: png}\nturns: [{prompt: p}]\n")
    (error,) = validate_paths([recipe]).errors
    assert error.field == "fit.format" and "'jpeg' or 'webp'" in error.message


def test_a_file_larger_than_a_request_is_refused_with_fit_as_the_fix(tmp_path: Path) -> None:
    ballast(tmp_path, "huge.png", 21)
    (error,) = errors(write(tmp_path, "turns:\n  - prompt: p\n    images: [huge.png]\n"))
    assert "is 21.0 MB; a request may be at most 20 MB" in error and "fit: auto" in error


def test_a_file_larger_than_a_request_is_accepted_when_fitted(tmp_path: Path) -> None:
    ballast(tmp_path, "huge.png", 21)
    (image,) = images(write(tmp_path, "fit: auto\nturns:\n  - prompt: p\n    images: [huge.png]\n"))
    assert image.size_bytes < MIB


def test_an_over_limit_request_says_by_how_much_and_suggests_fit(tmp_path: Path) -> None:
    for index in range(10):
        noise(tmp_path, f"p{index}.png")  # 10 x 2.1 MiB: about 28 MiB in base64
    (error,) = errors(write(tmp_path, "turns:\n  - prompt: p\n    images: [{path: '*.png'}]\n"))
    assert "the request of turn 1 would be about 28." in error
    assert "accepts at most 20.0 MB: 8." in error and "over" in error
    assert "add `fit: auto` to the recipe" in error and "or `fit: 768`" in error


def test_fit_auto_picks_the_largest_rung_that_fits(tmp_path: Path) -> None:
    ballast(tmp_path, "heavy.png", 14)  # 18.7 MiB in base64, sent as it is
    noise(tmp_path, "a.png")
    noise(tmp_path, "b.png")
    body = (
        "turns:\n  - prompt: p\n    images:\n      - {path: heavy.png, fit: false}\n"
        "      - {path: '[ab].png', fit: %s}\n"
    )
    _, first, second = images(write(tmp_path, body % "auto"))
    assert first.fitted is not None and first.fitted.auto
    chosen = first.fitted.long_side
    assert second.fitted is not None and second.fitted.long_side == chosen
    assert chosen in FIT_LADDER and chosen < FIT_LADDER[0]
    larger = FIT_LADDER[FIT_LADDER.index(chosen) - 1]
    assert any("would be about" in e for e in errors(write(tmp_path, body % larger)))


def test_fit_auto_that_cannot_fit_says_so(tmp_path: Path) -> None:
    ballast(tmp_path, "heavy.png", 16)  # 21.3 MiB in base64 on its own
    picture(tmp_path, "a.png")
    body = (
        "turns:\n  - prompt: p\n    images:\n      - {path: heavy.png, fit: false}\n"
        "      - {path: a.png, fit: auto}\n"
    )
    (error,) = errors(write(tmp_path, body))
    assert "fit: auto cannot bring the request of turn 1 within the limit" in error
    assert f"even with its images at {FIT_LADDER[-1]} px" in error
    assert "send fewer reference images" in error


def test_fit_auto_counts_the_images_of_earlier_turns(tmp_path: Path) -> None:
    for index in range(8):
        noise(tmp_path, f"p{index}.png")
    body = (
        "fit: auto\nturns:\n  - prompt: p\n    images: [{path: 'p[0-3].png'}]\n"
        "  - prompt: q\n    images: [{path: 'p[4-7].png'}]\n"
    )
    (plan,) = load_plans([write(tmp_path, body)])
    sent = [image for turn in plan.turns for image in turn.images]
    assert len({image.fitted.long_side for image in sent if image.fitted}) == 1
    assert sum(4 * image.size_bytes // 3 for image in sent) < 20 * MIB


def test_the_plan_says_what_fit_auto_chose(tmp_path: Path) -> None:
    for index in range(3):
        noise(tmp_path, f"p{index}.png")
    (plan,) = load_plans(
        [write(tmp_path, "fit: auto\nturns:\n  - prompt: p\n    images: [{path: 'p*.png'}]\n")]
    )
    chosen = {image.fitted.long_side for image in plan.turns[0].images if image.fitted}
    assert plan.auto_fit is not None
    assert (plan.auto_fit.long_side, plan.auto_fit.references) == (chosen.pop(), 3)
    assert plan.auto_fit.limit_bytes == 20 * MIB
    assert plan.auto_fit.request_bytes > sum(image.size_bytes for image in plan.turns[0].images)


def test_a_run_without_fit_auto_has_no_auto_choice(tmp_path: Path) -> None:
    picture(tmp_path, "a.png")
    body = "turns:\n  - prompt: p\n    images: [{path: a.png, fit: 512}]\n"
    (plan,) = load_plans([write(tmp_path, body)])
    assert plan.auto_fit is None


def test_validate_reports_each_run_s_auto_choice(tmp_path: Path) -> None:
    picture(tmp_path, "a.png")
    body = "fit: auto\nmatrix:\n  n: [x, y]\nturns:\n  - prompt: '{{ n }}'\n    images: [a.png]\n"
    (report,) = validate_paths([write(tmp_path, body)]).files
    assert [run_id for run_id, _ in report.auto_fits] == ["n=x", "n=y"]
    assert {fit.describe() for _, fit in report.auto_fits} == {
        f"fit: auto -> {FIT_LADDER[0]} px (1 reference, all already smaller; request 0.0 MB of"
        " 20.0 MB)"
    }


def test_the_auto_choice_counts_the_references_already_smaller(tmp_path: Path) -> None:
    ballast(tmp_path, "heavy.png", 14)
    noise(tmp_path, "big.png", (1600, 1200))
    picture(tmp_path, "small.png", (200, 100))
    body = (
        "turns:\n  - prompt: p\n    images:\n      - {path: heavy.png, fit: false}\n"
        "      - {path: big.png, fit: auto}\n      - {path: small.png, fit: auto}\n"
    )
    (plan,) = load_plans([write(tmp_path, body)])
    assert plan.auto_fit is not None
    assert (plan.auto_fit.references, plan.auto_fit.smaller) == (2, 1)
    assert plan.auto_fit.long_side < 1600
    assert "(2 references, 1 already smaller; request 1" in plan.auto_fit.describe()
