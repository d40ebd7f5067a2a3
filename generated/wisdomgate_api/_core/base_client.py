# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""The core under Client and AsyncClient: configuration, credentials, request building, retries."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Self, get_args
from urllib.parse import quote

import httpx

from .auth import AsyncKeyTransport, AuthStyle, Credentials, KeyAuth, KeyTransport, clean_key
from .encoding import RequestBody
from .exceptions import APIConnectionError, APIStatusError, WisdomGateError
from .http_clients import (
    CookielessAsyncClient,
    CookielessClient,
    check_injected,
    checked_url,
    env_proxy,
)
from .response import (
    Received,
    aread_body,
    body_error,
    encoding_error,
    http_error,
    read_body,
    status_error,
)
from .retry import RetryPolicy, retry_delay, should_retry
from .timeouts import NotGiven, TimeoutArg, as_timeout

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_TIMEOUT",
    "AsyncAPIClient",
    "AuthStyle",
    "BaseClient",
    "Credentials",
    "RequestOptions",
    "SyncAPIClient",
    "drop_none",
    "path_segment",
]

EventHooks = Mapping[str, list[Callable[..., Any]]]
Hook = Callable[..., Any]

API_KEY_ENV = "WISDOM_GATE_KEY"
BASE_URL_ENV = "WISDOM_GATE_BASE_URL"
# Image generation can take minutes to answer; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
_PARSED_URLS = 256  # a client calls a few paths (one a model and method): a bound, not a tuning

logger = logging.getLogger("wisdomgate_api")


@dataclass(frozen=True)
class RequestOptions:
    """One call before base URL, auth and timeout are added: what _build_request turns into HTTP."""

    method: str
    path: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    content: RequestBody | None = None  # streamed from files when it holds a Base64File
    stream: bool = False


def path_segment(value: str, collection: str) -> str:
    """A path parameter, percent-encoded; `models/x` and `x` both give `x` for collection "models"."""
    name = value.removeprefix(f"{collection}/") if collection else value
    if not name:
        raise ValueError(f"empty path parameter: {value!r}")
    return quote(name, safe="")


def drop_none(params: Mapping[str, str | int | None]) -> dict[str, str | int]:
    """The query parameters that were given."""
    return {name: value for name, value in params.items() if value is not None}


