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


# What a user needs: the clients and their results, the models and their bases, the errors, the
# retry policy, the redactor, NOT_GIVEN and the constants of configuration. The retry rule's pieces, the SSE
# decoder and the body encoder are the client's own (wisdomgate_api._core.*).
PUBLIC = {
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "SPEC_SHA256",
    "APIConnectionError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AnswerLostError",
    "ApiModel",
    "AsyncClient",
    "AsyncClientWithRawResponse",
    "AsyncStream",
    "AuthStyle",
    "AuthenticationError",
    "BadRequestError",
    "Base64Data",
    "Base64File",
    "Client",
    "ClientWithRawResponse",
    "DeadlineExceededError",
    "FileChangedError",
    "InternalServerError",
    "NotFoundError",
    "NotGiven",
    "OpenStrEnum",
    "PermissionDeniedError",
    "RateLimitError",
    "Redactor",
    "RetryPolicy",
    "ServiceUnavailableError",
    "Stream",
    "WisdomGateError",
    "models",
}


def test_the_public_names_are_what_a_user_needs() -> None:
    assert set(wisdomgate_api.__all__) == PUBLIC


def test_no_public_name_outside_all() -> None:
    # `from wisdomgate_api import *` and a reader of dir() see the same names; the private
    # modules beneath (_core, _client, _spec) are attributes only because they are imported
    public = {name for name in vars(wisdomgate_api) if not name.startswith("_")}
    assert public == PUBLIC


def test_every_subpackage_is_in_the_distribution() -> None:
    # setuptools installs only the packages pyproject.toml lists; an editable install hides that
    root = Path(__file__).resolve().parents[1]
    tool = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(tool["setuptools"]["packages"])
    found = {
        ".".join((top, *init.parent.relative_to(folder).parts))
        for top, folder in (
            ("wisdomgate", root / "wisdomgate"),
            ("wisdomgate_api", root / "generated" / "wisdomgate_api"),
        )
        for init in folder.rglob("__init__.py")
    }
    assert "wisdomgate_api._core" in found
    assert found <= listed
