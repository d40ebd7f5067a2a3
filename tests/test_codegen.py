"""`make regen` is deterministic, records the spec hash, and `--check` catches every kind of drift."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from codegen import regen
from codegen.surface import describe_changes, surface_of
from tests.schema_strategies import SPEC
from wisdomgate_api import SPEC_SHA256, Base64Data, models
from wisdomgate_api._core.media import Base64

GENERATED = regen.TARGET
PACKAGE = regen.PACKAGE
CORE = regen.CORE_PACKAGE


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh build of the whole generated/ tree."""
    out = tmp_path_factory.mktemp("regen") / "generated"
    regen.build(out)
    return out


@pytest.fixture
def target(fresh_build: Path, tmp_path: Path) -> Path:
    """A committed generated/ tree identical to the fresh build, free to break."""
    found = tmp_path / "generated"
    shutil.copytree(fresh_build, found)
    return found


def test_regen_builds_the_package_inside_generated(fresh_build: Path) -> None:
    assert sorted(p.name for p in fresh_build.iterdir()) == [PACKAGE]


def test_committed_generated_code_is_what_regen_produces(fresh_build: Path) -> None:
    assert regen.differences(fresh_build, GENERATED) == []


def test_regen_is_deterministic(fresh_build: Path, tmp_path: Path) -> None:
    second = tmp_path / "generated"
    regen.build(second)
    assert regen.differences(second, fresh_build) == []


def test_only_spec_py_records_the_spec_hash(fresh_build: Path) -> None:
    spec_hash = hashlib.sha256(regen.SPEC.read_bytes()).hexdigest()
    files = sorted(p for p in fresh_build.rglob("*") if p.is_file())
    holding = [p.relative_to(fresh_build).as_posix() for p in files if spec_hash in p.read_text()]
    assert holding == [f"{PACKAGE}/_spec.py"]
    assert spec_hash == SPEC_SHA256


def test_every_rendered_file_starts_with_the_header(fresh_build: Path) -> None:
    rendered = sorted((fresh_build / PACKAGE).glob("*.py"))  # _core/ holds the copies
    assert {path.read_text(encoding="utf-8").splitlines()[0] for path in rendered} == {regen.HEADER}
    assert "Do not edit" in regen.HEADER and str(regen.ROOT) not in regen.HEADER


