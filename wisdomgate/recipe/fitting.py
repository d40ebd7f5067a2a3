"""`fit:` for one run: which references are downsized, to what, and whether the requests fit.

Each turn's request carries every reference image of the conversation so far, so the size check
and `fit: auto` look at the whole run. `auto` picks one long side for all of a run's `auto`
images: the largest rung of FIT_LADDER at which every turn's estimated request is within the
model's limit. The ladder is fixed and searched from the top, so the choice is deterministic.
It is not bisected: an encoder's output need not shrink with the pixel count, so a bisection
could choose another rung; instead a rung that cannot fit is given up early (_at_rung).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wisdomgate.catalog import ModelInfo
from wisdomgate.errors import FieldPath, Issue
from wisdomgate.recipe.checks import check_reference_images, request_bytes
from wisdomgate.recipe.fit_image import FitFormat
from wisdomgate.recipe.fit_spool import FitSettings, Fitter
from wisdomgate.recipe.format import FitOptions, FitValue
from wisdomgate.recipe.plan import AutoFit, ImageInput

__all__ = ["FIT_LADDER", "TurnImages", "auto_fit", "fit_settings", "fit_turns"]

FIT_LADDER = (4096, 3072, 2560, 2048, 1792, 1536, 1280, 1024, 768, 512, 384, 256)
DEFAULT_QUALITY = 85  # where JPEG artefacts stop being visible in photos, at a third the bytes
# `auto` aims this far under the limit: room for the JSON the estimate leaves out (config,
# tools, safety settings), so that the body sent is under the limit, not just its estimate
AUTO_HEADROOM = 0.01


@dataclass(frozen=True)
class Reference:
    """One reference image of a turn: the checked file, how to fit it, where it is written."""

    image: ImageInput
    settings: FitSettings | None  # None: sent as it is
    where: FieldPath


@dataclass(frozen=True)
class TurnImages:
    """A turn's inputs for the checks: its texts so far and its own references."""

    number: int
    where: FieldPath  # where a problem of the whole request is reported
    texts: tuple[str, ...]  # every text the request holds (earlier turns' too)
    references: tuple[Reference, ...]


def fit_settings(default: FitValue | None, entry: FitValue | None) -> FitSettings | None:
    """The settings an image gets from the recipe's `fit:` and its own (which wins, key by key
    when both are written out); None when it is sent as it is."""
    if entry is False or (entry is None and default in (None, False)):
        return None
    (size, fmt, quality), (base_size, base_fmt, base_quality) = _parts(entry), _parts(default)
    size = size or base_size or "auto"  # `fit: {quality: 70}` keeps the recipe's size
    long_side = None if size == "auto" else int(size)
    return FitSettings(
        long_side, fmt or base_fmt or "jpeg", quality or base_quality or DEFAULT_QUALITY
    )


def _parts(value: FitValue | None) -> tuple[int | str | None, FitFormat | None, int | None]:
    """(size, format, quality) as written; None for what is not."""
    if isinstance(value, FitOptions):
        size = value.size if "size" in value.model_fields_set else None
        return size, value.format, value.quality
    return (None if value is None or value is False else value), None, None


def fit_turns(
    turns: Sequence[TurnImages], info: ModelInfo | None, limit: int, fitter: Fitter
) -> tuple[list[tuple[ImageInput, ...]], list[Issue]]:
    """Each turn's images as they are sent (fitted where asked), and every problem: an image
    that cannot be fitted, too many images, a request over the limit (each reported once)."""
    issues: list[Issue] = []
    fixed = [[_fixed(ref, fitter, issues) for ref in turn.references] for turn in turns]
    sent = _auto(turns, fixed, limit, fitter, issues)
    if any(issue.severity == "error" for issue in issues):
        return sent, issues
    count = 0
    for turn, images in zip(turns, sent, strict=True):
        count += len(images)
        found = check_reference_images(info, count, turn.number, turn.where)
        if found:
            issues += found
            break
    issues += _size_issue(turns, sent, info, limit, fitter)
    return sent, issues


