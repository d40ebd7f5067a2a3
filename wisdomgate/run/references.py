"""Where a run's reference images are, as its manifest names them.

A reference sent as it is stays where the recipe has it: the manifest names it by a path relative
to the run folder. A fitted one (`fit:`) is bytes of wisdomgate's making, spooled for the process
(wisdomgate.recipe.fit_spool): it is copied into the run folder as `reference-<sha256>.<ext>`, so
the manifest (and the gallery) refers to the very bytes that were sent, after the spool is gone.
"""

from __future__ import annotations

from pathlib import Path

from wisdomgate.recipe import PlannedRun
from wisdomgate.run.store import RunStore, reference_file_name

__all__ = ["reference_names"]


def reference_names(folder: RunStore, plan: PlannedRun) -> dict[Path, str]:
    """Each reference image's path -> its name from the run folder; fitted ones copied in.

    Blocks on the disk (the runner calls it in its I/O threads)."""
    names: dict[Path, str] = {}
    for image in (image for turn in plan.turns for image in turn.images):
        if image.path in names:
            continue
        if image.fitted is None:
            names[image.path] = folder.reference(image.path)
            continue
        source = image.fitted.source.path
        names.setdefault(source, folder.reference(source))
        with image.path.open("rb") as spooled:
            name = reference_file_name(image.sha256, image.mime_type)
            names[image.path] = folder.write_stream(name, spooled).file
    return names
