"""The baseline comparison: runs paired by recipe/run/turn, badges, change scores, request
diffs, --fail-on-change as a CI check, and exit 2 for a baseline that is not an output folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.report_runs import image_sources, simulate, write_recipes
from wisdomgate import cli
from wisdomgate.artifacts.report_images import compare_images, dhash

NEW_RECIPE = """\
version: 1
name: lantern
model: gemini-2.5-flash-image
config: {responseModalities: [IMAGE]}
turns:
  - prompt: A paper lantern at night.
    expect: {images: 1}
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(baseline, new): the new run changes the cat's prompt, drops hostile, adds lantern."""
    root = tmp_path_factory.mktemp("baseline")
    simulate(write_recipes(root / "old-recipes"), root / "old")
    recipes = write_recipes(root / "new-recipes", cat_prompt="a tall green top hat")
    (recipes / "hostile.yaml").unlink()
    (recipes / "lantern.yaml").write_text(NEW_RECIPE, encoding="utf-8")
    assert simulate(recipes, root / "new", "--baseline", str(root / "old")) == 0
    return root / "old", root / "new"


@pytest.fixture
def page(folders: tuple[Path, Path]) -> str:
    return (folders[1] / "baseline.html").read_text(encoding="utf-8")


def pair_of(page: str, run: str) -> str:
    """The baseline page's section of one run (`recipe/run id`)."""
    return page.split(f'data-run="{run}">', 1)[1].split("</section>", 1)[0]


def badge_of(page: str, run: str) -> str:
    return page.split(f'data-run="{run}">', 1)[0].rsplit('data-badge="', 1)[1].split('"', 1)[0]


def test_a_run_with_a_changed_prompt_is_changed(page: str) -> None:
    assert badge_of(page, "cat/default") == "changed"


def test_a_run_with_the_same_request_and_images_is_unchanged(page: str) -> None:
    assert badge_of(page, "kites/style=watercolour,aspect=1:1") == "unchanged"
    assert "score 0.000" in pair_of(page, "kites/style=watercolour,aspect=1:1")


def test_a_run_only_in_this_folder_is_new(page: str) -> None:
    assert badge_of(page, "lantern/default") == "new"


def test_a_run_only_in_the_baseline_is_removed(page: str) -> None:
    assert badge_of(page, "hostile/default") == "removed"


def test_the_request_diff_shows_the_prompt_change(page: str) -> None:
    section = pair_of(page, "cat/default")
    assert '<span class="del">-' in section and "a tiny purple wizard hat" in section
    assert '<span class="add">+' in section and "a tall green top hat" in section


def test_old_and_new_images_are_shown_side_by_side(page: str, folders: tuple[Path, Path]) -> None:
    sources = image_sources(pair_of(page, "cat/default"))
    assert sources == ["../old/cat/default/turn-1-1.png", "cat/default/turn-1-1.png"]
    assert all((folders[1] / src).is_file() for src in sources)


def test_the_gallery_cards_carry_their_badge_and_link_the_baseline_page(
    folders: tuple[Path, Path],
) -> None:
    gallery = (folders[1] / "report.html").read_text(encoding="utf-8")
    assert (
        '<a href="baseline.html">compared with a baseline: 1 changed, 1 new, 1 removed' in gallery
    )
    card = gallery.split('data-run="cat/default">', 1)[1].split("</header>", 1)[0]
    assert '<span class="pill changed">changed</span>' in card


def test_fail_on_change_exits_1_and_names_the_run_over_the_threshold(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = shutil.copytree(folders[1], tmp_path / "new")
    code = cli.main(["report", str(new), "--baseline", str(folders[0]), "--fail-on-change", "0.05"])
    assert code == 1
    over = [line for line in capsys.readouterr().out.splitlines() if "over 0.05" in line]
    assert len(over) == 1 and over[0].startswith("changed over 0.05: cat [default] score ")


def test_fail_on_change_passes_when_every_score_is_within_the_threshold(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    new = shutil.copytree(folders[1], tmp_path / "new")
    code = cli.main(["report", str(new), "--baseline", str(folders[0]), "--fail-on-change", "1"])
    assert code == 0


def test_run_fails_on_change_after_writing_its_pages(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    recipes = write_recipes(tmp_path / "recipes", cat_prompt="a crown")
    (recipes / "hostile.yaml").unlink()
    code = simulate(
        recipes, tmp_path / "out", "--baseline", str(folders[0]), "--fail-on-change", "0.05"
    )
    assert code == 1
    assert (tmp_path / "out" / "baseline.html").is_file()


def test_a_missing_baseline_is_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipes = write_recipes(tmp_path / "recipes")
    assert simulate(recipes, tmp_path / "out", "--baseline", str(tmp_path / "nowhere")) == 2
    assert "--baseline" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_baseline_that_is_not_an_output_folder_is_exit_2(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["report", str(folders[1]), "--baseline", str(tmp_path)])
    assert code == 2
    assert "is not a wisdomgate output folder" in capsys.readouterr().err


def test_fail_on_change_without_a_baseline_is_exit_2(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(folders[1]), "--fail-on-change", "0.1"]) == 2
    assert "--fail-on-change needs --baseline" in capsys.readouterr().err


def test_a_run_cannot_overwrite_its_own_baseline(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(Path("recipes"), folders[0], "--baseline", str(folders[0])) == 2
    assert "would overwrite what it is compared with" in capsys.readouterr().err


def picture(
    color: tuple[int, int, int], box: tuple[int, int, int, int] | None = None
) -> Image.Image:
    image = Image.new("RGB", (120, 90), color)
    if box is not None:
        image.paste((255 - color[0], 255 - color[1], 255 - color[2]), box)
    return image


def saved(image: Image.Image, path: Path, quality: int | None = None) -> Path:
    if quality is None:
        image.save(path)
    else:
        image.save(path, quality=quality)
    return path


def test_an_image_against_itself_scores_0(tmp_path: Path) -> None:
    path = saved(picture((40, 90, 200), (10, 10, 60, 50)), tmp_path / "a.png")
    change = compare_images(path, path)
    assert (change.hash_distance, change.pixel_difference, change.score) == (0, 0.0, 0.0)


def test_a_reencoded_image_scores_near_0(tmp_path: Path) -> None:
    image = picture((40, 90, 200), (10, 10, 60, 50))
    change = compare_images(
        saved(image, tmp_path / "a.png"), saved(image, tmp_path / "b.jpg", quality=80)
    )
    assert change.score < 0.1


def test_a_different_picture_scores_high(tmp_path: Path) -> None:
    old = saved(picture((40, 90, 200), (10, 10, 60, 50)), tmp_path / "a.png")
    new = saved(picture((220, 200, 30), (60, 40, 110, 80)), tmp_path / "b.png")
    assert compare_images(old, new).score > 0.3


def test_an_image_that_does_not_decode_scores_1(tmp_path: Path) -> None:
    good = saved(picture((40, 90, 200)), tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png")
    assert compare_images(good, tmp_path / "b.png").score == 1.0


def test_the_hash_ignores_the_image_size() -> None:
    image = picture((40, 90, 200), (10, 10, 60, 50))
    bigger = image.resize((480, 360))
    assert bin(dhash(image) ^ dhash(bigger)).count("1") <= 2


def test_a_baseline_with_a_dry_run_is_exit_2(
    folders: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "run",
            "recipes",
            "--dry-run",
            "--out",
            str(tmp_path / "plan"),
            "--baseline",
            str(folders[0]),
        ]
    )
    assert code == 2
    assert "--dry-run gets none" in capsys.readouterr().err
