"""Fitted reference images made once and kept in a content-addressed spool for the process.

A fitted image is new bytes that no recipe file holds. They are made at validation (their size
decides whether a request fits, and `fit: auto` needs it) and sent by the runner from a spool
file named by their own sha256, in a private temporary folder removed when the process exits.
The runner copies each one into the run folder it is sent from (wisdomgate.run.references), so
the manifest refers to a file that stays. Fitting is deterministic, so a later process (a
`--resume`, a `--replay`) makes the same bytes again and so the same request hash.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from wisdomgate.recipe.fit_image import DecodedSources, FitFormat, fit_bytes, oriented_size
from wisdomgate.recipe.image_decode import HEIF_DECODER
from wisdomgate.recipe.plan import Fitted, ImageInput

__all__ = ["FitSettings", "Fitter", "spool_folder"]

_EXTENSIONS = {"image/jpeg": "jpg", "image/webp": "webp"}
_spool: Path | None = None


@dataclass(frozen=True)
class FitSettings:
    """How a reference is re-encoded: a long side (None: chosen by `fit: auto`), format, quality."""

    long_side: int | None
    format: FitFormat = "jpeg"
    quality: int = 85


def spool_folder() -> Path:
    """The process's private spool folder (created on first use, removed at exit)."""
    global _spool
    if _spool is None or not _spool.is_dir():
        _spool = Path(tempfile.mkdtemp(prefix="wisdomgate-fitted-"))
        atexit.register(shutil.rmtree, _spool, True)
    return _spool


@dataclass
class Fitter:
    """Fits reference images; each (content, long side, format, quality) is encoded once."""

    # sha256 -> oriented (width, height), or why the image cannot be fitted
    _sizes: dict[str, tuple[int, int] | str] = field(default_factory=dict)
    _fitted: dict[tuple[str, int, FitFormat, int], ImageInput | str] = field(default_factory=dict)
    # each source decoded once for the rungs `fit: auto` tries (within a memory budget)
    _sources: DecodedSources = field(default_factory=DecodedSources)

    def long_side(self, image: ImageInput) -> int | str:
        """The image's long side as it is seen (EXIF orientation applied), or the problem."""
        found = self._size(image)
        return found if isinstance(found, str) else max(found)

    def fit(
        self, image: ImageInput, long_side: int, settings: FitSettings, *, auto: bool = False
    ) -> ImageInput | str:
        """image downsized to long_side (never enlarged) and re-encoded; or the problem."""
        own = self.long_side(image)
        if isinstance(own, str):
            return own
        side = min(long_side, own)  # sizes above the image's own give the same bytes
        key = (image.sha256, side, settings.format, settings.quality)
        if key not in self._fitted:
            self._fitted[key] = self._encode(image, side, settings)
        found = self._fitted[key]
        if isinstance(found, str) or found.fitted is None:
            return found
        return replace(found, fitted=replace(found.fitted, long_side=long_side, auto=auto))

    def _size(self, image: ImageInput) -> tuple[int, int] | str:
        if image.sha256 not in self._sizes:
            try:
                self._sizes[image.sha256] = oriented_size(_read(image))
            except (OSError, ValueError) as exc:
                self._sizes[image.sha256] = _problem(image, exc)
        return self._sizes[image.sha256]

    def _encode(self, image: ImageInput, side: int, settings: FitSettings) -> ImageInput | str:
        try:
            data = _read(image)
            out = fit_bytes(
                data,
                side,
                settings.format,
                settings.quality,
                sources=self._sources,
                sha256=image.sha256,
            )
        except (OSError, ValueError) as exc:
            return _problem(image, exc)
        digest = hashlib.sha256(out.data).hexdigest()
        path = spool_folder() / f"{digest}.{_EXTENSIONS[out.mime_type]}"
        if not path.is_file():  # content-addressed: a file of that name holds these bytes
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(out.data)
            temporary.replace(path)
        how = Fitted(image, side, False, out.width, out.height, out.quality)
        return ImageInput(path, out.mime_type, digest, len(out.data), how)


def _read(image: ImageInput) -> bytes:
    data = image.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != image.sha256:
        raise OSError(f"{image.path} changed while the recipe was validated")
    return data


def _problem(image: ImageInput, exc: Exception) -> str:
    if image.mime_type in ("image/heic", "image/heif") and HEIF_DECODER is None:
        return "cannot be fitted: HEIC/HEIF needs pillow-heif, which is not installed"
    return f"cannot be fitted ({exc})"
