"""What `validate` says about `fit: auto`, and what `run --dry-run --quiet` prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from wisdomgate import cli
from wisdomgate.artifacts.folders import RunFolder

RECIPE = """\
version: 1
name: fox
model: gemini-2.5-flash-image
fit: auto
matrix:
  style: [ink, oil]
turns:
  - prompt: a fox, {{ style }}
    images: [ref.png]
  - prompt: now at night
"""


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    Image.linear_gradient("L").resize((900, 300)).convert("RGB").save(tmp_path / "ref.png")
    path = tmp_path / "fox.yaml"
    path.write_text(RECIPE, encoding="utf-8")
    return path


def test_validate_prints_the_long_side_auto_chose_for_each_run(
    recipe: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(recipe)]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"OK {recipe} (fox, 2 runs;")
    assert [line.split(" fit: ")[0] for line in lines[1:]] == [
        "  fox [style=ink]",
        "  fox [style=oil]",
    ]
    assert all(
        line.endswith(
            "fit: auto -> 4096 px (1 reference, all already smaller; request 0.0 MB of 20.0 MB)"
        )
        for line in lines[1:]
    )


def test_a_quiet_dry_run_prints_only_its_summary(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["run", str(recipe), "--dry-run", "--quiet", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"dry run: nothing was sent; 4 request bodies for 2 runs written in {out}"
    ]


def test_a_quiet_dry_run_writes_the_bodies_a_loud_one_writes(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, quiet in (("loud", []), ("quiet", ["--quiet"])):
        assert (
            cli.main(["run", str(recipe), "--dry-run", *quiet, "--out", str(tmp_path / name)]) == 0
        )
    loud, quiet_files = (
        {p.relative_to(tmp_path / name): p.read_bytes() for p in (tmp_path / name).rglob("*.json")}
        for name in ("loud", "quiet")
    )
    assert loud and loud == quiet_files
    assert "DRY-RUN fox [style=ink] turn 1:" in capsys.readouterr().out  # the loud one's


def test_a_quiet_dry_run_still_names_a_busy_run(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with RunFolder(out, "fox", "style=ink"):
        code = cli.main(["run", str(recipe), "--dry-run", "-q", "--out", str(out)])
    assert code == cli.EXIT_OK  # the other run was written
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[:3] for line in lines[:-1]] == [["BUSY", "fox", "[style=ink]"]]
    assert lines[-1].startswith("dry run: nothing was sent; 2 request bodies for 1 run written")
