"""`wisdomgate run --junit FILE`: a JUnit XML report of the runs, for CI dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cli_run import IMAGE_RECIPE, RECIPES, write_recipe
from wisdomgate import cli
from wisdomgate.artifacts.junit import junit_xml
from wisdomgate.recipe.loader import load_plans
from wisdomgate.run.outcomes import OutcomeKind, TurnOutcome
from wisdomgate.run.records import RunRecord, TurnRecord
from wisdomgate.run.runner import RunResult
from wisdomgate_api import Redactor

# Only the "error" recipe uses this model, so only its request meets the injected fault.
ERROR_FAULT = "429-daily;count=*;model=gemini-2.5-flash-image"
SENTINEL = "sentinel-KEY-7f3a9c1e5b2d"


@pytest.fixture
def report(tmp_path: Path) -> ET.Element:
    """Run a passing, a failing (expectation) and an erroring (API error) recipe; parse --junit."""
    passing = write_recipe(tmp_path, "passing", IMAGE_RECIPE)
    odd_ratio = IMAGE_RECIPE.replace("{images: 1}", '{aspect_ratio: "16:9.5"}')
    failing = write_recipe(tmp_path, "failing", odd_ratio)
    other_model = IMAGE_RECIPE.replace("gemini-3-pro-image-preview", "gemini-2.5-flash-image")
    erroring = write_recipe(tmp_path, "erroring", other_model)
    junit = tmp_path / "reports" / "junit.xml"
    recipes = [str(passing), str(failing), str(erroring)]
    args = ["run", *recipes, "--simulate", "--simulate-fault", ERROR_FAULT, "--junit", str(junit)]
    assert cli.main([*args, "--out", str(tmp_path / "out")]) == cli.EXIT_FAILED
    return ET.parse(junit).getroot()


def suite(root: ET.Element, name: str) -> ET.Element:
    [found] = [s for s in root.iter("testsuite") if s.get("name") == name]
    return found


def counts(element: ET.Element) -> tuple[str | None, ...]:
    return tuple(element.get(key) for key in ("tests", "failures", "errors", "skipped"))


def test_the_report_has_one_suite_per_recipe_and_one_case_per_run(report: ET.Element) -> None:
    assert report.tag == "testsuites"
    assert [s.get("name") for s in report] == ["passing", "failing", "erroring"]
    cases = [(c.get("classname"), c.get("name")) for c in report.iter("testcase")]
    assert cases == [("passing", "default"), ("failing", "default"), ("erroring", "default")]


def test_counts_separate_passed_failed_and_errored_runs(report: ET.Element) -> None:
    assert counts(report) == ("3", "1", "1", "0")
    assert counts(suite(report, "passing")) == ("1", "0", "0", "0")
    assert counts(suite(report, "failing")) == ("1", "1", "0", "0")
    assert counts(suite(report, "erroring")) == ("1", "0", "1", "0")


def test_times_are_seconds(report: ET.Element) -> None:
    for element in (report, *report.iter("testsuite"), *report.iter("testcase")):
        assert 0 <= float(element.get("time", "")) < 60


def test_a_failure_gives_the_reason_and_expected_against_actual(report: ET.Element) -> None:
    failure = suite(report, "failing").find("testcase/failure")
    assert failure is not None
    assert failure.get("type") == "expectation_failed"
    assert (failure.get("message") or "").startswith("turn 1: aspect_ratio: expected '16:9.5'")
    assert "failed expectations:\n  aspect_ratio: expected '16:9.5', got" in (failure.text or "")


def test_an_api_error_is_an_error_not_a_failure(report: ET.Element) -> None:
    case = suite(report, "erroring").find("testcase")
    assert case is not None and case.find("failure") is None
    error = case.find("error")
    assert error is not None and error.get("type") == "api_error"
    assert "HTTP 429" in (error.get("message") or "")


def test_system_out_names_the_run_folder_and_its_images(report: ET.Element, tmp_path: Path) -> None:
    out = suite(report, "passing").findtext("testcase/system-out") or ""
    folder = tmp_path / "out" / "passing" / "default"
    assert f"folder: {folder}" in out.splitlines()
    assert f"image: {folder / 'turn-1-1.png'}" in out.splitlines()


def test_the_report_is_written_atomically(report: ET.Element, tmp_path: Path) -> None:
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["junit.xml"]


def test_the_key_never_appears_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wisdomgate.simulator import SimulatorConfig, run_simulator

    monkeypatch.setenv("SENTINEL_KEY", SENTINEL)
    ok = write_recipe(tmp_path, "ok", IMAGE_RECIPE)
    blocked = write_recipe(tmp_path, "blocked", IMAGE_RECIPE.replace('}}"', '}} [[block:SAFETY]]"'))
    junit = tmp_path / "junit.xml"
    with run_simulator(SimulatorConfig(accept_any_key=True)) as base_url:
        args = ["run", str(ok), str(blocked), "--base-url", base_url, "--junit", str(junit)]
        assert (
            cli.main([*args, "--out", str(tmp_path / "out"), "--api-key-env", "SENTINEL_KEY"]) == 1
        )
    assert b"<testsuites" in junit.read_bytes()
    assert SENTINEL.encode() not in junit.read_bytes()


def test_text_that_holds_the_key_is_masked(tmp_path: Path) -> None:
    [plan] = load_plans([RECIPES / "sunset.yaml"])
    leaky = f"API error: HTTP 401 key {SENTINEL} rejected"
    turn = TurnRecord(1, TurnOutcome(OutcomeKind.API_ERROR, False, leaky, error_message=leaky))
    record = RunRecord(plan, "sunset/default", [turn], "now", status="failed", reason=leaky)
    xml = junit_xml([RunResult(plan, record, tmp_path)], Redactor(SENTINEL))
    assert SENTINEL.encode() not in xml
    assert b"key *** rejected" in xml


def test_characters_xml_cannot_hold_do_not_break_the_file(tmp_path: Path) -> None:
    [plan] = load_plans([RECIPES / "sunset.yaml"])
    reason = "finishReason OTHER — model said: \x00\x1b[31mred\u2028"
    turn = TurnRecord(1, TurnOutcome(OutcomeKind.FINISH_REASON, False, reason))
    record = RunRecord(plan, "sunset/default", [turn], "now", status="failed", reason=reason)
    root = ET.fromstring(junit_xml([RunResult(plan, record, tmp_path)], Redactor()))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "red" in (failure.get("message") or "")


def test_junit_with_dry_run_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    args = ["run", str(RECIPES / "sunset.yaml"), "--dry-run", "--junit", str(junit)]
    assert cli.main([*args, "--out", str(tmp_path / "out")]) == cli.EXIT_USAGE
    assert "--junit" in capsys.readouterr().err
    assert not junit.exists() and not (tmp_path / "out").exists()


def test_a_lost_answer_is_a_junit_error_not_a_failure(tmp_path: Path) -> None:
    [plan] = load_plans([RECIPES / "sunset.yaml"])
    reason = "answer lost: the answer was lost after the server accepted the request"
    turn = TurnRecord(1, TurnOutcome(OutcomeKind.ANSWER_LOST, False, reason, http_status=200))
    record = RunRecord(plan, "sunset/default", [turn], "now", status="failed", reason=reason)
    root = ET.fromstring(junit_xml([RunResult(plan, record, tmp_path)], Redactor()))
    error = root.find("testsuite/testcase/error")
    assert error is not None and error.get("type") == "answer_lost"
