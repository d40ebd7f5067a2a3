"""Recipe format versions and the migrations between them.

A future version 2 adds `MIGRATIONS[1] = upgrade_1_to_2`: a function that takes the data of a
version 1 file and returns the version 2 data and a list of what it changed, in words.
`wisdomgate validate` shows that list for every version 1 file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wisdomgate.recipe.format import CURRENT_VERSION

__all__ = ["MIGRATIONS", "Migration", "migrate", "migration_message"]

Migration = Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]

# version -> the migration from that version to the next one; None for the current version.
MIGRATIONS: dict[int, Migration | None] = {1: None}


def migrate(data: dict[str, Any], version: int) -> tuple[dict[str, Any], list[str]]:
    """Upgrade a recipe's data to the current version; returns the data and the changes made."""
    changes: list[str] = []
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"no migration from recipe version {version}")
        data, done = step(data)
        changes += [f"v{version}->v{version + 1}: {change}" for change in done]
        version += 1
    return data, changes


def migration_message(data: Any, version: int | None) -> str:
    """What `validate` says about a file's format version."""
    if version is None:
        return "format version unknown"
    if version == CURRENT_VERSION:
        return f"format version {version}, the current one: nothing to migrate"
    if not isinstance(data, dict):
        return f"format version {version}"
    try:
        _, changes = migrate(data, version)
    except ValueError as exc:
        return f"format version {version}: {exc}"
    listed = "; ".join(changes) or "nothing would change"
    return f"format version {version}; migrating to {CURRENT_VERSION} would: {listed}"
