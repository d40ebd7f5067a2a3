"""`wisdomgate run --shard K/N`: disjoint, stable slices of the runs for parallel CI jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli_run import IMAGE_RECIPE, RECIPES, write_recipe
from wisdomgate import cli
from wisdomgate.recipe.loader import load_plans
from wisdomgate.recipe.plan import PlannedRun
from wisdomgate.run.shard import Shard, shard_of


def keys(plans: list[PlannedRun]) -> list[str]:
    return [f"{plan.recipe_name}/{plan.run_id}" for plan in plans]


@pytest.fixture(scope="module")
def plans() -> list[PlannedRun]:
    return load_plans([RECIPES])


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_shards_are_disjoint_and_cover_every_run(plans: list[PlannedRun], count: int) -> None:
    shards = [keys(Shard(index, count).select(plans)) for index in range(1, count + 1)]
    everything = [key for shard in shards for key in shard]
    assert sorted(everything) == sorted(keys(plans))  # each run once: no overlap, no gap


def test_a_shard_keeps_the_planned_order(plans: list[PlannedRun]) -> None:
    selected = Shard(1, 2).select(plans)
    assert selected == [plan for plan in plans if plan in selected]


@pytest.mark.parametrize("count", [2, 3, 4])
def test_adding_a_recipe_moves_no_other_run(
    plans: list[PlannedRun], tmp_path: Path, count: int
) -> None:
    extra = write_recipe(tmp_path, "zz-new", IMAGE_RECIPE)
    more = load_plans([RECIPES, extra])
    for index in range(1, count + 1):
        before = keys(Shard(index, count).select(plans))
        after = [key for key in keys(Shard(index, count).select(more)) if key != "zz-new/default"]
        assert after == before


def test_the_shard_is_pinned_by_sha256_of_recipe_and_run_id() -> None:
    # Every CI job, on any machine or Python version, must compute the same split: a change
    # here reshuffles every project's shards and must be deliberate.
    assert [shard_of("sunset", "default", n) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 3, 1]


def test_runs_spread_over_every_shard() -> None:
    assert {shard_of("r", f"run-{i}", 3) for i in range(50)} == {1, 2, 3}


def test_parse_reads_k_of_n() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    assert Shard.parse(" 1 / 1 ") == Shard(1, 1)
    assert str(Shard.parse("2/3")) == "2/3"


@pytest.mark.parametrize("spec", ["", "3", "2/", "/3", "a/b", "1/2/3", "-1/3", "1.5/3"])
def test_parse_refuses_what_is_not_k_slash_n(spec: str) -> None:
    with pytest.raises(ValueError, match="expected K/N such as 2/3"):
        Shard.parse(spec)


@pytest.mark.parametrize("spec", ["0/3", "4/3", "1/0", "0/0"])
def test_parse_refuses_k_out_of_range(spec: str) -> None:
    with pytest.raises(ValueError, match="1 <= K <= N"):
        Shard.parse(spec)


@pytest.mark.parametrize("spec", ["0/3", "4/3", "x", "2"])
def test_a_bad_shard_is_a_usage_error(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", str(RECIPES), "--dry-run", "--shard", spec])
    assert exited.value.code == cli.EXIT_USAGE
    assert "argument --shard: expected K/N" in capsys.readouterr().err


def test_a_dry_run_shard_writes_only_its_runs_and_says_so(
    plans: list[PlannedRun], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = Shard(2, 3).select(plans)
    args = ["run", str(RECIPES), "--dry-run", "--shard", "2/3", "--out", str(tmp_path)]
    assert cli.main(args) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"shard 2/3: {len(mine)} of {len(plans)} runs"
    assert {p.parent.parent.name for p in tmp_path.rglob("turn-1.request.json")} == {
        plan.recipe_name for plan in mine
    }
    assert len(list(tmp_path.rglob("turn-1.request.json"))) == len(mine)


def test_a_real_run_sends_only_its_shard(
    tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = RECIPES / "style-matrix.yaml"  # four single-turn runs
    everything = load_plans([recipe])
    mine = Shard(3, 3).select(everything)
    assert 0 < len(mine) < len(everything)
    args = ["run", str(recipe), "--simulate", "--shard", "3/3", "--out", str(tmp_path)]
    assert cli.main(args) == cli.EXIT_OK
    assert len(sent_bodies) == len(mine)
    assert f"shard 3/3: {len(mine)} of {len(everything)} runs" in capsys.readouterr().out
