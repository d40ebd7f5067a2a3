"""The gallery: every run writes OUT/report.html, `wisdomgate report OUT` rebuilds it from the
manifests; one card per run, escaped text, images by relative path, matrix grids, cost when known."""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.report_runs import HOSTILE, image_sources, simulate, write_recipes
from wisdomgate import cli
from wisdomgate.artifacts import write_report


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one simulated run of the test recipes (6 runs, 1 failing)."""
    root = tmp_path_factory.mktemp("gallery")
    assert simulate(write_recipes(root / "recipes"), root / "out") == 1  # the hostile one fails
    return root / "out"


@pytest.fixture
def page(gallery: Path) -> str:
    return (gallery / "report.html").read_text(encoding="utf-8")


def copy_of(gallery: Path, tmp_path: Path) -> Path:
    """A copy of the gallery's output folder (and its recipes) to change."""
    shutil.copytree(gallery.parent, tmp_path / "copy")
    return tmp_path / "copy" / "out"


def test_a_run_writes_one_card_per_run(page: str, gallery: Path) -> None:
    manifests = sorted(gallery.rglob("manifest.json"))
    assert len(manifests) == 6
    assert page.count('<article class="card"') == len(manifests)


def test_a_hostile_prompt_is_shown_as_text_never_as_markup(page: str) -> None:
    assert HOSTILE not in page
    assert "<script" not in page
    assert str(escape(HOSTILE)) in page


def test_the_page_runs_no_script_and_loads_nothing_from_elsewhere(page: str) -> None:
    assert "default-src 'none'" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_images_are_referenced_by_relative_path_never_inlined(page: str, gallery: Path) -> None:
    sources = image_sources(page)
    assert "data:" not in page
    assert sources and all(not Path(src).is_absolute() for src in sources)
    assert all((gallery / urllib.parse.unquote(src)).is_file() for src in sources)


def test_reference_images_are_shown_as_thumbnails(page: str) -> None:
    assert "../recipes/refs/cat.jpg" in image_sources(page)


def test_a_failed_expectation_shows_expected_and_actual_in_red(page: str) -> None:
    assert '<tr class="check-failed"><td>✗ images</td><td>2</td><td>1</td></tr>' in page


def test_the_summary_bar_counts_passed_and_failed_runs(page: str) -> None:
    assert '<span class="count passed">5 passed</span>' in page
    assert '<span class="count failed">1 failed</span>' in page


def test_failures_can_be_shown_alone(page: str) -> None:
    assert '<input type="checkbox" id="only-failures"' in page
    assert 'data-status="failed" data-run="hostile/default"' in page


def test_matrix_runs_are_laid_out_as_a_grid_by_their_variables(page: str) -> None:
    assert "<th>style \\ aspect</th>" in page
    assert "<th>pencil sketch</th>" in page and "<th>aspect=16:9</th>" in page


