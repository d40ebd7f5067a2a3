"""Reference images of recipes: paths and globs resolved, kept inside the root, typed by content."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wisdomgate.errors import FieldPath, Issue
from wisdomgate.recipe.image_decode import decode_problem
from wisdomgate.recipe.issues import did_you_mean
from wisdomgate.recipe.paths import (
    PATH_ERRORS,
    find_symlink_loop,
    name_problem,
    path_problem,
    shown,
)
from wisdomgate.recipe.plan import ImageInput

__all__ = ["FIT_MAX_FILE_BYTES", "SUPPORTED_MIME_TYPES", "ImageResolver", "sniff_mime_type"]

# The inline image types generateContent accepts (ai.google.dev image-understanding page).
SUPPORTED_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_GLOB_CHARS = set("*?[")
# A file that is fitted may be larger than a request (it is sent downsized); not unboundedly.
FIT_MAX_FILE_BYTES = 256 * 2**20


def sniff_mime_type(head: bytes) -> str | None:
    """The type a file's first bytes announce (None when unknown); never the file name."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return _iso_media_type(head)
    signatures = {
        b"GIF87a": "image/gif",
        b"GIF89a": "image/gif",
        b"BM": "image/bmp",
        b"II*\x00": "image/tiff",
        b"MM\x00*": "image/tiff",
        b"%PDF": "application/pdf",
    }
    return next((kind for magic, kind in signatures.items() if head.startswith(magic)), None)


def _iso_media_type(head: bytes) -> str | None:
    """HEIC/HEIF/AVIF share the ISO-BMFF `ftyp` box; its brands tell them apart."""
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    major = head[8:12]
    brands = {major, *(head[i : i + 4] for i in range(16, box_end - 3, 4))}
    if major in (b"avif", b"avis") or (major in (b"mif1", b"msf1") and b"avif" in brands):
        return "image/avif"
    if brands & _HEIC_BRANDS:
        return "image/heic"
    if major in (b"mif1", b"msf1"):
        return "image/heif"
    return "video/quicktime" if major == b"qt  " else "video/mp4"


