"""No input makes the simulator answer 500: odd names, strings, numbers, nesting, bytes, headers.

Each case gets the 400 (or 403) the real API would give, in a valid google.rpc.Status envelope.
The app runs in-process (starlette's TestClient re-raises any server error, so a 500 fails loud).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.spec_errors import assert_error_envelope
from wisdomgate.simulator import FAULT_HEADER, SIMULATOR_KEY, create_app
from wisdomgate.simulator.request_json import MAX_NESTING

TEXT = "gemini-2.5-flash"
URL = f"/v1beta/models/{TEXT}:generateContent"
OK: dict[str, Any] = {"contents": [{"parts": [{"text": "hello"}]}]}
INVALID_JSON = "Invalid JSON payload received."


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), headers={"x-goog-api-key": SIMULATOR_KEY}) as test_client:
        yield test_client


def _error(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert_error_envelope(body, status)
    error: dict[str, Any] = body["error"]
    return error


def _violations(error: dict[str, Any]) -> list[dict[str, str]]:
    [detail] = error["details"]
    violations: list[dict[str, str]] = detail["fieldViolations"]
    return violations


def _raw(client: TestClient, body: bytes, **headers: str) -> Any:
    return client.post(URL, content=body, headers=headers)


# ---------------------------------------------------------------- field names


@pytest.mark.parametrize("name", ["a[b", "x[y.z", "a.b", "a]b[0]", "é", "名前", "", "$ref"])
def test_unknown_top_level_name_is_named_as_sent(client: TestClient, name: str) -> None:
    error = _error(client.post(URL, json={**OK, name: 1}))
    assert error["message"] == (
        f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
    )


def test_unknown_nested_name_with_dots_keeps_its_parent(client: TestClient) -> None:
    body = {"contents": [{"parts": [{"text": "x", "a.b[3]": 1}]}]}
    [violation] = _violations(_error(client.post(URL, json=body)))
    assert violation["field"] == "contents[0].parts[0]"
    assert 'Unknown name "a.b[3]"' in violation["description"]


def test_unknown_name_under_a_map_key_with_brackets(client: TestClient) -> None:
    schema = {"type": "OBJECT", "properties": {"a[b.c": {"type": "STRING", "bogus": 1}}}
    body = {**OK, "generationConfig": {"responseSchema": schema}}
    [violation] = _violations(_error(client.post(URL, json=body)))
    assert violation["field"] == 'generation_config.response_schema.properties["a[b.c"]'


def test_unknown_enum_under_a_map_key_is_refused(client: TestClient) -> None:
    schema = {"type": "OBJECT", "properties": {"名": {"type": "SMELL"}}}
    body = {**OK, "generationConfig": {"responseSchema": schema}}
    [violation] = _violations(_error(client.post(URL, json=body)))
    assert violation["field"] == 'generation_config.response_schema.properties["名"].type'


def test_bad_value_under_a_map_key_names_the_key(client: TestClient) -> None:
    schema = {"type": "OBJECT", "properties": {"x.y": {"nullable": "maybe"}}}
    body = {**OK, "generationConfig": {"responseSchema": schema}}
    [violation] = _violations(_error(client.post(URL, json=body)))
    assert violation["field"] == 'generation_config.response_schema.properties["x.y"].nullable'


def test_missing_field_names_the_field(client: TestClient) -> None:
    body: dict[str, Any] = {"contents": [{"parts": [{"functionCall": {"args": {}}}]}]}
    error = _error(client.post(URL, json=body))
    assert error["message"] == (
        "* GenerateContentRequest.contents[0].parts[0].function_call.name: name is not specified"
    )


def test_snake_case_input_keeps_snake_case_path(client: TestClient) -> None:
    body = {**OK, "generation_config": {"temperature": "hot"}}
    [violation] = _violations(_error(client.post(URL, json=body)))
    assert violation["field"] == "generation_config.temperature"


def test_union_tags_are_not_part_of_the_path(client: TestClient) -> None:
    body = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": 5}}]}]}
    fields = {v["field"] for v in _violations(_error(client.post(URL, json=body)))}
    assert fields == {"contents[0].parts[0].inline_data.data"}


# ---------------------------------------------------------------- strings and numbers


@pytest.mark.parametrize(
    "body",
    [
        b'{"contents": [{"parts": [{"text": "\\ud800"}]}]}',
        b'{"contents": [{"parts": [{"text": "x"}]}], "\\udfff": 1}',
        b'{"contents": [{"parts": [{"text": "ok \\ude00 \\ud83d"}]}]}',
    ],
    ids=["value", "key", "reversed-pair"],
)
def test_lone_surrogate_is_invalid_json(client: TestClient, body: bytes) -> None:
    error = _error(_raw(client, body))
    assert error["message"].startswith(f"{INVALID_JSON} Invalid \\u escape")


def test_surrogate_pair_is_a_character(client: TestClient) -> None:
    body = b'{"contents": [{"parts": [{"text": "smile \\ud83d\\ude00"}]}]}'
    assert _raw(client, body).status_code == 200


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "9" * 5000])
def test_number_out_of_range_is_invalid_json(client: TestClient, number: str) -> None:
    body = b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"temperature": %s}}'
    error = _error(_raw(client, body % number.encode()))
    assert error["message"].startswith(f"{INVALID_JSON} Number out of range: ")


def test_huge_number_in_an_unknown_field_is_still_refused(client: TestClient) -> None:
    error = _error(_raw(client, b'{"contents": [{"parts": [{"text": "x"}]}], "foo": 1e999}'))
    assert error["message"].startswith(INVALID_JSON)


# ---------------------------------------------------------------- nesting


def _nested(depth: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + close * depth


@pytest.mark.parametrize(
    "body",
    [
        b'{"contents": ' + _nested(100_000) + b"}",
        b'{"a": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
        b'{"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"responseSchema": '
        + b'{"items": ' * (MAX_NESTING + 5)
        + b"{}"
        + b"}" * (MAX_NESTING + 7),
    ],
    ids=["arrays-beyond-recursion-limit", "objects-beyond-recursion-limit", "schema-items"],
)
def test_nesting_too_deep_is_invalid_json(client: TestClient, body: bytes) -> None:
    error = _error(_raw(client, body))
    assert error["message"] == f"{INVALID_JSON} Nesting deeper than {MAX_NESTING} levels."


def test_nesting_at_the_limit_is_read(client: TestClient) -> None:
    # contents -> [ -> { -> parts -> [ -> {: five levels below the top object, plus args below.
    args = '{"a": ' * (MAX_NESTING - 6) + "1" + "}" * (MAX_NESTING - 6)
    body = f'{{"contents": [{{"parts": [{{"functionCall": {{"name": "f", "args": {args}}}}}]}}]}}'
    assert json.loads(body)
    assert _raw(client, body.encode()).status_code == 200


# ---------------------------------------------------------------- bytes and content types


@pytest.mark.parametrize(
    "body",
    [
        b'{"contents": [{"parts": [{"text": "\xe9t\xe9"}]}]}',
        b'\xef\xbb\xbf{"contents": [{"parts": [{"text": "x"}]}]}',
        json.dumps(OK).encode("utf-16"),
        b"\x00\x01\x02",
        b"",
    ],
    ids=["latin-1", "utf-8-bom", "utf-16", "binary", "empty"],
)
def test_body_that_is_not_utf8_json_is_invalid(client: TestClient, body: bytes) -> None:
    assert _error(_raw(client, body))["message"].startswith(INVALID_JSON)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "\x7f", "json"],
)
def test_content_type_other_than_json_is_refused(client: TestClient, content_type: str) -> None:
    response = _raw(client, json.dumps(OK).encode(), **{"content-type": content_type})
    assert _error(response)["message"].startswith(f"{INVALID_JSON} Content-Type ")


@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON; charset=utf-8", "application/x+json"]
)
def test_json_content_types_are_read(client: TestClient, content_type: str) -> None:
    response = _raw(client, json.dumps(OK).encode(), **{"content-type": content_type})
    assert response.status_code == 200


def test_body_without_content_type_is_read_as_json(client: TestClient) -> None:
    assert _raw(client, json.dumps(OK).encode()).status_code == 200


# ---------------------------------------------------------------- ProtoJSON scalars


@pytest.mark.parametrize(
    ("config", "field", "kind"),
    [
        ({"candidateCount": True}, "candidate_count", "TYPE_INT32"),
        ({"candidateCount": 2**31}, "candidate_count", "TYPE_INT32"),
        ({"seed": -(2**31) - 1}, "seed", "TYPE_INT32"),
        ({"maxOutputTokens": "99999999999"}, "max_output_tokens", "TYPE_INT32"),
        ({"temperature": False}, "temperature", "TYPE_FLOAT"),
        ({"responseLogprobs": 0}, "response_logprobs", "TYPE_BOOL"),
        ({"responseSchema": {"maxItems": 2**63}}, "response_schema.max_items", "TYPE_INT64"),
        ({"responseSchema": {"maxItems": "9" * 30}}, "response_schema.max_items", "TYPE_INT64"),
    ],
)
def test_scalar_the_api_refuses_is_invalid_value(
    client: TestClient, config: dict[str, Any], field: str, kind: str
) -> None:
    [violation] = _violations(_error(client.post(URL, json={**OK, "generationConfig": config})))
    assert violation["field"] == f"generation_config.{field}"
    assert violation["description"].startswith(
        f"Invalid value at 'generation_config.{field}' ({kind}), "
    )


@pytest.mark.parametrize(
    "config",
    [
        {"candidateCount": "1"},
        {"candidateCount": 1.0},
        {"seed": 2**31 - 1},
        {"temperature": 1},
        {"temperature": None},
        {"responseSchema": {"type": "ARRAY", "maxItems": "9223372036854775807"}},
    ],
)
def test_scalar_protojson_allows_is_accepted(client: TestClient, config: dict[str, Any]) -> None:
    assert client.post(URL, json={**OK, "generationConfig": config}).status_code == 200


def test_scalar_in_a_map_value_is_checked(client: TestClient) -> None:
    schema = {"type": "OBJECT", "properties": {"a.b": {"type": "ARRAY", "nullable": 1}}}
    [violation] = _violations(
        _error(client.post(URL, json={**OK, "generationConfig": {"responseSchema": schema}}))
    )
    assert violation["field"] == 'generation_config.response_schema.properties["a.b"].nullable'


def test_free_form_struct_numbers_are_not_checked(client: TestClient) -> None:
    part = {"functionCall": {"name": "f", "args": {"n": 2**70, "flag": 0, "x": True}}}
    assert client.post(URL, json={"contents": [{"parts": [part]}]}).status_code == 200


# ---------------------------------------------------------------- headers and query


@pytest.mark.parametrize("key", [b"\xff\xfe", b"key\x7f", b"\xe9\xe9", b" " * 3])
def test_odd_api_key_bytes_are_answered(key: bytes) -> None:
    with TestClient(create_app()) as bare:
        response = bare.post(URL, json=OK, headers=[(b"x-goog-api-key", key)])
    status = 403 if not key.strip() else 400
    _error(response, status)


@pytest.mark.parametrize(
    "fault", [b"\xff", b"429;model=\xe9", b"slow;delay=\xb5", b",,,", b";", b"429;count=1e400"]
)
def test_odd_fault_header_bytes_are_answered(client: TestClient, fault: bytes) -> None:
    response = client.post(URL, json=OK, headers=[(FAULT_HEADER.encode(), fault)])
    assert response.status_code in (200, 400, 429), response.text
    if response.status_code != 200:
        _error(response, response.status_code)


def test_bearer_with_odd_bytes_is_an_invalid_key() -> None:
    with TestClient(create_app()) as bare:
        response = bare.post(URL, json=OK, headers=[(b"authorization", b"Bearer \xff")])
    _error(response, 400)


@pytest.mark.parametrize(
    "query",
    ["pageSize=%ff", "pageSize=1e400", "pageSize=" + "9" * 5000, "pageToken=-5", "pageToken=x"],
)
def test_bad_list_models_query_is_invalid_argument(client: TestClient, query: str) -> None:
    _error(client.get(f"/v1beta/models?{query}"))


@pytest.mark.parametrize("query", ["key=%ff%fe", "alt=sse&alt=json", "%zz=%", "&&&", "alt=json"])
def test_odd_query_strings_are_answered(client: TestClient, query: str) -> None:
    response = client.post(f"/v1beta/models/{TEXT}:streamGenerateContent?{query}", json=OK)
    assert response.status_code == 200


@pytest.mark.parametrize("alt", ["%00", "AAA", "SSE", "", "media"])
def test_alt_other_than_json_or_sse_is_invalid(client: TestClient, alt: str) -> None:
    response = client.post(f"/v1beta/models/{TEXT}:streamGenerateContent?alt={alt}", json=OK)
    [violation] = _violations(_error(response))
    assert violation["field"] == "alt"


@pytest.mark.parametrize("size", ["2147483648", "-2147483649", "1.5", "0x10", "5_0", "\u0663"])
def test_page_size_must_be_an_int32(client: TestClient, size: str) -> None:
    [violation] = _violations(_error(client.get("/v1beta/models", params={"pageSize": size})))
    assert violation["field"] == "page_size"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE"])
def test_method_a_path_lacks_is_not_found(client: TestClient, method: str) -> None:
    error = _error(client.request(method, URL), 404)
    assert (error["status"], error["message"]) == ("NOT_FOUND", "Method not found.")


@pytest.mark.parametrize("length", [b"\xb2", b"\xd9\xa1", b"-1", b"12abc"])
def test_a_content_length_that_is_not_ascii_digits_is_not_a_server_error(length: bytes) -> None:
    # header bytes read as Latin-1: b"\xb2" is "²", whose isdigit() is true while int() raises
    # (found by the property test). ASGITransport raises what the app raises, as the test needs.
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as http:
            headers = [(b"x-goog-api-key", SIMULATOR_KEY.encode()), (b"content-length", length)]
            return await http.send(http.build_request("GET", "/v1beta/models", headers=headers))

    assert asyncio.run(send()).status_code < 500
