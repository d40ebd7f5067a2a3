"""The output folder of a run: safe names, atomic writes, image and text files.

Layout (the recipe contract): `OUT/<recipe name>/<run id>/` holding `turn-<N>-<index>.<ext>` for
each generated image (index 1-based, extension from the MIME type), `turn-<N>.txt` for the
answer's text, `turn-<N>.request.json` for dry-run request bodies and `manifest.json`.

Every file is written to a temporary file in the same folder and moved into place with
`os.replace`, so a run that dies (even by SIGKILL) never leaves a half-written file under a final
name; at worst a `.*.tmp` file remains, which nothing reads. Files get the mode any other program
would give them (0o666 minus the umask), not mkstemp's private 0o600. A run folder's files are
not fsynced one by one: `sync` makes everything written since the last sync durable at the points
the runner's durability policy names (docs/running.md), with one `syncfs` shared by the runs that
wait at the same time (wisdomgate.artifacts.group_sync); a user's file (--junit) is fsynced as it
is written.

Nothing below `--out` is reached through a symbolic link: a run folder is opened by walking from
`--out` with O_NOFOLLOW and every file is written relative to the folder's descriptor (see
wisdomgate.artifacts.safe_paths); a link is a PlantedLinkError, found before anything is sent by
`preflight_outputs`. An open run folder is locked (wisdomgate.artifacts.locks: a flock on the
folder itself): one writer per folder.

A run starts by removing what an earlier run left in its folder (`remove_previous_outputs`), so
the folder holds exactly the files its manifest refers to; only names wisdomgate writes are
removed, never a file someone else put there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from wisdomgate.artifacts.group_sync import SyncGroup, load_syncfs
from wisdomgate.artifacts.locks import LOCK_NAME, FolderLock
from wisdomgate.artifacts.safe_paths import (
    PlantedLinkError,
    is_link_at,
    link_error,
    list_at,
    make_or_open_subdir,
    open_out_dir,
    open_subdir,
    read_at,
    require_support,
    unlink_at,
    write_at,
    write_stream_at,
)
from wisdomgate.recipe import PlannedRun
from wisdomgate.run import IMAGE_NAMES, REFERENCE_NAMES, FileRef, RunName, RunStore

__all__ = [
    "OutputFolders",
    "PlantedLinkError",
    "RunFolder",
    "atomic_write_bytes",
    "preflight_outputs",
    "safe_name",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+@-]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}
_MAX_NAME = 120  # well under the 255-byte limit of common file systems, hash suffix included
# Every name wisdomgate writes into a run folder (and nothing else): images (thought images
# included), fitted references, texts, kept responses, dry-run request bodies, the manifest,
# temporary files, and the lock file of wisdomgate 0.1.0 (see wisdomgate.artifacts.locks).
_REQUEST_NAMES = re.compile(r"turn-[0-9]+\.request(?:\.preview)?\.json")
_TEMP_NAMES = re.compile(r"\..+\.tmp")  # see safe_paths.write_at
# One group for the whole process: runs writing on the same file system share their syncfs calls.
DURABILITY = SyncGroup(load_syncfs())
_OUTPUT_NAMES = re.compile(
    r"manifest\.json|turn-[0-9]+\.txt|turn-[0-9]+\.response\.json"
    rf"|{IMAGE_NAMES.pattern}|{REFERENCE_NAMES.pattern}|{_REQUEST_NAMES.pattern}"
    rf"|{_TEMP_NAMES.pattern}|{re.escape(LOCK_NAME)}"
)


def safe_name(text: str) -> str:
    """A deterministic file-system-safe folder name for a recipe name or run id.

    Names that are already safe are kept as they are. Otherwise every unsafe character becomes
    `_` and a short hash of the original is appended, so "aspect=16:9" and "aspect=16/9" never
    share a folder. The real name is kept in the manifest.
    """
    cleaned = _UNSAFE.sub("_", text).strip(".")
    changed = cleaned != text or not cleaned
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        changed = True
    if len(cleaned) > _MAX_NAME:
        cleaned, changed = cleaned[:_MAX_NAME], True
    if not changed:
        return cleaned
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned or 'run'}-{digest}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write data to path so that readers see the old file or the whole new one, never a part.

    For files the user names (--junit): the path is followed as given. Run folders use RunFolder.
    """
    require_support()
    path.parent.mkdir(parents=True, exist_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        write_at(dir_fd, path.name, data)
    finally:
        os.close(dir_fd)


class RunFolder:
    """The folder of one run, `OUT/<recipe>/<run>/`, and the files written into it.

    `open()` (or `with`) creates and locks it; every read and write needs it open.
    """

    def __init__(self, out_dir: Path, recipe_name: str, run_id: str) -> None:
        self.out_dir = out_dir
        self.names = (safe_name(recipe_name), safe_name(run_id))
        self.path = out_dir / self.names[0] / self.names[1]
        self._fd: int | None = None
        self._lock: FolderLock | None = None
        self._unsynced: dict[str, None] = {}  # names written since the last sync, in order
        # Made by this open: nothing to clean up in it. Another writer would have had to take
        # the lock between our mkdir and our flock and finish a whole run in those microseconds.
        self._made = False

    def open(self) -> RunFolder:
        """Create the folder from --out without following a link, and lock it.

        PlantedLinkError for a link on the way; FolderBusyError (the folder untouched) when
        another process holds the lock; OSError for the disk.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is open already")
        out_fd = open_out_dir(self.out_dir)
        try:
            fd = self._walk(out_fd, create=True)
        finally:
            os.close(out_fd)
        try:
            self._lock = FolderLock.acquire(fd, self.path)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def close(self) -> None:
        """Release the lock and close the folder (idempotent)."""
        lock, self._lock = self._lock, None
        fd, self._fd = self._fd, None
        try:
            if lock is not None:
                lock.release()
        finally:
            if fd is not None:
                os.close(fd)

    def __enter__(self) -> RunFolder:
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _dir(self) -> int:
        if self._fd is None:
            raise RuntimeError(f"{self.path} is not open: call RunFolder.open() first")
        return self._fd

    def _walk(self, out_fd: int, *, create: bool) -> int:
        """An fd of this folder, reached from out_fd (not closed) one name at a time, never
        through a link; FileNotFoundError when missing and not `create`. Sets `_made` when
        this call created the run folder itself."""
        fd = out_fd
        for depth, name in enumerate(self.names):
            shown = self.out_dir.joinpath(*self.names[: depth + 1])
            try:
                if create:
                    child, self._made = make_or_open_subdir(fd, name, shown)
                else:
                    child = open_subdir(fd, name, shown, create=False)
            finally:
                if fd != out_fd:
                    os.close(fd)
            fd = child
        return fd

    def check_links(self, out_fd: int) -> None:
        """PlantedLinkError for a link on the way to this folder or under a name wisdomgate
        writes in it (out_fd: --out, open); a folder that does not exist yet passes."""
        try:
            fd = self._walk(out_fd, create=False)
        except FileNotFoundError:
            return
        try:
            for name in sorted(list_at(fd)):
                if _OUTPUT_NAMES.fullmatch(name) and is_link_at(fd, name):
                    raise link_error(fd, name, self.path / name)
        finally:
            os.close(fd)

    def remove_partial_files(self) -> None:
        """Delete temporary files a killed earlier run left behind (SIGKILL skips all cleanup)."""
        fd = self._dir()
        if self._made:
            return
        for name in list_at(fd):
            if _TEMP_NAMES.fullmatch(name):
                unlink_at(fd, name)  # a link is removed, never its target

    def remove_previous_outputs(self, *, requests_only: bool = False) -> None:
        """Delete the files an earlier run (or dry run) wrote here, and nothing else.

        Only this folder's own entries whose names wisdomgate writes are removed: not
        subfolders, not files with other names. requests_only: just dry-run request bodies.
        A link under such a name is a PlantedLinkError (someone planted it since the preflight).
        """
        fd = self._dir()
        if self._made:
            return
        names = _REQUEST_NAMES if requests_only else _OUTPUT_NAMES
        for name in list_at(fd):
            if not names.fullmatch(name):
                continue
            try:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode):
                raise link_error(fd, name, self.path / name)
            if not stat.S_ISDIR(mode):
                unlink_at(fd, name)

    def read(self, name: str) -> bytes:
        """The bytes of the file `name` here, never through a link (PlantedLinkError)."""
        return read_at(self._dir(), name, self.path / name)

    def write(self, name: str, data: bytes) -> FileRef:
        """Write one file atomically and return its reference; never through a link.

        Safe against a kill at once; durable against a power loss once `sync` has returned.
        """
        fd = self._dir()
        # Only for the message: the rename in write_at replaces a link, never follows it.
        if is_link_at(fd, name):
            raise link_error(fd, name, self.path / name)
        with self._naming(name):
            write_at(fd, name, data, durable=False)
        self._unsynced[name] = None
        return FileRef(name, hashlib.sha256(data).hexdigest(), len(data))

    def write_stream(self, name: str, source: BinaryIO) -> FileRef:
        """write() from a reader, copied in pieces and hashed on the way (big answer images)."""
        fd = self._dir()
        if is_link_at(fd, name):
            raise link_error(fd, name, self.path / name)
        with self._naming(name):
            digest, size = write_stream_at(fd, name, source, durable=False)
        self._unsynced[name] = None
        return FileRef(name, digest, size)

    @contextlib.contextmanager
    def _naming(self, name: str) -> Iterator[None]:
        """An OSError that names no file (a full disk) names the one being written here."""
        try:
            yield
        except OSError as error:
            if error.filename is not None or error.errno is None:
                raise
            raise OSError(error.errno, error.strerror, str(self.path / name)) from None

    def sync(self) -> None:
        """Make every file written since the last sync durable, and their names here
        (wisdomgate.artifacts.group_sync: one syncfs shared with other runs, or fsyncs)."""
        DURABILITY.sync(*self.take_unsynced())

    def take_unsynced(self) -> tuple[int, list[str]]:
        """This folder's fd and the names written since the last sync, now owed a sync."""
        names, self._unsynced = list(self._unsynced), {}
        return self._dir(), names

    def reference(self, path: Path) -> str:
        """A path relative to this folder (for reference images that live elsewhere)."""
        try:
            return Path(os.path.relpath(path.resolve(), self.path.resolve())).as_posix()
        except ValueError:  # another drive (Windows): no relative path exists
            return path.resolve().as_posix()


def preflight_outputs(plans: Iterable[PlannedRun], out_dir: Path) -> None:
    """Before anything is sent: PlantedLinkError for the first symbolic link below out_dir where
    a planned run would write (its recipe or run folder, a file name wisdomgate writes).

    Only folders that exist are looked at; nothing is created, locked or changed.
    """
    if not out_dir.is_dir():
        return  # nothing below it yet; created at run time
    require_support()
    out_fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        seen: set[Path] = set()
        for plan in plans:
            folder = RunFolder(out_dir, plan.recipe_name, plan.run_id)
            if folder.path not in seen:
                seen.add(folder.path)
                folder.check_links(out_fd)
    finally:
        os.close(out_fd)


class OutputFolders:
    """The run folders below one --out (wisdomgate.run.store.RunStores for the runner)."""

    def __init__(self, out_dir: Path) -> None:
        self._out_dir = out_dir

    @property
    def out_dir(self) -> Path:
        """The folder given as --out."""
        return self._out_dir

    def path_of(self, plan: RunName) -> Path:
        """`OUT/<recipe>/<run>/`, with file-system-safe names."""
        return RunFolder(self._out_dir, plan.recipe_name, plan.run_id).path

    def check(self, plans: Iterable[PlannedRun]) -> None:
        """PlantedLinkError for a symbolic link where the runs would write (preflight_outputs)."""
        preflight_outputs(plans, self._out_dir)

    def open(self, plan: RunName) -> RunFolder:
        """The run's folder, opened and locked (FolderBusyError when another process holds it)."""
        return RunFolder(self._out_dir, plan.recipe_name, plan.run_id).open()

    def sync_many(self, folders: Sequence[RunStore]) -> list[OSError | None]:
        """sync() for several open folders at once: one syncfs per file system for them all."""
        pending = []
        for folder in folders:
            if not isinstance(folder, RunFolder):
                raise TypeError(f"not a folder of these stores: {folder!r}")
            pending.append(folder.take_unsynced())
        return DURABILITY.sync_many(pending)
