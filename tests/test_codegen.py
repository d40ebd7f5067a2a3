"""`make regen` is deterministic, records the spec hash, and `--check` catches every kind of drift."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from codegen import regen
from codegen.surface import describe_changes, surface_of
from tests.schema_strategies import SPEC

GENERATED = regen.TARGET


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regen") / "wisdomgate_api"
    out.mkdir()
    regen.build(out)
    shutil.rmtree(out / ".ruff_cache", ignore_errors=True)
    return out


def test_committed_generated_code_is_what_regen_produces(fresh_build: Path) -> None:
    assert regen.differences(fresh_build, GENERATED) == []


def test_regen_is_deterministic(fresh_build: Path, tmp_path: Path) -> None:
    second = tmp_path / "wisdomgate_api"
    second.mkdir()
    regen.build(second)
    shutil.rmtree(second / ".ruff_cache", ignore_errors=True)
    assert regen.differences(second, fresh_build) == []


def test_header_records_spec_hash_not_time_or_path(fresh_build: Path) -> None:
    spec_hash = hashlib.sha256(regen.SPEC.read_bytes()).hexdigest()
    first_line = (fresh_build / "models.py").read_text(encoding="utf-8").splitlines()[0]
    assert spec_hash in first_line
    assert "timestamp" not in first_line and str(regen.ROOT) not in first_line


def test_check_reports_a_stale_extra_file(fresh_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    shutil.copytree(fresh_build, target)
    (target / "old_module.py").write_text("x = 1\n")
    assert regen.differences(fresh_build, target) == ["stale extra file: old_module.py"]


def test_check_reports_a_hand_edit(fresh_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    shutil.copytree(fresh_build, target)
    with (target / "models.py").open("a") as handle:
        handle.write("# hand edit\n")
    assert regen.differences(fresh_build, target) == ["differs: models.py"]


def test_check_reports_a_missing_file(fresh_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    shutil.copytree(fresh_build, target)
    (target / "py.typed").unlink()
    assert regen.differences(fresh_build, target) == ["missing: py.typed"]


def test_surface_changes_name_added_removed_and_changed_fields() -> None:
    old = surface_of(SPEC)
    new = {section: dict(values) for section, values in old.items()}
    new["fields"]["ImageConfig.imageQuality"] = "string"
    del new["fields"]["ImageConfig.imageSize"]
    new["fields"]["Blob.mimeType"] = "integer(int32)"
    new["enum values"]["FinishReason.NEW_REASON"] = "value"
    assert describe_changes(old, new) == [
        "+ field ImageConfig.imageQuality: string",
        "- field ImageConfig.imageSize",
        "~ Blob.mimeType: string -> integer(int32)",
        "+ enum value FinishReason.NEW_REASON: value",
    ]


def test_every_byte_field_becomes_base64_data() -> None:
    overrides = regen.byte_field_overrides(SPEC)
    assert overrides == {
        "Blob.data": "wisdomgate_api._base.Base64Data",
        "FunctionResponseBlob.data": "wisdomgate_api._base.Base64Data",
        "Part.thought_signature": "wisdomgate_api._base.Base64Data",
        "SearchEntryPoint.sdk_blob": "wisdomgate_api._base.Base64Data",
    }