class BaseClient:
    """Configuration shared by the sync and async clients."""

    # Set by the generated Client and AsyncClient from openapi.json: the core knows no spec.
    _default_base_url: ClassVar[str]
    _user_agent: ClassVar[str]

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        auth: AuthStyle,
        timeout: TimeoutArg,
        retry: RetryPolicy | None,
        event_hooks: EventHooks | None,
    ) -> None:
        if auth not in get_args(AuthStyle):
            raise ValueError(f"auth must be one of {get_args(AuthStyle)}, not {auth!r}")
        self._credentials = Credentials(clean_key(api_key or os.environ.get(API_KEY_ENV)), auth)
        self._base_url = checked_url(
            base_url or os.environ.get(BASE_URL_ENV) or self._default_base_url
        )
        self._timeout = as_timeout(timeout)
        self.retry = retry or RetryPolicy()
        # header and bearer: httpx's Auth; query: a KeyTransport, which the subclasses put below.
        # Without a key there is no Auth, so an injected http_client keeps its own.
        keyed = bool(self._credentials.key) and auth != "query"
        self._key_auth = KeyAuth(self._credentials) if keyed else None
        # the caller's event hooks, run by the client (_exchange) on requests without the key:
        # httpx would run them after the Auth, on the copy that carries it
        self._urls: dict[str, httpx.URL] = {}
        self._request_hooks: list[Hook] = list((event_hooks or {}).get("request", []))
        self._response_hooks: list[Hook] = list((event_hooks or {}).get("response", []))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, auth={self.auth!r})"

    @property
    def base_url(self) -> str:
        """The server's URL, without a trailing slash."""
        return self._base_url

    @property
    def auth(self) -> AuthStyle:
        """Where the key goes: "header" (x-goog-api-key), "bearer" or "query" (?key=)."""
        return self._credentials.style

    def _redact(self, text: str) -> str:
        return self._credentials.redact(text)

    def _failure(
        self, exc: httpx.HTTPError | UnicodeEncodeError | OSError, request: httpx.Request | None
    ) -> WisdomGateError:
        if isinstance(exc, UnicodeEncodeError):
            return encoding_error(exc, request)
        if isinstance(exc, httpx.HTTPError):
            return http_error(exc, request, self._redact)
        # a file of the body changed or went away while it was sent: no answer was produced
        message = f"the request body cannot be read: {exc}"
        return APIConnectionError(message, request=request, cause=type(exc).__name__)

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        options: RequestOptions,
        timeout: TimeoutArg | NotGiven,
    ) -> httpx.Request:
        headers = {"user-agent": self._user_agent}
        headers["accept"] = "text/event-stream" if options.stream else "application/json"
        content: Any = None
        if options.content is not None:
            headers["content-type"] = "application/json"
            content = options.content.httpx_content(headers, isinstance(http, httpx.AsyncClient))
        return http.build_request(
            options.method,
            self._url(options.path),
            params=dict(options.params) or None,
            content=content,
            headers=headers,
            timeout=self._timeout if isinstance(timeout, NotGiven) else as_timeout(timeout),
        )

    def _url(self, path: str) -> httpx.URL:
        # Parsed once per path: httpx parses a URL string for each request (~0.05 ms).
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _PARSED_URLS:
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self._base_url + path)
        return url

    def _should_retry(self, error: WisdomGateError, attempt: int) -> bool:
        return should_retry(self.retry, error, attempt)

    def _announce_retry(
        self, error: WisdomGateError, attempt: int, options: RequestOptions
    ) -> float:
        """The delay before the next attempt, logged and told to the policy's on_retry."""
        delay = retry_delay(self.retry, error, attempt)
        if self.retry.on_retry is not None:
            self.retry.on_retry(error, attempt, delay)
        logger.info(
            "%s %s failed (%s); retrying in %.2fs, attempt %d of %d",
            options.method,
            options.path,
            error,
            delay,
            attempt + 1,
            self.retry.max_attempts,
        )
        return delay


class SyncAPIClient(BaseClient):
    """The synchronous core: one httpx.Client, a retry loop, typed errors."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        auth: AuthStyle = "header",
        timeout: TimeoutArg = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        event_hooks: EventHooks | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            retry=retry,
            event_hooks=event_hooks,
        )
        check_injected(http_client, transport, event_hooks, auth)
        self._owns_http = http_client is None
        if http_client is None:
            inner = transport or httpx.HTTPTransport(proxy=env_proxy(self._base_url))
            keyed = KeyTransport(inner, self._credentials) if auth == "query" else inner
            http_client = CookielessClient(transport=keyed)
        self._http = http_client

    def close(self) -> None:
        """Close the connections (an injected http_client is left open)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _send(self, options: RequestOptions, timeout: TimeoutArg | NotGiven) -> Received:
        attempt = 1
        while True:
            try:
                return self._send_once(options, timeout)
            except (APIStatusError, APIConnectionError) as error:
                if not self._should_retry(error, attempt):
                    raise
                self.retry.sleep(self._announce_retry(error, attempt, options))
            attempt += 1

    def _send_once(self, options: RequestOptions, timeout: TimeoutArg | NotGiven) -> Received:
        response = self._receive_head(options, timeout)
        if options.stream and response.is_success:
            return Received(response)  # its Stream reads the body, chunk by chunk
        return self._read_body(response)

    def _receive_head(
        self, options: RequestOptions, timeout: TimeoutArg | NotGiven
    ) -> httpx.Response:
        # up to the status line and headers: a failure here means the server produced no answer
        request: httpx.Request | None = None
        try:
            request = self._build_request(self._http, options, timeout)
            return self._exchange(request)
        except (httpx.HTTPError, UnicodeEncodeError, OSError) as exc:
            failure = self._failure(exc, request)
        raise failure  # outside `except`: the httpx error, which may show the key, is not chained

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        # what httpx.Client.send does with event hooks, but around the Auth instead of after it
        for hook in self._request_hooks:
            hook(request)
        auth = self._key_auth or httpx.USE_CLIENT_DEFAULT
        response = self._http.send(request, auth=auth, stream=True)
        response.request = request  # not the copy the Auth sent: what callers see has no key
        try:
            for hook in self._response_hooks:
                hook(response)
        except BaseException:
            response.close()
            raise
        return response

    def _read_body(self, response: httpx.Response) -> Received:
        # after the status line: a 2xx body lost here is an answer the server made (AnswerLostError)
        try:
            body = read_body(response)
        except httpx.HTTPError as exc:
            failure = body_error(exc, response, self._redact)
        else:
            if response.is_success:
                return Received(response, body)
            failure = status_error(response, self._redact)
        finally:
            response.close()
        raise failure


