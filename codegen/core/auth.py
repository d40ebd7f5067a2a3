# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""The API key: checked once, added where no hook, log line or repr sees it, redacted from text.

The header and bearer styles go through httpx's own mechanism, `KeyAuth` (an httpx.Auth). httpx
runs an Auth before its event hooks, so the client runs the caller's hooks itself, on the request
it built, which never carries the key (base_client.py). The query style cannot be an Auth: httpx
logs every request's URL ("HTTP Request: POST https://...?key=..."), after the Auth and above the
transport, so `KeyTransport` adds `?key=` below that log line.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from urllib.parse import quote, quote_plus

import httpx

__all__ = [
    "AsyncKeyTransport",
    "AuthStyle",
    "Credentials",
    "KeyAuth",
    "KeyTransport",
    "Redactor",
    "clean_key",
]

AuthStyle = Literal["header", "bearer", "query"]
_MASK = "***"


def clean_key(raw: str | None) -> str | None:
    """The key without surrounding whitespace; ValueError (never showing it) if not printable ASCII."""
    key = (raw or "").strip()  # a key read from a .env file often ends with "\n" or "\r\n"
    if not key:
        return None
    if not (key.isascii() and key.isprintable()):
        # an HTTP header cannot carry it, and httpx's error would print it: refuse it here
        raise ValueError(
            "the API key contains characters that are not printable ASCII (control characters,"
            " non-ASCII letters); check WISDOM_GATE_KEY or api_key for stray characters"
        )
    return key


@dataclass(frozen=True, repr=False)
class Credentials:
    """The API key and where it goes: the only object that ever holds the key (with its Redactor)."""

    key: str | None
    style: AuthStyle

    def __repr__(self) -> str:
        return f"Credentials(style={self.style!r})"

    def apply(self, request: httpx.Request) -> httpx.Request:
        """A copy of request carrying the key; the original stays key-free for hooks and logs."""
        if not self.key:
            return request
        url, headers = request.url, request.headers.copy()
        if self.style == "query":
            url = url.copy_merge_params({"key": self.key})
        elif self.style == "bearer":
            headers["authorization"] = f"Bearer {self.key}"
        else:
            headers["x-goog-api-key"] = self.key
        return httpx.Request(
            request.method,
            url,
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def redact(self, text: str) -> str:
        """text with the key replaced by ***: as given, URL-encoded, or escaped by repr() or JSON."""
        return self._redactor(text)

    @cached_property
    def _redactor(self) -> Redactor:
        return Redactor(self.key)


class Redactor:
    """Masks secrets as *** in every form a text may spell them: raw, URL-encoded, repr'd, JSON."""

    def __init__(self, *secrets: str | None) -> None:
        forms = {form for secret in secrets if secret for form in _forms(secret)}
        # longest first, so that no form is half masked by a shorter one inside it
        self._forms = sorted(forms, key=lambda form: (-len(form), form))
        self._count = len({secret for secret in secrets if secret})

    def __repr__(self) -> str:
        return f"Redactor({', '.join([_MASK] * self._count)})"

    def __call__(self, text: str) -> str:
        """text with every form of every secret replaced by ***."""
        for form in self._forms:
            text = text.replace(form, _MASK)
        return text


def _forms(secret: str) -> set[str]:
    # every way an error message or a log line can spell it: b'Bearer sk-1\n' is repr()'d.
    # Any text may be a secret here (an environment variable with undecodable bytes holds lone
    # surrogates), so URL-encoding keeps them as os.fsencode would instead of failing.
    forms = {
        secret,
        quote(secret, safe="", errors="surrogateescape"),
        quote_plus(secret, errors="surrogateescape"),
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        repr(secret.encode("latin-1", "backslashreplace"))[2:-1],
        json.dumps(secret)[1:-1],
    }
    return {form for form in forms if form}


class KeyAuth(httpx.Auth):
    """The header and bearer styles as an httpx.Auth: each request is sent as a copy with the key."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"KeyAuth(style={self._credentials.style!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send a copy of request carrying the key."""
        # A copy, not the usual in-place header: the request the client built stays key-free for
        # the caller's event hooks, for errors, and as the response's `request`.
        yield self._credentials.apply(request)


class KeyTransport(httpx.BaseTransport):
    """Adds `?key=` below httpx's logging of each URL (the query style), so no log line shows it."""

    def __init__(self, inner: httpx.BaseTransport, credentials: Credentials) -> None:
        self._inner = inner
        self._credentials = credentials

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send request with the key added."""
        return self._inner.handle_request(self._credentials.apply(request))

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


class AsyncKeyTransport(httpx.AsyncBaseTransport):
    """The async KeyTransport: `?key=` added below httpx's logging."""

    def __init__(self, inner: httpx.AsyncBaseTransport, credentials: Credentials) -> None:
        self._inner = inner
        self._credentials = credentials

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send request with the key added."""
        return await self._inner.handle_async_request(self._credentials.apply(request))

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()
