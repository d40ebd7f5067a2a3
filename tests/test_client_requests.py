"""The generated Client builds the right requests: paths, bodies (dict or model), exact bytes, raw access."""

from __future__ import annotations

import asyncio
import json
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from codegen.operations import operations_of
from tests.schema_strategies import SPEC
from wisdomgate_api import (
    NOT_GIVEN,
    APIResponse,
    APIResponseValidationError,
    AsyncClient,
    AsyncClientWithRawResponse,
    Client,
    ClientWithRawResponse,
    NotGiven,
    RetryPolicy,
    Stream,
    models,
)
from wisdomgate_api._core.encoding import encode_body

KEY = "test-key-123"
BODY = {"contents": [{"role": "user", "parts": [{"text": "How does AI work?"}]}]}
ANSWER = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "Well."}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 7},
}
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def client(sent: list[httpx.Request]) -> Iterator[Client]:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.endswith(":countTokens"):
            return httpx.Response(200, json={"totalTokens": 5})
        if request.url.path.endswith("/v1beta/models"):
            return httpx.Response(200, json={"models": [{"name": "models/m"}]})
        if request.method == "GET":
            return httpx.Response(200, json={"name": "models/m", "displayName": "M"})
        return httpx.Response(200, json=ANSWER, headers={"x-request-id": "req-1"})

    with Client(api_key=KEY, transport=httpx.MockTransport(handler), retry=RetryPolicy()) as c:
        yield c


def test_generate_content_returns_the_typed_response(client: Client) -> None:
    response = client.generate_content("gemini-3-pro-image-preview", BODY)
    assert isinstance(response, models.GenerateContentResponse)
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == models.FinishReason.STOP


def test_generate_content_posts_to_the_model_path(
    client: Client, sent: list[httpx.Request]
) -> None:
    client.generate_content("gemini-3-pro-image-preview", BODY)
    assert sent[0].method == "POST"
    assert sent[0].url.path == "/v1beta/models/gemini-3-pro-image-preview:generateContent"


def test_model_accepts_the_models_prefix(client: Client, sent: list[httpx.Request]) -> None:
    client.generate_content("models/gemini-2.5-flash-image", BODY)
    client.generate_content("gemini-2.5-flash-image", BODY)
    assert sent[0].url == sent[1].url


def test_empty_model_is_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="empty path parameter"):
        client.generate_content("models/", BODY)


def test_dict_body_and_model_body_send_the_same_bytes(
    client: Client, sent: list[httpx.Request]
) -> None:
    client.generate_content("m", BODY)
    client.generate_content("m", models.GenerateContentRequest.model_validate(BODY))
    assert sent[0].content == sent[1].content