def auto_fit(
    turns: Sequence[TurnImages], sent: Sequence[tuple[ImageInput, ...]], limit: int
) -> AutoFit | None:
    """What `fit: auto` chose for the run whose images are `sent`; None when none is `auto`."""
    images = [image for images in sent for image in images]
    chosen = [image.fitted for image in images if image.fitted and image.fitted.auto]
    if not chosen or not turns:
        return None
    request = request_bytes(list(turns[-1].texts), [image.size_bytes for image in images])
    side = chosen[0].long_side
    smaller = sum(max(fit.width, fit.height) < side for fit in chosen)
    return AutoFit(side, len(chosen), smaller, request, limit)


def _fixed(ref: Reference, fitter: Fitter, issues: list[Issue]) -> ImageInput | None:
    """The image with a fixed fit applied; None for an `auto` one (chosen later)."""
    if ref.settings is None:
        return ref.image
    if ref.settings.long_side is None:
        return None
    found = fitter.fit(ref.image, ref.settings.long_side, ref.settings)
    if isinstance(found, str):
        issues.append(_cannot(ref, found))
        return ref.image
    return found


def _auto(
    turns: Sequence[TurnImages],
    fixed: list[list[ImageInput | None]],
    limit: int,
    fitter: Fitter,
    issues: list[Issue],
) -> list[tuple[ImageInput, ...]]:
    """The images with `auto` ones fitted at the largest rung where every request fits."""
    if all(image is not None for images in fixed for image in images):
        return [tuple(i for i in images if i is not None) for images in fixed]
    unfit = [
        _cannot(ref, side)
        for turn, images in zip(turns, fixed, strict=True)
        for ref, image in zip(turn.references, images, strict=True)
        if image is None and isinstance(side := fitter.long_side(ref.image), str)
    ]
    if unfit:  # every unreadable header at once, as a fit of every image would find them
        issues += unfit
        return _as_they_are(turns)
    target = int(limit * (1 - AUTO_HEADROOM))
    for rung in FIT_LADDER[:-1]:
        problems: list[Issue] = []
        sent = _at_rung(turns, fixed, rung, target, fitter, problems)
        if problems:
            issues += problems
            return _as_they_are(turns)
        if sent is not None:
            return sent
    return _at_last_rung(turns, fixed, limit, target, fitter, issues)


def _at_last_rung(
    turns: Sequence[TurnImages],
    fixed: list[list[ImageInput | None]],
    limit: int,
    target: int,
    fitter: Fitter,
    issues: list[Issue],
) -> list[tuple[ImageInput, ...]]:
    """The images at the smallest rung, and the problem when even that is over the limit."""
    problems: list[Issue] = []
    sent = _at_rung(turns, fixed, FIT_LADDER[-1], None, fitter, problems)
    if problems or sent is None:
        issues += problems
        return _as_they_are(turns)
    over = _first_over(turns, sent, target)
    if over is None:
        return sent
    turn, size = over
    message = (
        f"fit: auto cannot bring the request of turn {turn.number} within the limit: even with"
        f" its images at {FIT_LADDER[-1]} px it would be about {_mb(size)} MB; the limit is"
        f" {_mb(limit)} MB (auto keeps {AUTO_HEADROOM:.0%} of it free)"
    )
    fix = "send fewer reference images (earlier turns' images count too), or lower the fixed fits"
    issues.append(Issue(turn.where, message, fix))
    return sent


def _at_rung(
    turns: Sequence[TurnImages],
    fixed: list[list[ImageInput | None]],
    rung: int,
    target: int | None,
    fitter: Fitter,
    problems: list[Issue],
) -> list[tuple[ImageInput, ...]] | None:
    """Each turn's images with the `auto` ones at this rung; None as soon as the last turn's
    request is sure to be over target (None: no target, every image is fitted).

    The last request holds every text and image of the run, so it is the largest: the rung
    fits exactly when it does. Its size only grows as images are fitted, so the first time a
    partial sum is over the target, the rung cannot fit and the rest is not encoded. The
    largest images (expected from their pixel count) go first, to find that out soonest; the
    order changes what is encoded, never which rung is chosen.
    """
    texts = list(turns[-1].texts)
    sizes = [image.size_bytes for images in fixed for image in images if image is not None]
    pending = [
        (t, j) for t, images in enumerate(fixed) for j, image in enumerate(images) if image is None
    ]
    pending.sort(key=lambda tj: -_expected(turns[tj[0]].references[tj[1]], rung, fitter))
    done: dict[tuple[int, int], ImageInput] = {}
    for t, j in pending:
        found = _at(turns[t].references[j], None, rung, fitter, problems)
        if problems:
            return None
        done[t, j] = found
        sizes.append(found.size_bytes)
        if target is not None and request_bytes(texts, sizes) > target:
            return None
    return [
        tuple(image or done[t, j] for j, image in enumerate(images))
        for t, images in enumerate(fixed)
    ]


