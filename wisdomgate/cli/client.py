"""The API client `run` uses: its transport, connection pool, retry policy and timeouts."""

from __future__ import annotations

import dataclasses
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from wisdomgate.run import KeepAliveTransport, ProgressObserver, observed_retries
from wisdomgate_api import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, AsyncClient, RetryPolicy

__all__ = ["DEFAULT_CONNECTIONS", "open_client", "retry_policy", "timeout_of"]

DEFAULT_CONNECTIONS = 100  # as httpx's default pool; more when --concurrency asks for more


def open_client(
    api_key: str,
    base_url: str | None,
    timeout: httpx.Timeout,
    retry: RetryPolicy,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    connections: int = DEFAULT_CONNECTIONS,
    event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
    observer: ProgressObserver | None = None,
) -> AsyncClient:
    """The API client `run` uses (a function so that tests can wrap it).

    transport: a cassette's record or replay transport, in place of the network. Otherwise
    KeepAliveTransport (httpcore's pool is the limit of a wide batch: see
    wisdomgate.run.transport), with a connection for each run in flight; httpx's own when a
    proxy is configured, which KeepAliveTransport does not speak. event_hooks: httpx's (tests
    record the bodies sent with them). observer: told of every retry (progress); retries are
    counted for the manifest either way.
    """
    url = base_url or DEFAULT_BASE_URL
    retry = observed_retries(retry, observer)
    if transport is None and not _proxied(url):
        transport = KeepAliveTransport(max_connections=connections)
    return AsyncClient(
        api_key=api_key,
        base_url=base_url,
        auth="header",
        timeout=timeout,
        retry=retry,
        transport=transport,
        event_hooks=event_hooks,
    )


def _proxied(url: str) -> bool:
    """True when the environment names a proxy for url (as httpx reads it: *_PROXY, NO_PROXY)."""
    host = httpx.URL(url).host
    if urllib.request.proxy_bypass(host):
        return False
    proxies = urllib.request.getproxies()
    return bool(proxies.get(httpx.URL(url).scheme) or proxies.get("all"))


def retry_policy(max_attempts: int, retry_lost_answers: bool) -> RetryPolicy:
    """The client's default retry policy with --max-attempts and --retry-lost-answers."""
    return dataclasses.replace(
        RetryPolicy(), max_attempts=max_attempts, retry_lost_answers=retry_lost_answers
    )


def timeout_of(seconds: float | None) -> httpx.Timeout:
    """--timeout as httpx's: the client's default when unset; connecting never waits longer."""
    if seconds is None:
        return DEFAULT_TIMEOUT
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_TIMEOUT.connect or seconds))
