"""The cassette folder: request keys, the stored form of answers, and damaged cassettes refused."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from wisdomgate.artifacts import (
    CassetteAnswer,
    CassetteError,
    CassetteReader,
    CassetteRequest,
    CassetteWriter,
)

PATH = "/v1beta/models/gemini-2.5-flash-image:generateContent"
BODY = b'{"contents":[{"parts":[{"text":"a kite"}],"role":"user"}]}'
PNG = b"\x89PNG\r\n\x1a\n not really, but bytes are bytes"


def request(body: bytes = BODY, target: str = PATH) -> CassetteRequest:
    return CassetteRequest.from_target("POST", target, body)


def image_answer(data: bytes = PNG, **extra: Any) -> CassetteAnswer:
    encoded = base64.b64encode(data).decode()
    part = {"inlineData": {"mimeType": "image/png", "data": encoded}, **extra}
    wire = {"candidates": [{"content": {"role": "model", "parts": [part]}}], "responseId": "r1"}
    return CassetteAnswer(200, "application/json", json.dumps(wire).encode())


def recorded(tmp_path: Path, *pairs: tuple[CassetteRequest, CassetteAnswer]) -> Path:
    folder = tmp_path / "cassette"
    writer = CassetteWriter(folder)
    for req, answer in pairs:
        writer.record(req, answer)
    return folder


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# ------------------------------------------------------------------ keys


def test_the_key_covers_method_path_query_and_the_exact_body() -> None:
    key = request().key
    assert request().key == key  # deterministic
    assert request(BODY + b" ").key != key  # one byte of the body
    assert request(target=PATH.replace("flash", "pro")).key != key  # the model, in the path
    assert request(target=PATH + "?alt=sse").key != key
    assert CassetteRequest.from_target("GET", PATH, BODY).key != key


def test_the_query_key_is_no_part_of_the_key_nor_of_what_is_stored() -> None:
    plain = request(target=PATH + "?alt=sse")
    keyed = request(target=PATH + "?key=sk-secret-123&alt=sse")
    assert keyed.key == plain.key
    assert "sk-secret" not in json.dumps(keyed.describe()) + keyed.shown()


def test_the_stored_request_has_no_image_data_and_names_the_model() -> None:
    body = json.dumps(
        {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "aGk="}}]}]}
    ).encode()
    described = request(body).describe()
    assert described["model"] == "gemini-2.5-flash-image"
    assert described["body_bytes"] == len(body)
    blob = described["body"]["contents"][0]["parts"][0]["inlineData"]
    assert blob["data"] == {"sha256": hashlib.sha256(b"hi").hexdigest(), "bytes": 2}
    assert "aGk=" not in json.dumps(described)


# ------------------------------------------------------------------ recording


def test_an_answer_is_stored_like_turn_response_json_with_its_image_beside_it(
    tmp_path: Path,
) -> None:
    req = request()
    folder = recorded(tmp_path, (req, image_answer()))
    stored = files(folder)
    entry = json.loads(stored[f"exchanges/{req.key}.json"])
    assert entry["request_sha256"] == req.body_sha256
    assert entry["answer"] == {"status": 200, "content_type": "application/json", "sse": False}
    data = entry["response"]["candidates"][0]["content"]["parts"][0]["inlineData"]["data"]
    assert data == {"file": data["file"], "sha256": data["sha256"], "bytes": len(PNG)}
    assert stored[data["file"]] == PNG
    assert data["file"] == f"images/{data['sha256']}.png"
    assert json.loads(stored["cassette.json"]) == {"format": "wisdomgate-cassette", "version": 1}


def test_an_equal_image_is_stored_once(tmp_path: Path) -> None:
    folder = recorded(tmp_path, (request(), image_answer()), (request(b"{}"), image_answer()))
    names = sorted(files(folder))
    assert len([n for n in names if n.startswith("images/")]) == 1
    assert len([n for n in names if n.startswith("exchanges/")]) == 2


def test_recording_the_same_answer_again_changes_no_byte(tmp_path: Path) -> None:
    folder = recorded(tmp_path, (request(), image_answer()))
    before = files(folder)
    writer = CassetteWriter(folder)
    writer.record(request(), image_answer())
    assert files(folder) == before
    assert writer.new_images == 0
    assert b"20" not in before["cassette.json"]  # no dates, nothing that changes on re-record


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (CassetteAnswer(429, "application/json", b'{"error": {"code": 429}}'), "HTTP 429"),
        (CassetteAnswer(503, "text/html", b"<h1>busy</h1>"), "HTTP 503"),
        (CassetteAnswer(200, "application/json", b'{"error": {"code": 500}}'), "error object"),
        (CassetteAnswer(200, "text/html", b"<html>gateway</html>"), "not JSON"),
        (CassetteAnswer(200, "text/event-stream", b'data: {"error": {}}\r\n\r\n'), "error object"),
    ],
)
def test_errors_and_flakes_are_not_recorded(
    tmp_path: Path, answer: CassetteAnswer, why: str
) -> None:
    writer = CassetteWriter(tmp_path / "cassette")
    writer.record(request(), answer)
    assert writer.recorded == 0
    assert not (tmp_path / "cassette").exists()
    assert why in " ".join(writer.skipped)


def test_data_base64_would_not_give_back_exactly_stays_inline(tmp_path: Path) -> None:
    answer = CassetteAnswer(
        200,
        "application/json",
        b'{"candidates":[{"content":{"parts":[{"inlineData":'
        b'{"mimeType":"image/png","data":"aGk"}}]}}]}',
    )
    folder = recorded(tmp_path, (request(), answer))
    replayed = CassetteReader(folder).answer(request())
    assert replayed is not None
    assert json.loads(replayed.body) == json.loads(answer.body)


def test_a_stream_is_stored_as_chunks_and_replayed_as_events(tmp_path: Path) -> None:
    chunk = json.loads(image_answer().body)
    body = b"data: " + json.dumps(chunk).encode() + b'\r\n\r\ndata: {"usageMetadata": {}}\r\n\r\n'
    answer = CassetteAnswer(200, "text/event-stream", body)
    folder = recorded(tmp_path, (request(), answer))
    entry = json.loads((folder / "exchanges" / f"{request().key}.json").read_bytes())
    assert entry["answer"]["sse"] is True and len(entry["chunks"]) == 2
    replayed = CassetteReader(folder).answer(request())
    assert replayed is not None and replayed.sse
    events = [json.loads(e.removeprefix(b"data: ")) for e in replayed.body.split(b"\r\n\r\n") if e]
    assert events == [chunk, {"usageMetadata": {}}]


# ------------------------------------------------------------------ replaying


def test_replay_gives_the_recorded_answer_and_none_for_an_unknown_request(
    tmp_path: Path,
) -> None:
    folder = recorded(tmp_path, (request(), image_answer()))
    reader = CassetteReader(folder)
    answer = reader.answer(request())
    assert answer is not None and answer.status == 200
    assert json.loads(answer.body) == json.loads(image_answer().body)
    other = request(b"{}")
    assert reader.answer(other) is None
    assert reader.missing == {other.key}
    message = reader.not_recorded(other)
    assert other.key in message and f"--record {folder}" in message


def damage(folder: Path, how: str) -> Path:
    """Damage the cassette; the file an error must name."""
    entry = next((folder / "exchanges").iterdir())
    image = next((folder / "images").iterdir())
    if how == "entry not JSON":
        entry.write_text("{ not json")
    elif how == "entry renamed":
        renamed = entry.with_name("0" * 64 + ".json")
        entry.rename(renamed)
        return renamed
    elif how == "entry without answer":
        data = json.loads(entry.read_bytes())
        del data["answer"]
        entry.write_text(json.dumps(data))
    elif how == "stray file":
        stray = folder / "exchanges" / "notes.json"
        stray.write_text("{}")
        return stray
    elif how == "image changed":
        image.write_bytes(b"other bytes")
        return image
    elif how == "image missing":
        image.unlink()
    elif how == "marker missing":
        (folder / "cassette.json").unlink()
        return folder
    elif how == "marker of a newer version":
        (folder / "cassette.json").write_text('{"format": "wisdomgate-cassette", "version": 2}')
        return folder / "cassette.json"
    return entry


@pytest.mark.parametrize(
    "how",
    [
        "entry not JSON",
        "entry renamed",
        "entry without answer",
        "stray file",
        "image changed",
        "image missing",
        "marker missing",
        "marker of a newer version",
    ],
)
def test_a_damaged_cassette_is_refused_naming_the_file(tmp_path: Path, how: str) -> None:
    folder = recorded(tmp_path, (request(), image_answer()))
    named = damage(folder, how)
    with pytest.raises(CassetteError) as caught:
        CassetteReader(folder)
    assert str(named) in str(caught.value)


def test_temporary_files_of_a_killed_recording_are_ignored(tmp_path: Path) -> None:
    folder = recorded(tmp_path, (request(), image_answer()))
    (folder / "exchanges" / f".{request().key}.json.0123.tmp").write_text("half")
    assert CassetteReader(folder).exchanges == 1


@pytest.mark.parametrize("what", ["missing", "a file"])
def test_replay_from_a_folder_that_is_not_there_says_how_to_record_one(
    tmp_path: Path, what: str
) -> None:
    path = tmp_path / "cassette"
    if what == "a file":
        path.write_text("")
    with pytest.raises(CassetteError, match=f"--replay {path}.*--record {path}"):
        CassetteReader(path)


def test_recording_refuses_a_folder_that_holds_something_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CassetteError, match=r"not a cassette .* and not empty"):
        CassetteWriter(tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(CassetteError, match="is a file"):
        CassetteWriter(tmp_path / "file")


def test_recording_into_an_empty_folder_or_an_existing_cassette_is_fine(tmp_path: Path) -> None:
    CassetteWriter(tmp_path)
    folder = recorded(tmp_path / "new", (request(), image_answer()))
    CassetteWriter(folder)


def test_one_request_answered_twice_differently_is_said_to_replay_the_last(
    tmp_path: Path,
) -> None:
    writer = CassetteWriter(tmp_path / "cassette")
    writer.record(request(), image_answer(b"first"))
    writer.record(request(), image_answer(b"second"))
    assert writer.recorded == 1
    assert "1 request got different answers in one session" in " ".join(writer.summary())
    replayed = CassetteReader(tmp_path / "cassette").answer(request())
    assert replayed is not None and json.loads(replayed.body) == json.loads(
        image_answer(b"second").body
    )