def _expected(ref: Reference, rung: int, fitter: Fitter) -> float:
    """The bytes an image is expected to take at rung: its own, scaled by pixel count."""
    side = fitter.long_side(ref.image)
    scale = min(1.0, rung / side) if isinstance(side, int) else 1.0
    return ref.image.size_bytes * scale**2


def _as_they_are(turns: Sequence[TurnImages]) -> list[tuple[ImageInput, ...]]:
    """Each turn's references unfitted (what is returned with a problem: nothing is sent)."""
    return [tuple(ref.image for ref in turn.references) for turn in turns]


def _at(
    ref: Reference, image: ImageInput | None, rung: int, fitter: Fitter, problems: list[Issue]
) -> ImageInput:
    if image is not None:
        return image
    assert ref.settings is not None  # only `auto` references are left to fit
    found = fitter.fit(ref.image, rung, ref.settings, auto=True)
    if isinstance(found, str):
        problems.append(_cannot(ref, found))
        return ref.image
    return found


def _first_over(
    turns: Sequence[TurnImages], sent: Sequence[tuple[ImageInput, ...]], limit: int
) -> tuple[TurnImages, int] | None:
    """The first turn whose estimated request is over the limit, with that estimate."""
    sizes: list[int] = []
    for turn, images in zip(turns, sent, strict=True):
        sizes += [image.size_bytes for image in images]
        size = request_bytes(list(turn.texts), sizes)
        if size > limit:
            return turn, size
    return None


def _size_issue(
    turns: Sequence[TurnImages],
    sent: Sequence[tuple[ImageInput, ...]],
    info: ModelInfo | None,
    limit: int,
    fitter: Fitter,
) -> list[Issue]:
    """The first request over the limit: its size, the limit, by how much, and a fit to use."""
    over = _first_over(turns, sent, limit)
    if over is None or info is None:
        return []
    turn, size = over
    message = (
        f"the request of turn {turn.number} would be about {_mb(size)} MB (images in base64);"
        f" {info.name} accepts at most {_mb(limit)} MB: {_mb(size - limit)} MB"
        f" ({(size - limit) / limit:.0%}) over"
    )
    images = [image for images in sent[: turns.index(turn) + 1] for image in images]
    rung = _suggested_rung(images, turn.texts, limit, fitter)
    fix = "add `fit: auto` to the recipe (every reference is then downsized just enough)"
    if rung is None:  # by pixel count alone; re-encoding may still save more than that
        fix += ", or send fewer images (earlier turns' images count too)"
    else:
        fix += f", or `fit: {rung}` to the images (a long side in pixels; estimated)"
    return [Issue(turn.where, message, fix)]


def _suggested_rung(
    images: Sequence[ImageInput], texts: Sequence[str], limit: int, fitter: Fitter
) -> int | None:
    """The largest rung at which the images, scaled by their pixel count, would fit (an
    estimate from the sizes only: nothing is encoded for a suggestion)."""
    sides = [fitter.long_side(image) for image in images]
    for rung in FIT_LADDER:
        sizes = [
            image.size_bytes * min(1.0, rung / side) ** 2
            if isinstance(side, int)
            else image.size_bytes
            for image, side in zip(images, sides, strict=True)
        ]
        if request_bytes(list(texts), [round(s) for s in sizes]) <= limit:
            return rung
    return None


def _cannot(ref: Reference, problem: str) -> Issue:
    name = ref.image.path.name
    return Issue(ref.where, f"'{name}' {problem}", "use `fit: false` to send it as it is")


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"
