"""Output folder names, extensions and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wisdomgate.artifacts.folders import RunFolder, atomic_write_bytes, safe_name
from wisdomgate.run.store import image_extension, image_file_name


def test_safe_name_keeps_names_that_are_already_safe() -> None:
    assert safe_name("style=watercolour,aspect=1x1") == "style=watercolour,aspect=1x1"


@pytest.mark.parametrize("run_id", ["aspect=16:9", "a/b", "two words", "..", "CON", "x" * 300])
def test_safe_name_maps_unsafe_ids_to_plain_folder_names(run_id: str) -> None:
    name = safe_name(run_id)
    assert name.replace("_", "").replace("-", "").replace("=", "").replace(".", "").isalnum()
    assert len(name) <= 130
    assert name not in {".", "..", "CON"}


def test_safe_name_is_deterministic_and_keeps_similar_ids_apart() -> None:
    assert safe_name("aspect=16:9") == safe_name("aspect=16:9")
    assert safe_name("aspect=16:9") != safe_name("aspect=16/9")
    assert safe_name("aspect=16:9").startswith("aspect=16_9-")


@pytest.mark.parametrize(
    ("mime", "ext"),
    [("image/png", "png"), ("image/jpeg", "jpg"), ("image/webp", "webp"), ("image/x-foo", "x-foo")],
)
def test_image_extension_comes_from_the_mime_type(mime: str, ext: str) -> None:
    assert image_extension(mime) == ext


def test_run_folder_names_images_by_turn_and_index(tmp_path: Path) -> None:
    with RunFolder(tmp_path, "recipe", "aspect=16:9") as folder:
        ref = folder.write(image_file_name(2, 1, "image/jpeg"), b"jpeg bytes")
    assert ref.file == "turn-2-1.jpg"
    assert (folder.path / "turn-2-1.jpg").read_bytes() == b"jpeg bytes"
    assert folder.path.parent == tmp_path / "recipe"
    assert ref.bytes == len(b"jpeg bytes")


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "a" / "file.json", b"{}")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["file.json"]


def test_a_crash_mid_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "manifest.json"
    target.write_bytes(b"old, complete")

    def crash(handle: int) -> None:
        raise OSError("disk died")  # after the bytes went to the temp file, before the rename

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk died"):
        atomic_write_bytes(target, b"new, but the process dies before it is complete")
    assert target.read_bytes() == b"old, complete"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_a_crash_mid_write_of_a_new_file_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(src: str, dst: str, **dir_fds: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "turn-1-1.png", b"png")
    assert list(tmp_path.iterdir()) == []


def test_partial_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / "recipe" / "default" / ".turn-2-1.png.abc123.tmp"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half an image")  # the killed run's
    with RunFolder(tmp_path, "recipe", "default") as folder:
        folder.write("turn-1.txt", b"kept")
        folder.remove_partial_files()
    assert not leftover.exists()
    assert (folder.path / "turn-1.txt").read_bytes() == b"kept"


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_written_files_get_the_usual_mode_not_a_private_one(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "turn-1-1.png", b"png")
    mode = (tmp_path / "turn-1-1.png").stat().st_mode & 0o777
    assert mode == 0o666 & ~current_umask()


WRITTEN_BY_WISDOMGATE = [
    "manifest.json",
    "turn-1-1.png",
    "turn-2-3.jpg",
    "turn-1-thought-1.webp",
    "turn-1.txt",
    "turn-12.response.json",
    "turn-1.request.json",
    "turn-2.request.preview.json",
    ".turn-1-1.png.k2j3h4.tmp",
]
NOT_WISDOMGATES = ["notes.md", "turn-1-1.png.orig", "turn-one.txt", "manifest.json.bak", "a.png"]


def test_previous_outputs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path, "recipe", "default")
    folder.path.mkdir(parents=True)
    for name in WRITTEN_BY_WISDOMGATE + NOT_WISDOMGATES:
        (folder.path / name).write_bytes(b"x")
    (folder.path / "turn-3.txt").mkdir()  # a folder, whatever its name, is not an output
    with folder:
        folder.remove_previous_outputs()
    assert sorted(p.name for p in folder.path.iterdir()) == sorted([*NOT_WISDOMGATES, "turn-3.txt"])


def test_a_dry_run_removes_only_earlier_request_bodies(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path, "recipe", "default")
    folder.path.mkdir(parents=True)
    for name in WRITTEN_BY_WISDOMGATE:
        (folder.path / name).write_bytes(b"x")
    with folder:
        folder.remove_previous_outputs(requests_only=True)
    assert not list(folder.path.glob("*.request*.json"))
    assert (folder.path / "turn-1-1.png").exists() and (folder.path / "manifest.json").exists()


def test_an_unknown_image_type_gets_an_extension_without_dots() -> None:
    assert image_extension("image/vnd.ms-photo") == "vnd_ms-photo"
