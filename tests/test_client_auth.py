"""Configuration and credentials: auth styles, env vars, base URL, and the key never leaking."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from wisdomgate_api import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    AnswerLostError,
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    AuthStyle,
    Client,
    Redactor,
    RetryPolicy,
)
from wisdomgate_api._core.auth import KeyAuth
from wisdomgate_api._core.base_client import Credentials
from wisdomgate_api._core.http_clients import env_proxy

KEY = "AIzaSy-secret/key+value=42"
ENCODED_KEY = "AIzaSy-secret%2Fkey%2Bvalue%3D42"
BODY = {"contents": [{"parts": [{"text": "hi"}]}]}
ANSWER: dict[str, list[object]] = {"candidates": []}
STYLES: list[AuthStyle] = ["header", "bearer", "query"]


@pytest.fixture
def recording(sent: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER)

    return httpx.MockTransport(handler)


def _leaks(text: str) -> bool:
    return KEY in text or ENCODED_KEY in text


def _failing_client(auth: AuthStyle, handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    transport = httpx.MockTransport(handler)
    return Client(api_key=KEY, auth=auth, transport=transport, retry=RetryPolicy(max_attempts=1))


# ---------------------------------------------------------------- auth styles


def test_header_auth_sends_x_goog_api_key(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(api_key=KEY, transport=recording) as client:
        client.generate_content("m", BODY)
    assert sent[0].headers["x-goog-api-key"] == KEY
    assert "authorization" not in sent[0].headers and "key" not in sent[0].url.params


def test_bearer_auth_sends_authorization(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(api_key=KEY, auth="bearer", transport=recording) as client:
        client.generate_content("m", BODY)
    assert sent[0].headers["authorization"] == f"Bearer {KEY}"
    assert "x-goog-api-key" not in sent[0].headers


def test_query_auth_sends_the_key_parameter(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(api_key=KEY, auth="query", transport=recording) as client:
        client.stream_generate_content("m", BODY).close()
    assert dict(sent[0].url.params) == {"alt": "sse", "key": KEY}
    assert "x-goog-api-key" not in sent[0].headers


def test_unknown_auth_style_is_refused() -> None:
    with pytest.raises(ValueError, match="auth must be one of"):
        Client(api_key=KEY, auth="cookie")  # type: ignore[arg-type]


def test_key_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    monkeypatch.setenv(API_KEY_ENV, "from-env-key")
    with Client(transport=recording) as client:
        client.generate_content("m", BODY)
    assert sent[0].headers["x-goog-api-key"] == "from-env-key"


def test_key_argument_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    monkeypatch.setenv(API_KEY_ENV, "from-env-key")
    with Client(api_key=KEY, transport=recording) as client:
        client.generate_content("m", BODY)
    assert sent[0].headers["x-goog-api-key"] == KEY


def test_no_key_sends_no_credentials(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(transport=recording) as client:
        client.generate_content("m", BODY)
    assert "x-goog-api-key" not in sent[0].headers


def test_injected_http_client_still_gets_the_key(sent: list[httpx.Request]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        raw = Client(api_key=KEY, http_client=http).with_raw_response.generate_content("m", BODY)
        assert sent[0].headers["x-goog-api-key"] == KEY
        assert "x-goog-api-key" not in raw.http_response.request.headers


def test_closing_the_client_leaves_an_injected_http_client_open() -> None:
    with httpx.Client() as http:
        Client(api_key=KEY, http_client=http).close()
        assert not http.is_closed


def test_http_client_refuses_query_auth() -> None:
    # httpx logs each URL, and the key cannot be added below the logging of a client we don't own
    with httpx.Client() as http, pytest.raises(ValueError, match="auth='query'"):
        Client(api_key=KEY, auth="query", http_client=http)


def test_http_client_excludes_transport(recording: httpx.MockTransport) -> None:
    with httpx.Client() as http, pytest.raises(ValueError, match="http_client"):
        Client(api_key=KEY, http_client=http, transport=recording)


# ---------------------------------------------------------------- base URL


def test_base_url_defaults_to_the_spec_server(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(api_key=KEY, transport=recording) as client:
        client.generate_content("m", BODY)
    assert DEFAULT_BASE_URL == "https://wisdom-gate.juheapi.com"
    assert str(sent[0].url).startswith("https://wisdom-gate.juheapi.com/v1beta/models/m:")


def test_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:8765/")
    with Client(api_key=KEY) as client:
        assert client.base_url == "http://127.0.0.1:8765"


def test_base_url_argument_wins_and_keeps_its_path(
    monkeypatch: pytest.MonkeyPatch, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://ignored")
    with Client(api_key=KEY, base_url="https://api.wisgate.ai/g/", transport=recording) as client:
        client.count_tokens("m", {})
    assert str(sent[0].url) == "https://api.wisgate.ai/g/v1beta/models/m:countTokens"


def test_an_invalid_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url is not a valid URL"):
        Client(api_key=KEY, base_url="http://[::1")


# ---------------------------------------------------------------- the key never leaks


@pytest.mark.parametrize("auth", STYLES)
def test_repr_shows_base_url_and_auth_only(auth: AuthStyle) -> None:
    client = Client(api_key=KEY, auth=auth, base_url="https://example.test")
    assert repr(client) == f"Client(base_url='https://example.test', auth='{auth}')"
    client.close()


def test_credentials_repr_hides_the_key() -> None:
    credentials = Credentials(KEY, "query")
    assert not _leaks(repr(credentials)) and not _leaks(str(credentials))


def test_redact_replaces_raw_and_url_encoded_key() -> None:
    text = Credentials(KEY, "query").redact(f"a {KEY} b ?key={ENCODED_KEY}")
    assert text == "a *** b ?key=***"


@pytest.mark.parametrize("auth", STYLES)
def test_status_error_never_shows_the_key(auth: AuthStyle) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        message = f"API key {KEY} not valid for {request.url}"
        return httpx.Response(400, json={"error": {"code": 400, "message": message}})

    with _failing_client(auth, handler) as client, pytest.raises(APIStatusError) as caught:
        client.generate_content("m", BODY)
    error = caught.value
    assert not _leaks(str(error)) and not _leaks(repr(error)) and not _leaks(error.message)
    assert error.response is not None and not _leaks(repr(error.response.request))
    assert not _leaks(str(dict(error.response.request.headers)))


@pytest.mark.parametrize("auth", STYLES)
def test_connection_error_never_shows_the_key(auth: AuthStyle) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url} with {request.headers}")

    with _failing_client(auth, handler) as client, pytest.raises(APIConnectionError) as caught:
        client.generate_content("m", BODY)
    error = caught.value
    assert not _leaks(str(error)) and not _leaks(repr(error))
    assert error.request is not None and not _leaks(repr(error.request))


@pytest.mark.parametrize("auth", STYLES)
def test_logs_never_show_the_key(auth: AuthStyle, caplog: pytest.LogCaptureFixture) -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json=ANSWER)])
    transport = httpx.MockTransport(lambda request: next(answers))
    caplog.set_level(logging.DEBUG)
    retry = RetryPolicy(sleep=lambda seconds: None)
    with Client(api_key=KEY, auth=auth, transport=transport, retry=retry) as client:
        client.generate_content("m", BODY)
    assert "HTTP Request: POST" in caplog.text and "retrying" in caplog.text
    assert not _leaks(caplog.text)
    assert not any(_leaks(str(record.args)) for record in caplog.records)


@pytest.mark.parametrize("auth", STYLES)
def test_event_hooks_never_see_the_key(
    auth: AuthStyle, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    seen: list[str] = []

    def on_request(request: httpx.Request) -> None:
        seen.append(f"{request.url} {request.headers!r} {dict(request.headers)}")

    def on_response(response: httpx.Response) -> None:
        seen.append(f"{response.request.url} {dict(response.request.headers)}")

    hooks: dict[str, list[Callable[..., Any]]] = {
        "request": [on_request],
        "response": [on_response],
    }
    with Client(api_key=KEY, auth=auth, transport=recording, event_hooks=hooks) as client:
        client.generate_content("m", BODY)
    assert len(seen) == 2 and not any(_leaks(line) for line in seen)
    assert _leaks(f"{sent[0].url} {dict(sent[0].headers)}")  # yet the server did get it


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [("header", "x-goog-api-key", KEY), ("bearer", "authorization", f"Bearer {KEY}")],
)
def test_header_and_bearer_keys_are_added_by_an_httpx_auth_on_a_copy(
    auth: AuthStyle, header: str, value: str
) -> None:
    request = httpx.Request("POST", "https://example.test/v1beta/models/m:generateContent")
    key_auth = KeyAuth(Credentials(KEY, auth))
    sent = next(key_auth.sync_auth_flow(request))
    assert sent.headers[header] == value and header not in request.headers
    assert isinstance(key_auth, httpx.Auth) and not _leaks(repr(key_auth))


def test_a_request_hook_may_change_the_request_and_the_key_is_still_added(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    def tag(request: httpx.Request) -> None:
        request.headers["x-trace"] = "t-1"

    hooks: dict[str, list[Callable[..., Any]]] = {"request": [tag]}
    with Client(api_key=KEY, transport=recording, event_hooks=hooks) as client:
        client.generate_content("m", BODY)
    assert (sent[0].headers["x-trace"], sent[0].headers["x-goog-api-key"]) == ("t-1", KEY)


def test_a_failing_response_hook_closes_the_response() -> None:
    closed: list[bool] = []

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield json.dumps(ANSWER).encode()

        def close(self) -> None:
            closed.append(True)

    def refuse(response: httpx.Response) -> None:
        raise RuntimeError("the hook refuses")

    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=Body()))
    hooks: dict[str, list[Callable[..., Any]]] = {"response": [refuse]}
    client = Client(api_key=KEY, transport=transport, event_hooks=hooks)
    with client, pytest.raises(RuntimeError, match="refuses"):
        client.generate_content("m", BODY)
    assert closed == [True]


@pytest.mark.parametrize("auth", STYLES)
def test_async_event_hooks_never_see_the_key(auth: AuthStyle) -> None:
    seen: list[str] = []
    sent: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=ANSWER)

    async def on_request(request: httpx.Request) -> None:
        seen.append(f"{request.url} {dict(request.headers)}")

    async def on_response(response: httpx.Response) -> None:
        seen.append(f"{response.request.url} {dict(response.request.headers)}")

    async def main() -> None:
        hooks: dict[str, list[Callable[..., Any]]] = {
            "request": [on_request],
            "response": [on_response],
        }
        transport = httpx.MockTransport(handler)
        async with AsyncClient(
            api_key=KEY, auth=auth, transport=transport, event_hooks=hooks
        ) as client:
            await client.generate_content("m", BODY)

    asyncio.run(main())
    assert len(seen) == 2 and not any(_leaks(line) for line in seen)
    assert _leaks(f"{sent[0].url} {dict(sent[0].headers)}")


def test_an_injected_http_client_keeps_its_own_auth_without_a_key(
    monkeypatch: pytest.MonkeyPatch, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    with httpx.Client(transport=recording, auth=("user", "pass")) as http:
        Client(http_client=http).generate_content("m", BODY)
    assert sent[0].headers["authorization"].startswith("Basic ")


def test_the_keys_auth_replaces_an_injected_http_clients_own(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with httpx.Client(transport=recording, auth=("user", "pass")) as http:
        Client(api_key=KEY, auth="bearer", http_client=http).generate_content("m", BODY)
    assert sent[0].headers["authorization"] == f"Bearer {KEY}"


def test_raw_response_request_never_shows_the_key(recording: httpx.MockTransport) -> None:
    with Client(api_key=KEY, auth="query", transport=recording) as client:
        raw = client.with_raw_response.generate_content("m", BODY)
    assert not _leaks(str(raw.http_response.request.url))
    assert not _leaks(str(raw.http_response.url))


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_environment_proxy_is_kept_for_the_base_url(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    assert env_proxy("https://wisdom-gate.juheapi.com") == "http://proxy.test:3128"


def test_no_proxy_is_honoured(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    no_proxy_env.setenv("NO_PROXY", "juheapi.com")
    assert env_proxy("https://wisdom-gate.juheapi.com") is None


# ---------------------------------------------------------------- keys with stray characters

SECRET = "sk-SECRET-7f3a"  # what must never be shown, whatever surrounds it


def _shown(error: BaseException) -> str:
    """Everything an error can show: the formatted traceback, and every chained exception."""
    shown = "".join(traceback.format_exception(error))
    seen: BaseException | None = error
    while seen is not None:
        shown += f"{seen!s} {seen!r} {seen.args!r}"
        seen = seen.__cause__ or seen.__context__
    return shown


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("raw", [f"{SECRET}\r\n", f"{SECRET}\n", f"  {SECRET}\t"])
def test_surrounding_whitespace_is_stripped_from_the_key(
    raw: str, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(api_key=raw, auth="bearer", transport=recording) as client:
        client.generate_content("m", BODY)
    assert sent[0].headers["authorization"] == f"Bearer {SECRET}"


def test_a_key_from_a_dot_env_file_is_stripped(
    monkeypatch: pytest.MonkeyPatch, recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    monkeypatch.setenv(API_KEY_ENV, f"{SECRET}\r\n")
    with Client(transport=recording) as client:
        client.generate_content("m", BODY)
    assert sent[0].headers["x-goog-api-key"] == SECRET


@pytest.mark.parametrize("raw", ["sk-SÉCRET-7f3a", "sk-SECRET\n-7f3a", "sk-SECRET\x00-7f3a"])
def test_a_key_that_is_not_printable_ascii_is_refused_without_showing_it(raw: str) -> None:
    with pytest.raises(ValueError, match="not printable ASCII") as caught:
        Client(api_key=raw)
    assert "SECRET" not in _shown(caught.value) and "SÉCRET" not in _shown(caught.value)


def test_a_whitespace_only_key_means_no_key(
    recording: httpx.MockTransport, sent: list[httpx.Request]
) -> None:
    with Client(api_key=" \n", transport=recording) as client:
        client.generate_content("m", BODY)
    assert "x-goog-api-key" not in sent[0].headers


def test_redact_covers_repr_and_bytes_repr_forms() -> None:
    key = "sk-SECRET\n-é"
    credentials = Credentials(key, "bearer")
    text = f"{key!r} {key!a} {key.encode()!r} {'Bearer ' + key!r} {key.encode('latin-1')!r}"
    assert "SECRET" not in credentials.redact(text)


def test_a_crlf_key_never_shows_in_tracebacks_or_any_log(
    silent_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    # the real stack (httpcore, h11): a "\r\n" left on the key used to be an illegal header
    # whose h11 error, retry log line and __cause__ printed it
    caplog.set_level(logging.DEBUG)
    timeout = httpx.Timeout(0.2)
    retry = RetryPolicy(max_attempts=2, sleep=lambda seconds: None)
    api_key = f"{SECRET}\r\n"
    client = Client(
        api_key=api_key, base_url=silent_server, auth="bearer", timeout=timeout, retry=retry
    )
    with client, pytest.raises(APIConnectionError) as caught:
        client.generate_content("m", BODY)
    assert caught.value.cause == "ReadTimeout"  # the header was legal: the request went out
    assert "httpcore" in caplog.text
    assert SECRET not in _shown(caught.value) and SECRET not in caplog.text


def test_a_non_ascii_key_never_shows_in_tracebacks_or_any_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ValueError) as caught:
        Client(api_key=f"{SECRET}é", auth="bearer")
    assert SECRET not in _shown(caught.value) and SECRET not in caplog.text


@pytest.mark.parametrize("auth", STYLES)
def test_a_normal_key_never_shows_in_tracebacks_or_any_log(
    auth: AuthStyle, caplog: pytest.LogCaptureFixture
) -> None:
    # lower layers that print what they were given, in every form: raw, repr, bytes repr, URL
    def handler(request: httpx.Request) -> httpx.Response:
        shown = f"{request.url} {request.headers.raw!r} {dict(request.headers)!r}"
        if len(attempts) == 0:
            attempts.append(request)
            raise httpx.ConnectError(f"cannot connect: {shown}")
        raise httpx.LocalProtocolError(f"Illegal header value: {shown}")

    attempts: list[httpx.Request] = []
    caplog.set_level(logging.DEBUG)
    retry = RetryPolicy(sleep=lambda seconds: None)
    transport = httpx.MockTransport(handler)
    client = Client(api_key=SECRET, auth=auth, transport=transport, retry=retry)
    with client, pytest.raises(APIConnectionError) as caught:
        client.generate_content("m", BODY)
    assert "retrying" in caplog.text and caught.value.cause == "LocalProtocolError"
    assert SECRET not in _shown(caught.value) and SECRET not in caplog.text
    assert not any(SECRET in str(record.args) for record in caplog.records)


def test_connection_errors_are_not_chained_to_the_httpx_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    retry = RetryPolicy(max_attempts=1)
    client = Client(api_key=SECRET, transport=httpx.MockTransport(handler), retry=retry)
    with client, pytest.raises(APIConnectionError) as caught:
        client.generate_content("m", BODY)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert str(caught.value) == "ConnectError: refused"


@pytest.mark.parametrize("auth", STYLES)
def test_a_lost_answer_never_shows_the_key(auth: AuthStyle) -> None:
    # the body's failure may print what the lower layers were given, in every form
    class CutBody(httpx.SyncByteStream):
        def __init__(self, request: httpx.Request) -> None:
            self.shown = f"{request.url} {request.headers.raw!r} {dict(request.headers)!r}"

        def __iter__(self) -> Iterator[bytes]:
            yield b'{"candidates": '
            raise httpx.RemoteProtocolError(f"peer closed connection: {self.shown}")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=CutBody(request))

    transport = httpx.MockTransport(handler)
    client = Client(api_key=SECRET, auth=auth, transport=transport, retry=RetryPolicy())
    with client, pytest.raises(AnswerLostError) as caught:
        client.generate_content("m", BODY)
    assert "peer closed connection" in str(caught.value)
    assert SECRET not in _shown(caught.value) and SECRET not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# ---------------------------------------------------------------- the one Redactor

TRICKY = 'SECRET/+ é\n"'  # every encoding spells it differently

ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": str,
    "url-encoded": lambda secret: quote(secret, safe=""),
    "quote_plus": quote_plus,
    "repr": repr,
    "ascii": ascii,
    "utf-8 bytes repr": lambda secret: repr(secret.encode("utf-8")),
    "latin-1 bytes repr": lambda secret: repr(secret.encode("latin-1")),
    "json": json.dumps,
}


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_redactor_masks_every_encoding_of_a_secret(encode: Callable[[str], str]) -> None:
    shown = Redactor(TRICKY)(f"before {encode(TRICKY)} after")
    assert "SECRET" not in shown and "***" in shown


def test_redactor_masks_short_secrets() -> None:
    assert Redactor("ab")("a ab cab") == "a *** c***"


def test_redactor_masks_every_secret_it_was_given() -> None:
    assert Redactor("first-secret", "second-secret")("first-secret, second-secret") == "***, ***"


def test_redactor_masks_a_secret_that_contains_another_whole() -> None:
    assert Redactor("key-1", "key-1-long")("key-1-long") == "***"


def test_redactor_ignores_missing_and_empty_secrets() -> None:
    assert Redactor(None, "")("nothing to hide") == "nothing to hide"


def test_redactor_repr_never_shows_a_secret() -> None:
    assert repr(Redactor(SECRET, "ab")) == "Redactor(***, ***)"


def test_credentials_redact_with_the_redactor_of_their_key() -> None:
    text = f"{TRICKY!r} {quote(TRICKY, safe='')} {json.dumps(TRICKY)}"
    assert Credentials(TRICKY, "bearer").redact(text) == Redactor(TRICKY)(text)


def test_the_redactor_takes_any_text_as_a_secret() -> None:
    # os.environ holds undecodable bytes as lone surrogates; masking them must not fail
    secret = "sk-\udcff-0123456789"
    assert Redactor(secret)(f"key {secret} and {quote(secret, errors='surrogateescape')}") == (
        "key *** and ***"
    )