def test_a_spec_update_changes_only_what_it_changes(
    fresh_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a new description changes the models and the hash, nothing else: not the client, the core,
    # the exports or the surface
    spec = copy.deepcopy(SPEC)
    spec["components"]["schemas"]["Blob"]["description"] = "Raw media bytes, described anew."
    edited = tmp_path / "openapi.json"
    edited.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    monkeypatch.setattr(regen, "SPEC", edited)
    second = tmp_path / "generated"
    regen.build(second)
    assert regen.differences(second, fresh_build) == [
        f"differs: {PACKAGE}/_spec.py",
        f"differs: {PACKAGE}/models.py",
    ]


def test_check_reports_a_stale_extra_file_in_the_package(fresh_build: Path, target: Path) -> None:
    (target / PACKAGE / "old_module.py").write_text("x = 1\n")
    assert regen.differences(fresh_build, target) == [f"stale extra file: {PACKAGE}/old_module.py"]


def test_check_reports_a_stale_extra_file_beside_the_package(
    fresh_build: Path, target: Path
) -> None:
    (target / "stale.py").write_text("x = 1\n")
    assert regen.differences(fresh_build, target) == ["stale extra file: stale.py"]


def test_check_ignores_bytecode_caches(fresh_build: Path, target: Path) -> None:
    (target / PACKAGE / "__pycache__").mkdir()
    (target / PACKAGE / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0")
    assert regen.differences(fresh_build, target) == []


def test_check_reports_a_hand_edit(fresh_build: Path, target: Path) -> None:
    with (target / PACKAGE / "models.py").open("a") as handle:
        handle.write("# hand edit\n")
    assert regen.differences(fresh_build, target) == [f"differs: {PACKAGE}/models.py"]


def test_check_reports_a_missing_file(fresh_build: Path, target: Path) -> None:
    (target / PACKAGE / "py.typed").unlink()
    assert regen.differences(fresh_build, target) == [f"missing: {PACKAGE}/py.typed"]


def test_check_reports_a_hand_edit_of_a_core_copy(fresh_build: Path, target: Path) -> None:
    with (target / PACKAGE / CORE / "retry.py").open("a") as handle:
        handle.write("# hand edit\n")
    assert regen.differences(fresh_build, target) == [f"differs: {PACKAGE}/{CORE}/retry.py"]


# ---------------------------------------------------------------- the hand-written client core


def test_the_core_is_copied_byte_for_byte(fresh_build: Path) -> None:
    copies = fresh_build / PACKAGE / CORE
    sources = sorted(regen.CORE.glob("*.py"))
    assert sorted(p.name for p in copies.iterdir()) == [p.name for p in sources]
    assert [p.name for p in sources if (copies / p.name).read_bytes() != p.read_bytes()] == []


@pytest.mark.parametrize("source", sorted(regen.CORE.glob("*.py")), ids=lambda p: p.name)
def test_every_core_module_says_where_it_is_edited(source: Path) -> None:
    first_line = source.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# Hand-written in codegen/core/, copied verbatim into generated/")


@pytest.mark.parametrize("source", sorted(regen.CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_nothing_generated(source: Path) -> None:
    # only its own modules, by relative import, so it is type-checked as it stands in codegen/core
    text = source.read_text(encoding="utf-8")
    assert "wisdomgate_api" not in "".join(
        line for line in text.splitlines() if line.startswith(("import ", "from "))
    )
    assert "from .." not in text


# ---------------------------------------------------------------- sync


def test_sync_makes_the_target_identical_stale_files_removed(
    fresh_build: Path, target: Path
) -> None:
    (target / "stale.py").write_text("x = 1\n")
    (target / PACKAGE / "models.py").write_text("# hand edit\n")
    regen.sync(fresh_build, target)
    assert regen.differences(fresh_build, target) == []


def test_sync_leaves_no_staging_folder_behind(fresh_build: Path, target: Path) -> None:
    regen.sync(fresh_build, target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["generated"]


def test_a_failed_sync_leaves_the_target_untouched(
    fresh_build: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    (target / PACKAGE / "models.py").write_text("# the committed version\n")
    monkeypatch.setattr(shutil, "copytree", disk_full)
    with pytest.raises(OSError, match="No space"):
        regen.sync(fresh_build, target)
    assert (target / PACKAGE / "models.py").read_text() == "# the committed version\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["generated"]


def test_a_failed_swap_puts_the_target_back(
    fresh_build: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_rename = Path.rename

    def rename(self: Path, to: Path) -> Path:
        if self.name == "new":
            raise OSError(13, "Permission denied")
        return real_rename(self, to)

    (target / PACKAGE / "models.py").write_text("# the committed version\n")
    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="Permission denied"):
        regen.sync(fresh_build, target)
    assert (target / PACKAGE / "models.py").read_text() == "# the committed version\n"


def test_sync_creates_a_missing_target(fresh_build: Path, tmp_path: Path) -> None:
    target = tmp_path / "generated"
    regen.sync(fresh_build, target)
    assert regen.differences(fresh_build, target) == []


# ---------------------------------------------------------------- the API surface


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


def test_surface_operation_shows_parameters_body_and_result() -> None:
    operations = surface_of(SPEC)["operations"]
    assert operations["generateContent"] == (
        "POST /v1beta/models/{model}:generateContent"
        " (model: path str; body GenerateContentRequest -> GenerateContentResponse)"
    )
    assert operations["streamGenerateContent"].endswith("-> stream of GenerateContentResponse)")


def test_surface_lists_every_parameter_with_its_type() -> None:
    parameters = surface_of(SPEC)["parameters"]
    assert parameters["generateContent.model"] == "path string (required)"
    assert parameters["listModels.pageSize"] == "query integer(int32)"
    assert parameters["streamGenerateContent.alt"] == "query string enum[sse, json]"


def test_surface_lists_security_schemes_and_requirements() -> None:
    security = surface_of(SPEC)["security"]
    assert security["scheme apiKeyHeader"] == "apiKey header x-goog-api-key"
    assert security["requirement (default)"] == "apiKeyHeader | bearerAuth | apiKeyQuery"


def test_a_changed_parameter_type_is_reported() -> None:
    spec = copy.deepcopy(SPEC)
    param = spec["paths"]["/v1beta/models"]["get"]["parameters"][0]
    param["schema"] = {"type": "string"}
    lines = describe_changes(surface_of(SPEC), surface_of(spec))
    assert lines == [
        "~ listModels: GET /v1beta/models (pageSize: query int; pageToken: query str"
        " -> ListModelsResponse) -> GET /v1beta/models (pageSize: query str;"
        " pageToken: query str -> ListModelsResponse)",
        "~ listModels.pageSize: query integer(int32) -> query string",
    ]


def test_a_changed_response_type_is_reported() -> None:
    spec = copy.deepcopy(SPEC)
    op = spec["paths"]["/v1beta/models/{model}:countTokens"]["post"]
    op["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/GenerateContentResponse"
    }
    lines = describe_changes(surface_of(SPEC), surface_of(spec))
    assert lines == [
        "~ countTokens: POST /v1beta/models/{model}:countTokens"
        " (model: path str; body CountTokensRequest -> CountTokensResponse)"
        " -> POST /v1beta/models/{model}:countTokens"
        " (model: path str; body CountTokensRequest -> GenerateContentResponse)"
    ]


def test_a_removed_security_scheme_is_reported() -> None:
    spec = copy.deepcopy(SPEC)
    del spec["components"]["securitySchemes"]["apiKeyQuery"]
    spec["security"] = [{"apiKeyHeader": []}, {"bearerAuth": []}]
    assert describe_changes(surface_of(SPEC), surface_of(spec)) == [
        "- security scheme apiKeyQuery",
        "~ requirement (default): apiKeyHeader | bearerAuth | apiKeyQuery"
        " -> apiKeyHeader | bearerAuth",
    ]


def test_an_operation_security_override_is_reported() -> None:
    spec = copy.deepcopy(SPEC)
    spec["paths"]["/v1beta/models"]["get"]["security"] = []
    assert describe_changes(surface_of(SPEC), surface_of(spec)) == [
        "+ security requirement listModels: none"
    ]


# ---------------------------------------------------------------- format: byte


def test_every_byte_field_becomes_base64_data() -> None:
    # `data` fields may be spooled to a file (Base64File); thought signatures stay text
    overrides = regen.byte_field_overrides(SPEC)
    assert overrides == {
        "Blob.data": "wisdomgate_api._core.media.Base64",
        "FunctionResponseBlob.data": "wisdomgate_api._core.media.Base64",
        "Part.thought_signature": "wisdomgate_api._core.base.Base64Data",
        "ReplicatedVoiceConfig.voice_sample_audio": "wisdomgate_api._core.base.Base64Data",
        "SearchEntryPoint.sdk_blob": "wisdomgate_api._core.base.Base64Data",
    }


@pytest.mark.parametrize("dotted", sorted(regen.byte_field_overrides(SPEC)))
def test_every_generated_byte_field_is_annotated_base64_data(dotted: str) -> None:
    model_name, field = dotted.split(".")
    annotation = getattr(models, model_name).model_fields[field].annotation
    expected = Base64 if field == "data" else Base64Data
    assert annotation == expected | None
