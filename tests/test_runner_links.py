"""Outputs stay inside --out: a symbolic link planted below it is refused, never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import ScriptedClient, plan, run, turn
from wisdomgate.artifacts.folders import (
    OutputFolders,
    PlantedLinkError,
    RunFolder,
    preflight_outputs,
)
from wisdomgate.artifacts.safe_paths import NotAFolderError
from wisdomgate.errors import OutputError
from wisdomgate.run.dryrun import dry_run
from wisdomgate_api.models import GenerateContentRequest, GenerateContentResponse

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links and dir_fd: POSIX")

OUTSIDE_BYTES = b"a file outside --out that must not change"


def outside(tmp_path: Path) -> Path:
    """A folder outside --out holding a file a followed link would overwrite."""
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    for name in ("target", "manifest.json", "turn-1-1.png"):
        (folder / name).write_bytes(OUTSIDE_BYTES)
    return folder


def untouched(folder: Path) -> bool:
    """The outside folder holds exactly the files outside() put there, unchanged."""
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    return files == dict.fromkeys(("target", "manifest.json", "turn-1-1.png"), OUTSIDE_BYTES)


def plant(out: Path, where: str, target: Path) -> Path:
    """A link at `where` (relative to out; its parent folders created) pointing to target."""
    link = out / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


LINKS = {
    "recipe folder": ("demo", ""),
    "run folder": ("demo/default", ""),
    "manifest": ("demo/default/manifest.json", "target"),
    "image": ("demo/default/turn-1-1.png", "target"),
    "lock file": ("demo/default/.wisdomgate.lock", "target"),
}


@pytest.mark.parametrize(("where", "target_name"), LINKS.values(), ids=LINKS.keys())
def test_the_preflight_names_a_planted_link_and_leaves_its_target_alone(
    tmp_path: Path, where: str, target_name: str
) -> None:
    elsewhere, out = outside(tmp_path), tmp_path / "out"
    link = plant(out, where, elsewhere / target_name if target_name else elsewhere)
    with pytest.raises(PlantedLinkError) as raised:
        preflight_outputs([plan(tmp_path, turn(1, "a"))], out)
    assert raised.value.link == link
    assert str(link) in str(raised.value) and "Remove the link" in str(raised.value)
    assert isinstance(raised.value, OutputError)
    assert untouched(elsewhere)


def test_a_run_with_a_planted_link_sends_nothing_and_writes_nothing_outside(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    elsewhere, out = outside(tmp_path), tmp_path / "out"
    plant(out, "demo/default", elsewhere)
    client = ScriptedClient([make_response(images=[make_png()])])
    with pytest.raises(PlantedLinkError):
        run(client, [plan(tmp_path, turn(1, "a"))], out)
    assert client.bodies == []
    assert untouched(elsewhere)


@pytest.mark.parametrize("where", ["demo", "demo/default"], ids=["recipe folder", "run folder"])
def test_a_file_where_a_folder_goes_is_named_before_anything_is_sent(
    tmp_path: Path, make_response: ResponseMaker, where: str
) -> None:
    out = tmp_path / "out"
    blocking = out / where
    blocking.parent.mkdir(parents=True, exist_ok=True)
    blocking.write_text("someone's notes", encoding="utf-8")
    client = ScriptedClient([make_response(text="hi")])
    with pytest.raises(NotAFolderError) as raised:
        run(client, [plan(tmp_path, turn(1, "a"))], out)
    assert str(raised.value) == (
        f"{blocking} is a file, but wisdomgate writes a folder there; move it away"
        f" (mv {blocking} {blocking}.old) or choose another --out"
    )
    assert client.bodies == [] and blocking.read_text(encoding="utf-8") == "someone's notes"


def test_a_dry_run_with_a_planted_link_writes_nothing_outside(tmp_path: Path) -> None:
    elsewhere, out = outside(tmp_path), tmp_path / "out"
    plant(out, "demo", elsewhere)
    with pytest.raises(PlantedLinkError):
        dry_run([plan(tmp_path, turn(1, "a"))], OutputFolders(out))
    assert untouched(elsewhere)


def test_a_link_under_a_name_wisdomgate_never_writes_is_left_alone(tmp_path: Path) -> None:
    elsewhere, out = outside(tmp_path), tmp_path / "out"
    plant(out, "demo/default/notes.md", elsewhere / "target")
    preflight_outputs([plan(tmp_path, turn(1, "a"))], out)  # no error


def test_the_preflight_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    preflight_outputs([plan(tmp_path, turn(1, "a"))], out)
    assert not out.exists()


class PlantingClient(ScriptedClient):
    """Plants a link while the request is in flight: after the preflight, before the writes."""

    def __init__(self, reply: GenerateContentResponse, plant_link: Path, target: Path) -> None:
        super().__init__([reply])
        self.plant_link, self.target = plant_link, target

    async def generate_content(
        self, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        if self.plant_link.is_dir() and not self.plant_link.is_symlink():
            self.plant_link.rename(self.plant_link.with_name("moved-away"))
        self.plant_link.symlink_to(self.target)
        return await super().generate_content(model, request)


def test_an_image_link_planted_mid_run_is_refused_not_followed(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    elsewhere, out = outside(tmp_path), tmp_path / "out"
    link = out / "demo" / "default" / "turn-1-1.png"
    client = PlantingClient(make_response(images=[make_png()]), link, elsewhere / "turn-1-1.png")
    with pytest.raises(PlantedLinkError) as raised:
        run(client, [plan(tmp_path, turn(1, "a"))], out)
    assert raised.value.link == link
    assert untouched(elsewhere)


def test_a_run_folder_swapped_for_a_link_mid_run_is_not_followed(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    elsewhere, out = outside(tmp_path), tmp_path / "out"
    folder = out / "demo" / "default"
    client = PlantingClient(make_response(images=[make_png()]), folder, elsewhere)
    [result] = run(client, [plan(tmp_path, turn(1, "a"))], out)
    assert result.passed
    assert untouched(elsewhere)
    # the run kept writing into the folder it opened, wherever that folder went
    assert (out / "demo" / "moved-away" / "turn-1-1.png").read_bytes() == make_png()


def test_a_write_through_a_link_planted_in_an_open_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = outside(tmp_path)
    with RunFolder(tmp_path / "out", "demo", "default") as folder:
        (folder.path / "manifest.json").symlink_to(elsewhere / "manifest.json")
        with pytest.raises(PlantedLinkError):
            folder.write("manifest.json", b"{}")
    assert untouched(elsewhere)


def test_a_read_through_a_link_is_refused(tmp_path: Path) -> None:
    elsewhere = outside(tmp_path)
    with RunFolder(tmp_path / "out", "demo", "default") as folder:
        (folder.path / "turn-1.response.json").symlink_to(elsewhere / "target")
        with pytest.raises(PlantedLinkError):
            folder.read("turn-1.response.json")


def test_removing_earlier_outputs_refuses_a_link_and_keeps_its_target(tmp_path: Path) -> None:
    elsewhere = outside(tmp_path)
    (tmp_path / "out" / "demo" / "default").mkdir(parents=True)  # an earlier run's folder
    with RunFolder(tmp_path / "out", "demo", "default") as folder:
        (folder.path / "turn-1-1.png").symlink_to(elsewhere / "turn-1-1.png")
        with pytest.raises(PlantedLinkError):
            folder.remove_previous_outputs()
    assert untouched(elsewhere)


def test_out_itself_may_be_a_link(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    real = tmp_path / "real-out"
    real.mkdir()
    out = tmp_path / "out"
    out.symlink_to(real)
    preflight_outputs([plan(tmp_path, turn(1, "a"))], out)
    [result] = run(
        ScriptedClient([make_response(images=[make_png()])]), [plan(tmp_path, turn(1, "a"))], out
    )
    assert result.passed
    assert (real / "demo" / "default" / "turn-1-1.png").read_bytes() == make_png()