class AsyncAPIClient(BaseClient):
    """The asynchronous core: one httpx.AsyncClient, a retry loop, typed errors."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        auth: AuthStyle = "header",
        timeout: TimeoutArg = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        event_hooks: EventHooks | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            retry=retry,
            event_hooks=event_hooks,
        )
        check_injected(http_client, transport, event_hooks, auth)
        self._owns_http = http_client is None
        if http_client is None:
            inner = transport or httpx.AsyncHTTPTransport(proxy=env_proxy(self._base_url))
            keyed = AsyncKeyTransport(inner, self._credentials) if auth == "query" else inner
            http_client = CookielessAsyncClient(transport=keyed)
        self._http = http_client

    async def aclose(self) -> None:
        """Close the connections (an injected http_client is left open)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _send(self, options: RequestOptions, timeout: TimeoutArg | NotGiven) -> Received:
        attempt = 1
        while True:
            try:
                return await self._send_once(options, timeout)
            except (APIStatusError, APIConnectionError) as error:
                if not self._should_retry(error, attempt):
                    raise
                await self.retry.async_sleep(self._announce_retry(error, attempt, options))
            attempt += 1

    async def _send_once(self, options: RequestOptions, timeout: TimeoutArg | NotGiven) -> Received:
        response = await self._receive_head(options, timeout)
        if options.stream and response.is_success:
            return Received(response)  # its AsyncStream reads the body, chunk by chunk
        return await self._read_body(response)

    async def _receive_head(
        self, options: RequestOptions, timeout: TimeoutArg | NotGiven
    ) -> httpx.Response:
        # up to the status line and headers: a failure here means the server produced no answer
        request: httpx.Request | None = None
        try:
            request = self._build_request(self._http, options, timeout)
            return await self._exchange(request)
        except (httpx.HTTPError, UnicodeEncodeError, OSError) as exc:
            failure = self._failure(exc, request)
        raise failure  # outside `except`: the httpx error, which may show the key, is not chained

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        # what httpx.AsyncClient.send does with event hooks, but around the Auth instead of after it
        for hook in self._request_hooks:
            await hook(request)
        auth = self._key_auth or httpx.USE_CLIENT_DEFAULT
        response = await self._http.send(request, auth=auth, stream=True)
        response.request = request  # not the copy the Auth sent: what callers see has no key
        try:
            for hook in self._response_hooks:
                await hook(response)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def _read_body(self, response: httpx.Response) -> Received:
        # after the status line: a 2xx body lost here is an answer the server made (AnswerLostError)
        try:
            body = await aread_body(response)
        except httpx.HTTPError as exc:
            failure = body_error(exc, response, self._redact)
        else:
            if response.is_success:
                return Received(response, body)
            failure = status_error(response, self._redact)
        finally:
            await response.aclose()
        raise failure