@dataclass
class ImageResolver:
    """Resolves the image entries of one recipe file; files are read once per load."""

    recipe_dir: Path
    root: Path
    allow_outside_root: bool = False
    max_bytes: int = 20 * 1024 * 1024
    # Shared by the runs of a recipe: (file, size limit) -> the image or (problem, fix).
    cache: dict[tuple[Path, int], ImageInput | tuple[str, str]] = field(default_factory=dict)

    def resolve(
        self, entry: str, is_glob: bool, path: FieldPath, *, fitted: bool = False
    ) -> tuple[list[ImageInput], list[Issue]]:
        """The images of one `images:` entry (already rendered), in sorted order for globs.
        fitted: they are to be downsized, so a file may be larger than a request."""
        if is_glob:
            found = self._glob(entry, path)
            if isinstance(found, Issue):
                return [], [found]
            names: Sequence[str] = found
        else:
            names = [entry]
        images, issues = [], []
        limit = FIT_MAX_FILE_BYTES if fitted else self.max_bytes
        for name in names:
            image = self._one(name, path, limit)
            if isinstance(image, Issue):
                issues.append(image)
            else:
                images.append(image)
        return images, issues

    def _glob(self, entry: str, path: FieldPath) -> list[str] | Issue:
        """The files a glob matches, sorted; `**` must not lead into a symlink loop (glob
        follows links to folders: two links to a parent make 2**40 paths to walk)."""
        try:
            loop = (
                find_symlink_loop(self.recipe_dir / _fixed_part(entry)) if "**" in entry else None
            )
            if loop is not None:
                loop = (
                    loop.relative_to(self.recipe_dir)
                    if loop.is_relative_to(self.recipe_dir)
                    else loop
                )
                message = f"the pattern '{shown(entry)}' leads into a loop of symbolic links at '{shown(loop)}'"
                return Issue(path, message, "remove the link, or use a pattern without **")
            matches = sorted(
                m
                for m in glob.glob(entry, root_dir=self.recipe_dir, recursive=True)
                if (self.recipe_dir / m).is_file()
            )
        except PATH_ERRORS as exc:
            message, fix = path_problem(exc)
            return Issue(path, f"the pattern '{shown(entry)}' {message}", fix)
        if not matches:
            fix = f"check the pattern; it is relative to the recipe's folder {self.recipe_dir}"
            return Issue(path, f"no file matches '{shown(entry)}'", fix)
        return matches

    def _one(self, name: str, path: FieldPath, limit: int) -> ImageInput | Issue:
        """One image file, checked; every way its path can fail is an Issue."""
        problem = name_problem(name)
        if problem is None:
            try:
                return self._checked(name, path, limit)
            except PATH_ERRORS as exc:  # a symlink loop, a name too long, no permission...
                problem = path_problem(exc)
        message, fix = problem
        return Issue(path, f"image path '{shown(name)}' {message}", fix)

    def _checked(self, name: str, path: FieldPath, limit: int) -> ImageInput | Issue:
        file = Path(os.path.normpath(self.recipe_dir / name))
        real = file.resolve()
        if not self.allow_outside_root and not real.is_relative_to(self.root.resolve()):
            message = f"'{shown(name)}' is outside the root folder {self.root}"
            return Issue(path, message, "move it under the root, or run with --allow-outside-root")
        if not file.is_file():
            return Issue(
                path, f"image file '{shown(name)}' not found", self._missing_fix(file, name)
            )
        key = (real, limit)
        if key not in self.cache:
            self.cache[key] = self._read(file, name, limit)
        found = self.cache[key]
        return Issue(path, *found) if isinstance(found, tuple) else found

    def _read(self, file: Path, name: str, limit: int) -> ImageInput | tuple[str, str]:
        """The checked image, or what is wrong with it and the fix."""
        size = file.stat().st_size
        if size == 0:
            return f"'{shown(name)}' is empty", _TYPE_FIX
        if size > limit:
            message = f"'{shown(name)}' is {size / 2**20:.1f} MB; a request may be at most {limit / 2**20:.0f} MB"
            fix = "downsize it: write `{path: ..., fit: auto}`" if limit == self.max_bytes else ""
            return message, fix or "downsize it in an image editor first"
        data = file.read_bytes()
        kind = sniff_mime_type(data[:64])
        if kind not in SUPPORTED_MIME_TYPES:
            found = f"{kind} content" if kind else _describe_unknown(data[:512])
            message = f"'{shown(name)}' is not a supported image: it holds {found} (whatever its name says)"
            return message, _TYPE_FIX
        sha256 = hashlib.sha256(data).hexdigest()
        broken = decode_problem(data, kind, sha256)
        if broken is not None:  # the API would refuse it with a 400, after paying for others
            return f"'{shown(name)}' {broken}; re-export it from an image editor", _TYPE_FIX
        return ImageInput(file, kind, sha256, size)

    @staticmethod
    def _missing_fix(file: Path, name: str) -> str:
        if _GLOB_CHARS & set(name):
            return f"write `{{path: {name}}}` to expand a glob"
        siblings = [p.name for p in file.parent.iterdir()] if file.parent.is_dir() else []
        close = did_you_mean(file.name, siblings)
        if close:
            return f"did you mean '{Path(name).parent / close}'?"
        return "paths are relative to the recipe file"


_TYPE_FIX = "use a png, jpeg, webp, heic or heif image"


def _fixed_part(pattern: str) -> str:
    """The folders at the start of a glob pattern that hold no wildcard (`refs/a` of
    `refs/a/**/*.png`)."""
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if _GLOB_CHARS & set(part)), len(parts))
    return str(Path(*parts[:fixed])) if fixed else "."


def _describe_unknown(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut in two at the end
            return "data of an unknown type"
    return "text"
