"""What the installed distribution exposes: wisdomgate and wisdomgate_api, nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import wisdomgate_api

PROBE = (
    "import importlib.util as u; "
    "print([n for n in ('wisdomgate', 'wisdomgate_api', 'codegen', 'generated', 'tests')"
    " if u.find_spec(n)])"
)


def test_only_the_two_packages_are_importable_outside_the_checkout(tmp_path: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "['wisdomgate', 'wisdomgate_api']"


def test_every_public_name_exists_once() -> None:
    names = wisdomgate_api.__all__
    assert len(names) == len(set(names))
    assert [name for name in names if not hasattr(wisdomgate_api, name)] == []