def test_the_report_command_rebuilds_the_same_page_from_the_manifests(
    gallery: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = copy_of(gallery, tmp_path)
    written = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    assert cli.main(["report", str(out)]) == 0
    assert (out / "report.html").read_bytes() == written
    assert capsys.readouterr().out == f"report: {out / 'report.html'}\n"


def test_thought_images_are_folded_away(gallery: Path, tmp_path: Path) -> None:
    out = copy_of(gallery, tmp_path)
    manifest_path = next((out / "cat").rglob("manifest.json"))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["turns"][0]["outputs"]["images"][0]["thought"] = True
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert cli.main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    folded = page.split("<summary>1 thought image</summary>", 1)[1].split("</details>", 1)[0]
    assert "cat/default/turn-1-1.png" in folded


def test_the_key_never_appears_in_the_report(
    gallery: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = copy_of(gallery, tmp_path)
    key = "sk-live-0123456789abcdef"
    manifest_path = next((out / "cat").rglob("manifest.json"))
    planted = manifest_path.read_text(encoding="utf-8").replace("wizard hat", f"hat {key}")
    manifest_path.write_text(planted, encoding="utf-8")
    monkeypatch.setenv("WISDOM_GATE_KEY", key)
    assert cli.main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert key not in page
    assert "hat ***" in page


def test_an_unreadable_manifest_is_listed_and_the_rest_shown(gallery: Path, tmp_path: Path) -> None:
    out = copy_of(gallery, tmp_path)
    next((out / "cat").rglob("manifest.json")).write_text("{not json", encoding="utf-8")
    assert cli.main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Manifests that could not be read" in page
    assert page.count('<article class="card"') == 5


def test_each_turns_cost_from_its_manifest_is_shown(page: str, gallery: Path) -> None:
    costs = [
        turn["cost"]["usd"]
        for manifest in gallery.rglob("manifest.json")
        for turn in json.loads(manifest.read_text(encoding="utf-8"))["turns"]
        if turn["cost"]
    ]
    assert costs
    assert all(f'<dd class="cost">${usd:,.4f}</dd>' in page for usd in costs)


def test_the_summary_bar_adds_up_the_runs_costs(page: str, gallery: Path) -> None:
    total = sum(
        json.loads(manifest.read_text(encoding="utf-8"))["cost"]["all_usd"]
        for manifest in gallery.rglob("manifest.json")
    )
    assert f'<span class="count cost">${total:,.4f}</span>' in page


def test_a_turn_paid_by_an_earlier_run_says_so(gallery: Path, tmp_path: Path) -> None:
    out = copy_of(gallery, tmp_path)
    for manifest in out.rglob("manifest.json"):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        for turn in data["turns"]:
            if turn["cost"]:
                turn["cost"]["basis"] = "replayed"
        manifest.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["report", str(out)]) == 0
    assert "(replayed: paid by an earlier run)" in (out / "report.html").read_text("utf-8")


def test_no_cost_is_shown_when_the_manifests_carry_none(gallery: Path, tmp_path: Path) -> None:
    out = copy_of(gallery, tmp_path)
    for manifest in out.rglob("manifest.json"):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        for turn in data["turns"]:
            turn["cost"] = None
        manifest.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["report", str(out)]) == 0
    assert 'class="cost"' not in (out / "report.html").read_text(encoding="utf-8")


def test_a_turns_retries_are_shown(gallery: Path, tmp_path: Path) -> None:
    out = copy_of(gallery, tmp_path)
    manifest = next(out.rglob("manifest.json"))
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["turns"][0]["retries"] = 2
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["report", str(out)]) == 0
    assert "<dt>retries</dt><dd>2</dd>" in (out / "report.html").read_text(encoding="utf-8")


def test_a_missing_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_folder_without_manifests_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "is not a wisdomgate output folder" in capsys.readouterr().err


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=60).filter(lambda text: text.strip() == text))
def test_any_prompt_reaches_the_page_escaped(gallery: Path, tmp_path: Path, text: str) -> None:
    out = tmp_path / "copy" / "out"
    if not out.exists():  # one copy for all the examples: each rewrites the same manifest
        out = copy_of(gallery, tmp_path)
    manifest_path = next((out / "cat").rglob("manifest.json"))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["turns"][0]["request"]["contents"][-1]["parts"][0]["text"] = text
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    page = write_report(out).path.read_bytes().decode("utf-8")  # \r kept as written
    prompt = page.split('data-run="cat/default">', 1)[1].split('<div class="prompt"><pre>', 1)[1]
    assert prompt.split("</pre>", 1)[0] == str(escape(text))


def test_a_stale_baseline_page_is_removed_when_no_baseline_is_given(
    gallery: Path, tmp_path: Path
) -> None:
    out = copy_of(gallery, tmp_path)
    (out / "baseline.html").write_text("stale", encoding="utf-8")
    assert cli.main(["report", str(out)]) == 0
    assert not (out / "baseline.html").exists()
