"""What the installed distribution exposes: wisdomgate and wisdomgate_api, nothing else."""

from __future__ import annotations

import subprocess
import sys
import tomllib
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


def test_every_subpackage_is_in_the_distribution() -> None:
    # setuptools installs only the packages pyproject.toml lists; an editable install hides that
    root = Path(__file__).resolve().parents[1]
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(init.parent.relative_to(root).parts)
        for init in (root / "wisdomgate").rglob("__init__.py")
    }
    assert found <= listed