def test_the_client_sends_exactly_encode_body(client: Client, sent: list[httpx.Request]) -> None:
    body = models.GenerateContentRequest.model_validate(
        {**BODY, "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}
    )
    client.generate_content("m", body)
    assert sent[0].content == encode_body(body)


def test_encode_body_is_compact_camel_case_and_only_set_fields() -> None:
    body = models.GenerateContentRequest.model_validate(
        {"contents": [{"parts": [{"inline_data": {"mime_type": "image/png", "data": "AA=="}}]}]}
    )
    assert encode_body(body) == (
        b'{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}]}'
    )


def test_snake_case_dict_body_is_sent_camel_case(client: Client, sent: list[httpx.Request]) -> None:
    client.generate_content("m", {"contents": [], "generation_config": {"temperature": 0.5}})
    assert json.loads(sent[0].content) == {"contents": [], "generationConfig": {"temperature": 0.5}}


def test_body_of_the_wrong_model_is_refused(client: Client) -> None:
    with pytest.raises(TypeError, match="GenerateContentRequest"):
        # the wrong model on purpose: the client must refuse it at run time too
        client.generate_content("m", models.CountTokensRequest())  # type: ignore[arg-type]


def test_invalid_dict_body_raises_a_validation_error(client: Client) -> None:
    with pytest.raises(ValidationError):
        client.generate_content("m", {"contents": "not a list"})


def test_json_headers_are_sent(client: Client, sent: list[httpx.Request]) -> None:
    client.generate_content("m", BODY)
    assert sent[0].headers["content-type"] == "application/json"
    assert sent[0].headers["accept"] == "application/json"


def test_count_tokens(client: Client, sent: list[httpx.Request]) -> None:
    result = client.count_tokens("m", {"contents": BODY["contents"]})
    assert result.total_tokens == 5
    assert sent[0].url.path == "/v1beta/models/m:countTokens"


def test_get_model_sends_no_body(client: Client, sent: list[httpx.Request]) -> None:
    result = client.get_model("models/m")
    assert result.display_name == "M"
    assert (sent[0].method, sent[0].url.path, sent[0].content) == ("GET", "/v1beta/models/m", b"")


def test_list_models_sends_the_given_query_parameters(
    client: Client, sent: list[httpx.Request]
) -> None:
    client.list_models(page_size=3, page_token="next")
    assert dict(sent[0].url.params) == {"pageSize": "3", "pageToken": "next"}


def test_list_models_leaves_out_unset_query_parameters(
    client: Client, sent: list[httpx.Request]
) -> None:
    result = client.list_models()
    assert sent[0].url.query == b""
    assert result.models is not None and result.models[0].name == "models/m"


def test_default_timeout_is_long_to_read_and_short_to_connect(
    client: Client, sent: list[httpx.Request]
) -> None:
    client.generate_content("m", BODY)
    assert sent[0].extensions["timeout"] == {
        "connect": 10.0,
        "read": 600.0,
        "write": 600.0,
        "pool": 600.0,
    }


def test_timeout_can_be_set_per_call(client: Client, sent: list[httpx.Request]) -> None:
    client.generate_content("m", BODY, timeout=httpx.Timeout(5.0))
    assert sent[0].extensions["timeout"]["read"] == 5.0


NO_TIMEOUT = {"connect": None, "read": None, "write": None, "pool": None}


def _timeout_sent(client_timeout: float | httpx.Timeout | None, **call: Any) -> dict[str, Any]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER)

    transport = httpx.MockTransport(handler)
    with Client(api_key=KEY, transport=transport, timeout=client_timeout) as client:
        client.generate_content("m", BODY, **call)
    found: dict[str, Any] = sent[0].extensions["timeout"]
    return found


def test_a_per_call_timeout_of_none_means_no_timeout_as_in_httpx() -> None:
    assert _timeout_sent(3.0, timeout=None) == NO_TIMEOUT


def test_a_per_call_timeout_left_out_or_not_given_is_the_clients() -> None:
    assert _timeout_sent(3.0) == dict.fromkeys(NO_TIMEOUT, 3.0)
    assert _timeout_sent(3.0, timeout=NOT_GIVEN) == dict.fromkeys(NO_TIMEOUT, 3.0)


def test_a_per_call_number_is_every_phase() -> None:
    assert _timeout_sent(3.0, timeout=7.5) == dict.fromkeys(NO_TIMEOUT, 7.5)


def test_a_client_timeout_of_none_means_no_timeout() -> None:
    assert _timeout_sent(None) == NO_TIMEOUT
    assert _timeout_sent(None, timeout=2.0) == dict.fromkeys(NO_TIMEOUT, 2.0)


def test_an_async_per_call_timeout_of_none_means_no_timeout() -> None:
    sent: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER)

    async def main() -> None:
        transport = httpx.MockTransport(handler)
        async with AsyncClient(api_key=KEY, transport=transport, timeout=3.0) as client:
            await client.generate_content("m", BODY, timeout=None)
            await client.generate_content("m", BODY)

    asyncio.run(main())
    assert [r.extensions["timeout"] for r in sent] == [NO_TIMEOUT, dict.fromkeys(NO_TIMEOUT, 3.0)]


