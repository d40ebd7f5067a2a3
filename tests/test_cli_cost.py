"""`wisdomgate plan`, `run --max-cost`, `--prices`, and what runs cost in the manifest, summary
and JUnit report, end to end on the simulator (whose usageMetadata is priced)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli_run import RECIPES, manifests, write_recipe
from wisdomgate import cli
from wisdomgate.cli import commands
from wisdomgate.cli.costs import usd
from wisdomgate.recipe import load_plans
from wisdomgate.run import estimate_run
from wisdomgate.run.cost import cost_of_usage
from wisdomgate.run.prices import builtin_prices
from wisdomgate.simulator import SIMULATOR_KEY, RequestCounter, SimulatorConfig, run_simulator

MATRIX = """\
model: gemini-2.5-flash-image
matrix: {n: [1, 2, 3, 4]}
turns:
  - prompt: "sticker number {{ n }}"
"""


def run_counted(monkeypatch: pytest.MonkeyPatch, counter: RequestCounter, *args: str) -> int:
    monkeypatch.setenv("WISDOM_GATE_KEY", SIMULATOR_KEY)
    with run_simulator(SimulatorConfig(), counter=counter) as url:
        return cli.main(["run", *args, "--base-url", url, "--rpm", "0"])


def test_plan_prints_each_recipe_and_a_total_without_a_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["plan", str(RECIPES)]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("butterfly (") and "1 image (1 x 1K)" in line for line in lines)
    assert lines[-2].startswith("total: 11 runs, 12 requests, 11 images")
    assert "nothing was sent" in lines[-1]


def test_plan_json_gives_a_usd_range_per_recipe_and_in_total(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["plan", str(RECIPES), "--json"]) == cli.EXIT_OK
    data = json.loads(capsys.readouterr().out)
    low, high = data["total"]["usd"]
    assert 0 < low <= high
    assert math.isclose(sum(r["usd"][1] for r in data["recipes"]), high, rel_tol=1e-6)


def test_plan_of_an_invalid_recipe_exits_2_like_validate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = Path(__file__).resolve().parent / "recipes_broken" / "unknown_model_typo.yaml"
    assert cli.main(["plan", str(broken)]) == cli.EXIT_USAGE
    assert "nothing was sent" in capsys.readouterr().err


def test_a_bad_prices_file_exits_2_naming_the_file_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text('{"models": {"gemini-2.5-flash": {"per_million": {}}}}', encoding="utf-8")
    assert cli.main(["plan", str(RECIPES), "--prices", str(bad)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"{bad}: models.gemini-2.5-flash.per_million: missing 'input_text'" in err


def test_max_cost_below_the_estimate_exits_2_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    counter = RequestCounter()
    code = run_counted(
        monkeypatch, counter, str(RECIPES), "--out", str(tmp_path), "--max-cost", "0.5"
    )
    assert code == cli.EXIT_USAGE and counter.total == 0
    err = capsys.readouterr().err
    assert "--max-cost $0.500: the estimate for 11 runs (12 requests) is $" in err
    assert "Raise --max-cost to at least" in err and not manifests(tmp_path)


def test_each_turns_cost_in_the_manifest_is_its_usage_metadata_priced(tmp_path: Path) -> None:
    assert cli.main(["run", str(RECIPES), "--simulate", "--out", str(tmp_path)]) == cli.EXIT_OK
    table = builtin_prices()
    for manifest in manifests(tmp_path):
        prices = table.require(manifest["model"])
        for turn in manifest["turns"]:
            expected = cost_of_usage(turn["response"]["usageMetadata"], prices, table)
            assert expected is not None and turn["cost"]["basis"] == "usage"
            assert turn["cost"]["usd"] == round(expected.usd, 6)
        total = sum(turn["cost"]["usd"] for turn in manifest["turns"])
        assert math.isclose(manifest["cost"]["usd"], total, abs_tol=1e-5)


def test_the_summary_and_junit_report_what_the_runs_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    out = tmp_path / "out"
    args = ["run", str(RECIPES), "--simulate", "--out", str(out), "--junit", str(junit)]
    assert cli.main(args) == cli.EXIT_OK
    spent = sum(m["cost"]["usd"] for m in manifests(out))
    cost_line = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("cost:")
    )
    assert f"{usd(spent)} spent in this run" in cost_line
    root = ET.parse(junit).getroot()
    assert math.isclose(sum(map(cost_property, root.iter("testcase"))), spent, abs_tol=1e-4)
    assert math.isclose(sum(map(cost_property, root.iter("testsuite"))), spent, abs_tol=1e-4)


def cost_property(element: ET.Element) -> float:
    """The cost_usd <property> of a <testsuite> or <testcase> (its own, not its children's)."""
    properties = element.find("properties")
    assert properties is not None
    found = [p.get("value", "") for p in properties if p.get("name") == "cost_usd"]
    return float(found[0])


@pytest.fixture
def estimate_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimate before the run lets any --max-cost pass, as one the answers then exceed
    would (a model thinking far more than the range): what is tested is the stop during the run."""
    monkeypatch.setattr(commands, "check_budget", lambda *args: None)


def budget_run(tmp_path: Path, *extra: str) -> list[str]:
    recipe = write_recipe(tmp_path, "stickers", MATRIX)
    out = tmp_path / "out"
    return ["run", str(recipe), "--simulate", "--out", str(out), "--concurrency", "1", *extra]


def statuses(out: Path) -> list[tuple[str, str]]:
    found = [(m["turns"][0]["status"], m["turns"][0]["outcome"]["kind"]) for m in manifests(out)]
    return sorted(found)


def test_reaching_max_cost_stops_the_runs_not_started_as_budget(
    tmp_path: Path, estimate_passes: None
) -> None:
    # each answer costs about $0.039: the first two runs spend $0.077, over $0.05
    assert cli.main(budget_run(tmp_path, "--max-cost", "0.05")) == cli.EXIT_FAILED
    assert statuses(tmp_path / "out") == [("not_run", "budget")] * 2 + [("passed", "ok")] * 2


def test_runs_the_budget_stopped_are_junit_skipped_and_counted_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], estimate_passes: None
) -> None:
    junit = tmp_path / "junit.xml"
    cli.main(budget_run(tmp_path, "--max-cost", "0.05", "--junit", str(junit)))
    suite = ET.parse(junit).getroot()
    assert suite.get("skipped") == "2" and suite.get("failures") == suite.get("errors") == "0"
    out = capsys.readouterr().out
    assert "2 runs were not run: the --max-cost budget was reached; run again with --resume" in out


def test_resume_continues_the_runs_the_budget_stopped_without_paying_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, estimate_passes: None
) -> None:
    cli.main(budget_run(tmp_path, "--max-cost", "0.05"))
    counter = RequestCounter()
    args = budget_run(tmp_path, "--max-cost", "1", "--resume")
    args.remove("--simulate")
    assert run_counted(monkeypatch, counter, *args[1:]) == cli.EXIT_OK
    assert counter.total == 2  # only the two runs the budget stopped
    found = manifests(tmp_path / "out")
    bases = sorted(m["turns"][0]["cost"]["basis"] for m in found)
    assert bases == ["reused", "reused", "usage", "usage"]


def test_a_replayed_answer_shows_its_cost_but_is_not_spent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write_recipe(tmp_path, "stickers", MATRIX)
    cassette, out = tmp_path / "cassette", tmp_path / "out"
    record = ["run", str(recipe), "--simulate", "--out", str(out), "--record", str(cassette)]
    assert cli.main(record) == cli.EXIT_OK
    capsys.readouterr()
    assert cli.main(["run", str(recipe), "--out", str(out), "--replay", str(cassette)]) == 0
    found: list[dict[str, Any]] = manifests(out)
    assert {m["turns"][0]["cost"]["basis"] for m in found} == {"replayed"}
    assert all(m["cost"]["usd"] == 0 < m["cost"]["all_usd"] for m in found)
    assert "cost: $0.0000 spent in this run" in capsys.readouterr().out


def test_a_run_the_budget_stopped_leaves_an_earlier_runs_folder_as_it_was(
    tmp_path: Path, estimate_passes: None
) -> None:
    assert cli.main(budget_run(tmp_path)) == cli.EXIT_OK  # no budget: all four paid for
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert cli.main(budget_run(tmp_path, "--max-cost", "0.05")) == cli.EXIT_FAILED
    untouched = [p for p, data in before.items() if p.exists() and p.read_bytes() == data]
    assert len({p.parent for p in untouched if p.name == "manifest.json"}) == 2
    assert statuses(tmp_path / "out") == [("passed", "ok")] * 4  # the two old ones kept theirs


@pytest.mark.parametrize("recipe", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.stem)
def test_what_a_simulated_run_costs_lies_within_its_plan_estimate(
    recipe: Path, tmp_path: Path
) -> None:
    assert cli.main(["run", str(recipe), "--simulate", "--out", str(tmp_path)]) == cli.EXIT_OK
    plans = {plan.run_id: plan for plan in load_plans([recipe])}
    for manifest in manifests(tmp_path):
        estimate = estimate_run(plans[manifest["run"]["id"]], builtin_prices())
        assert estimate.usd.low <= manifest["cost"]["usd"] <= estimate.usd.high


def test_run_with_a_bad_prices_file_exits_2_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text("[]", encoding="utf-8")
    counter = RequestCounter()
    args = [str(RECIPES), "--out", str(tmp_path / "out"), "--prices", str(bad)]
    assert run_counted(monkeypatch, counter, *args) == cli.EXIT_USAGE and counter.total == 0
    assert f'{bad}: expected a JSON object with "models", got list' in capsys.readouterr().err
