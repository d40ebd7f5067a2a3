"""`wisdomgate run`: the example recipes, dry runs, outputs, exit codes, the key, --only, --var."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from wisdomgate import cli
from wisdomgate.artifacts import folders
from wisdomgate.cli import commands
from wisdomgate.simulator import SIMULATOR_KEY
from wisdomgate_api import AsyncClient, RetryPolicy
from wisdomgate_api._core.encoding import encode_body
from wisdomgate_api.models import GenerateContentRequest, GenerateContentResponse

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "recipes"
RECIPE_FILES = sorted(RECIPES.glob("*.yaml"))


def write_recipe(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"version: 1\nname: {name}\n{body}", encoding="utf-8")
    return path


IMAGE_RECIPE = """\
model: gemini-3-pro-image-preview
vars: {subject: a kite}
config: {responseModalities: [TEXT, IMAGE]}
turns:
  - prompt: "{{ subject }}"
    expect: {images: 1}
"""


@pytest.fixture
def simulator_env(monkeypatch: pytest.MonkeyPatch, simulator_url: str) -> str:
    """The shared simulator as the API: its key in WISDOM_GATE_KEY, its URL in the base-URL env."""
    monkeypatch.setenv("WISDOM_GATE_KEY", SIMULATOR_KEY)
    monkeypatch.setenv("WISDOM_GATE_BASE_URL", simulator_url)
    return simulator_url


def manifests(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.rglob("manifest.json"))]


@pytest.mark.slow
def test_every_example_recipe_runs_green_on_the_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["run", str(RECIPES), "--simulate", "--out", str(tmp_path), "--rpm", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    found = manifests(tmp_path)
    assert {m["recipe"]["name"] for m in found} == {p.stem for p in RECIPE_FILES}
    assert all(m["status"] == "passed" for m in found)
    assert "FAIL" not in out


def test_the_examples_cover_the_seed_requests() -> None:
    for path in RECIPE_FILES:
        assert path.read_text(encoding="utf-8").startswith(
            "# yaml-language-server: $schema=../schemas/recipe.schema.json\n"
        )
    assert len(RECIPE_FILES) >= 7
    refs = sorted((RECIPES / "refs").glob("person-*"))
    assert len(refs) == 5 and all(p.stat().st_size < 20_000 for p in refs)


def test_dry_run_writes_exactly_the_bodies_run_sends(
    tmp_path: Path, sent_bodies: list[bytes], simulator_env: str
) -> None:
    paths = [str(p) for p in RECIPE_FILES]
    assert cli.main(["run", *paths, "--dry-run", "--out", str(tmp_path / "dry")]) == 0
    assert not sent_bodies  # a dry run sends nothing
    assert cli.main(["run", *paths, "--out", str(tmp_path / "real"), "--rpm", "0"]) == 0
    dry = {p.read_bytes() for p in (tmp_path / "dry").rglob("turn-1.request.json")}
    first_turns = {body for body in sent_bodies if len(json.loads(body)["contents"]) == 1}
    assert dry and dry == first_turns


def test_dry_run_previews_later_turns_with_a_marked_placeholder(tmp_path: Path) -> None:
    recipe = str(RECIPES / "photosynthesis.yaml")
    assert cli.main(["run", recipe, "--dry-run", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "photosynthesis" / "default"
    assert sorted(p.name for p in folder.iterdir()) == [
        "turn-1.request.json",
        "turn-2.request.preview.json",
    ]
    preview = json.loads((folder / "turn-2.request.preview.json").read_bytes())
    assert [c["role"] for c in preview["contents"]] == ["user", "model", "user"]
    assert "dry-run placeholder" in preview["contents"][1]["parts"][0]["text"]


def test_a_full_disk_names_the_file_and_how_to_go_on(
    tmp_path: Path,
    simulator_env: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(dir_fd: int, name: str, data: bytes, **options: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(folders, "write_at", disk_full)
    recipe = write_recipe(tmp_path, "kite", IMAGE_RECIPE)
    assert cli.main(["run", str(recipe), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    shown = tmp_path / "out" / "kite" / "default" / "manifest.json"
    assert error == (
        f"wisdomgate: error: {shown}: No space left on device; the runs stopped. Fix that (free"
        " space, another --out), then run again with --resume: the answers already written are"
        " not paid for again"
    )


def test_a_run_writes_images_text_and_manifest(
    tmp_path: Path, simulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(tmp_path, "kite", IMAGE_RECIPE)
    assert cli.main(["run", str(recipe), "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PASS kite [default] 1 image -> ")
    assert lines[-2].startswith("1 run: 1 passed, 0 failed; 1 image and 1 manifest in ")
    assert lines[-2].endswith("out")
    assert lines[-1] == f"report: {tmp_path / 'out' / 'report.html'}"
    folder = tmp_path / "out" / "kite" / "default"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "turn-1-1.png",
        "turn-1.response.json",
        "turn-1.txt",
    ]
    [manifest] = manifests(tmp_path / "out")
    assert manifest["recipe"]["path"] == str(recipe)
    assert manifest["turns"][0]["outputs"]["images"][0]["file"] == "turn-1-1.png"


def test_matrix_run_ids_become_safe_folder_names(tmp_path: Path) -> None:
    recipe = str(RECIPES / "style-matrix.yaml")
    assert cli.main(["run", recipe, "--dry-run", "--out", str(tmp_path)]) == 0
    folders = sorted(p.name for p in (tmp_path / "style-matrix").iterdir())
    assert len(folders) == 4
    assert not any(":" in name or " " in name for name in folders)


def test_exit_code_1_when_a_run_fails(
    tmp_path: Path, simulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    body = IMAGE_RECIPE.replace('"{{ subject }}"', '"{{ subject }} [[finish:NO_IMAGE]]"')
    recipe = write_recipe(tmp_path, "refused", body)
    assert cli.main(["run", str(recipe), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "FAIL refused [default] turn 1: finishReason NO_IMAGE" in out


def test_exit_code_2_for_an_invalid_recipe_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(tmp_path, "broken", "model: gemini-3-pro-image-preview\nturns: []\n")
    assert cli.main(["run", str(recipe), "--simulate", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "broken.yaml" in err and "Traceback" not in err


def test_exit_code_2_for_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "recipes", "--concurrency", "0"])
    assert exited.value.code == 2
    assert "--concurrency" in capsys.readouterr().err


def test_a_missing_key_names_the_variable_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MY_KEY", raising=False)
    recipe = str(RECIPES / "sunset.yaml")
    assert cli.main(["run", recipe, "--api-key-env", "MY_KEY", "--out", str(tmp_path)]) == 2
    assert "MY_KEY" in capsys.readouterr().err
    assert not tmp_path.joinpath("sunset").exists()


def test_the_key_never_appears_in_outputs_or_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wisdomgate.simulator import SimulatorConfig, run_simulator

    sentinel = "sentinel-KEY-7f3a9c1e5b2d"
    monkeypatch.setenv("SENTINEL_KEY", sentinel)
    ok = write_recipe(tmp_path, "ok", IMAGE_RECIPE)
    blocked = write_recipe(tmp_path, "blocked", IMAGE_RECIPE.replace('}}"', '}} [[block:SAFETY]]"'))
    out = tmp_path / "out"
    with run_simulator(SimulatorConfig(accept_any_key=True)) as base_url:
        args = ["run", str(ok), str(blocked), "--out", str(out), "--base-url", base_url]
        assert cli.main([*args, "--api-key-env", "SENTINEL_KEY"]) == 1
    console = capsys.readouterr()
    assert sentinel not in console.out + console.err
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and not any(sentinel.encode() in p.read_bytes() for p in files)


def test_only_runs_the_named_recipes(tmp_path: Path) -> None:
    args = ["run", str(RECIPES), "--dry-run", "--out", str(tmp_path), "--only", "sun*"]
    assert cli.main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sunset"]


def test_only_with_no_match_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(RECIPES), "--dry-run", "--out", str(tmp_path), "--only", "nope"]
    assert cli.main(args) == 2
    assert "no recipe matches --only 'nope'" in capsys.readouterr().err


def test_var_on_the_command_line_wins_over_vars(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, "kite", IMAGE_RECIPE)
    args = [
        "run",
        str(recipe),
        "--dry-run",
        "--out",
        str(tmp_path / "o"),
        "--var",
        "subject=a boat",
    ]
    assert cli.main(args) == 0
    body = json.loads((tmp_path / "o" / "kite" / "default" / "turn-1.request.json").read_bytes())
    assert body["contents"][0]["parts"][0]["text"] == "a boat"


def test_var_wins_over_matrix_values(tmp_path: Path) -> None:
    recipe = str(RECIPES / "style-matrix.yaml")
    args = ["run", recipe, "--dry-run", "--out", str(tmp_path), "--var", "style=charcoal"]
    assert cli.main(args) == 0
    bodies = [json.loads(p.read_bytes()) for p in tmp_path.rglob("turn-1.request.json")]
    assert bodies and all("charcoal" in b["contents"][0]["parts"][0]["text"] for b in bodies)


def test_concurrency_runs_all_cells(tmp_path: Path, simulator_env: str) -> None:
    recipe = str(RECIPES / "style-matrix.yaml")
    args = ["run", recipe, "--out", str(tmp_path), "--concurrency", "3", "--rpm", "0"]
    assert cli.main(args) == 0
    assert len(manifests(tmp_path)) == 4


def test_an_output_path_that_is_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    assert cli.main(["run", str(RECIPES / "sunset.yaml"), "--simulate", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and "Traceback" not in err


def test_an_output_path_below_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "afile" / "sub"
    assert cli.main(["run", str(RECIPES / "sunset.yaml"), "--simulate", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: {tmp_path / 'afile'} is a file, not a folder" in err


def test_only_with_a_run_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(RECIPES / "sunset.yaml"), "--dry-run", "--out", str(tmp_path)]
    assert cli.main([*args, "--only", "sunset/nope"]) == 2
    assert "no run matches --only 'sunset/nope'; the runs are 'sunset/default'" in (
        capsys.readouterr().err
    )
    assert not list(tmp_path.iterdir())


def test_runs_whose_values_differ_only_in_a_slash_get_their_own_folders(tmp_path: Path) -> None:
    body = "model: gemini-2.5-flash\nmatrix: {a: [x/y, x_y]}\nturns: [{prompt: '{{ a }}'}]\n"
    recipe = write_recipe(tmp_path, "paths", body)
    assert cli.main(["run", str(recipe), "--dry-run", "--out", str(tmp_path / "o")]) == 0
    assert len(list((tmp_path / "o" / "paths").iterdir())) == 2


def test_a_decimal_aspect_ratio_is_judged_not_a_crash(
    tmp_path: Path, simulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(
        tmp_path, "odd", IMAGE_RECIPE.replace("{images: 1}", '{aspect_ratio: "16:9.5"}')
    )
    assert cli.main(["validate", str(recipe)]) == 0
    assert cli.main(["run", str(recipe), "--out", str(tmp_path / "out")]) == 1
    console = capsys.readouterr()
    assert "FAIL odd [default] turn 1: aspect_ratio: expected '16:9.5'" in console.out
    assert "Traceback" not in console.err


class BuggyClient(AsyncClient):
    """Raises an unexpected exception, as a bug in wisdomgate would, for prompts with "bug"."""

    async def generate_content(  # type: ignore[override]
        self, model: str, body: GenerateContentRequest, **options: Any
    ) -> GenerateContentResponse:
        if b"bug" in encode_body(body):
            raise TypeError("a bug in wisdomgate")
        return await super().generate_content(model, body, **options)


def test_an_internal_error_fails_its_run_exits_1_and_the_others_pass(
    tmp_path: Path,
    simulator_env: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def open_client(
        key: str,
        base_url: str | None,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
        **options: int,
    ) -> AsyncClient:
        return BuggyClient(api_key=key, base_url=base_url, timeout=timeout)

    monkeypatch.setattr(commands, "open_client", open_client)
    fine = write_recipe(tmp_path, "fine", IMAGE_RECIPE)
    buggy = write_recipe(tmp_path, "buggy", IMAGE_RECIPE.replace("a kite", "a bug"))
    assert cli.main(["run", str(fine), str(buggy), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "PASS fine [default]" in out
    assert "FAIL buggy [default] turn 1: internal error: TypeError: a bug in wisdomgate" in out
    statuses = {m["recipe"]["name"]: m["status"] for m in manifests(tmp_path / "out")}
    assert statuses == {"fine": "passed", "buggy": "failed"}
