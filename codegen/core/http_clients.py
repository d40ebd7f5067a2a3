# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""The httpx clients the generated clients make for themselves, and checks on one given to them.

They keep no cookies: the API sets none, and reading Set-Cookie costs per answer.
httpx.Client extracts cookies from every response, even one without a Set-Cookie header: it
builds a urllib request and an email message around it for http.cookiejar (about 0.1 ms an
answer, a tenth of a small call's client CPU). The clients the generated client makes for itself
skip that; a client given as `http_client=` is used as it is.
"""

from __future__ import annotations

import urllib.request

import httpx

__all__ = [
    "CookielessAsyncClient",
    "CookielessClient",
    "check_injected",
    "checked_url",
    "env_proxy",
]


class _NoCookies(httpx.Cookies):
    """A cookie store that stays empty: nothing from a response is kept, so nothing is sent."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Keep nothing."""


class _Cookieless:
    """The cookie store of the clients below: always empty, and nothing can be put in it."""

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty."""
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        if cookies:
            raise ValueError("this client keeps no cookies")


class CookielessClient(_Cookieless, httpx.Client):
    """httpx.Client whose cookie store stays empty."""


class CookielessAsyncClient(_Cookieless, httpx.AsyncClient):
    """httpx.AsyncClient whose cookie store stays empty."""


def env_proxy(base_url: str) -> str | None:
    """The proxy the environment names for base_url's host (None: direct)."""
    # Giving httpx a transport turns off its own proxy lookup, so repeat it for the one host we use.
    url = httpx.URL(base_url)
    if bool(urllib.request.proxy_bypass(url.host)):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(url.scheme) or proxies.get("all")


def checked_url(url: str) -> str:
    """url without its trailing slash; ValueError when httpx cannot parse it."""
    # httpx.InvalidURL is no HTTPError and would escape every call: refuse the URL once, here
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"base_url is not a valid URL ({exc})") from None
    return url.rstrip("/")


def check_injected(http_client: object, transport: object, hooks: object, auth: str) -> None:
    """ValueError for options that an injected http_client would silently ignore."""
    if http_client is None:
        return
    if transport is not None or hooks is not None:
        raise ValueError("give transport and event_hooks to your http_client instead")
    # httpx logs every URL: with a client we cannot wrap, ?key= would end up in log lines
    if auth == "query":
        raise ValueError("auth='query' cannot be used with http_client=; pass transport= instead")