def test_not_given_is_one_value_that_pickles_as_itself() -> None:
    assert pickle.loads(pickle.dumps(NOT_GIVEN)) is NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN" and isinstance(NOT_GIVEN, NotGiven)


def test_with_raw_response_exposes_status_and_headers(client: Client) -> None:
    raw = client.with_raw_response.generate_content("m", BODY)
    assert isinstance(raw, APIResponse)
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == "req-1"
    assert raw.http_response.json() == ANSWER


def test_with_raw_response_parse_is_typed_and_cached(client: Client) -> None:
    raw = client.with_raw_response.generate_content("m", BODY)
    parsed = raw.parse()
    assert isinstance(parsed, models.GenerateContentResponse)
    assert raw.parse() is parsed


def test_with_raw_response_of_a_stream_parses_to_a_stream() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"data: {}\n\n", headers={"x-request-id": "s-1"})

    with Client(api_key=KEY, transport=httpx.MockTransport(handler)) as client:
        raw = client.with_raw_response.stream_generate_content("m", BODY)
        assert raw.headers["x-request-id"] == "s-1"
        with raw.parse() as stream:
            assert isinstance(stream, Stream)
            assert list(stream) == [models.GenerateContentResponse()]


def test_a_2xx_body_that_does_not_fit_raises_response_validation_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"candidates": "nope"})

    client = Client(api_key=KEY, transport=httpx.MockTransport(handler))
    with client, pytest.raises(APIResponseValidationError) as caught:
        client.generate_content("m", BODY)
    assert caught.value.response is not None and caught.value.response.status_code == 200


def test_a_2xx_body_that_is_not_json_raises_response_validation_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>gateway</html>")

    client = Client(api_key=KEY, transport=httpx.MockTransport(handler))
    with client, pytest.raises(APIResponseValidationError):
        client.generate_content("m", BODY)


@pytest.mark.parametrize(
    "cls", [Client, ClientWithRawResponse, AsyncClient, AsyncClientWithRawResponse]
)
def test_every_spec_operation_has_a_method(cls: type) -> None:
    names = {op.method_name for op in operations_of(SPEC)}
    assert names == {
        "count_tokens",
        "generate_content",
        "get_model",
        "list_models",
        "stream_generate_content",
    }
    assert all(callable(getattr(cls, name, None)) for name in names)


def test_closing_the_client_closes_its_transport() -> None:
    closed: list[bool] = []

    class Transport(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    with Client(api_key=KEY, transport=Transport(lambda r: httpx.Response(200))):
        pass
    assert closed == [True]


def test_a_cookie_set_by_an_answer_is_never_sent_back() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER, headers={"set-cookie": "session=abc; Path=/"})

    with Client(api_key=KEY, transport=httpx.MockTransport(handler)) as c:
        c.generate_content("m", BODY)
        c.generate_content("m", BODY)
    assert [request.headers.get("cookie") for request in sent] == [None, None]


def test_the_async_client_sends_no_cookie_either() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER, headers={"set-cookie": "session=abc; Path=/"})

    async def main() -> None:
        async with AsyncClient(api_key=KEY, transport=httpx.MockTransport(handler)) as c:
            await c.generate_content("m", BODY)
            await c.generate_content("m", BODY)

    asyncio.run(main())
    assert [request.headers.get("cookie") for request in sent] == [None, None]


def test_a_base_url_with_a_path_is_kept_for_every_call() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER)

    transport = httpx.MockTransport(handler)
    with Client(api_key=KEY, base_url="http://proxy.test/gw", transport=transport) as c:
        c.generate_content("a", BODY)
        c.generate_content("b", BODY)
        c.generate_content("a", BODY)
    assert [str(request.url) for request in sent] == [
        "http://proxy.test/gw/v1beta/models/a:generateContent",
        "http://proxy.test/gw/v1beta/models/b:generateContent",
        "http://proxy.test/gw/v1beta/models/a:generateContent",
    ]
