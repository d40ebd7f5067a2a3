"""The `reset` fault: close the client's connection after the request, before any status line.

An ASGI app cannot do that through `send`: a server answers 500 for an app that returns (or
raises) before `http.response.start`. So the outermost layer of the app (`ConnectionApp`)
keeps the connection's transport, found behind uvicorn's `send` (a bound method of its
RequestResponseCycle, in the h11 and httptools implementations alike), and aborts it when the
route answered with `ResetAnswer`. In-process (an ASGI client, no socket) there is no
transport: the app raises ConnectionResetError instead, which the client sees as the failure.
"""

from __future__ import annotations

import asyncio
from typing import Final, Protocol, runtime_checkable

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["ConnectionApp", "ResetAnswer", "ResetConnection"]

_TRANSPORT: Final = "wisdomgate.transport"
_RESET: Final = "wisdomgate.reset"


@runtime_checkable
class _Abortable(Protocol):
    def abort(self) -> None: ...


class ResetConnection(Exception):
    """Raised by a route to answer with a reset connection (handled by the app, never a 500)."""


class ResetAnswer(Response):
    """The answer to a reset request: nothing is sent; ConnectionApp closes the connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_RESET] = True  # the scope is shared by every layer, up to ConnectionApp


class ConnectionApp(Starlette):
    """Starlette that can close a request's connection without answering (the reset fault)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Taken here, before any middleware wraps send in a function that hides the transport.
        scope[_TRANSPORT] = getattr(getattr(send, "__self__", None), "transport", None)
        await super().__call__(scope, receive, send)
        if scope.get(_RESET):
            await _abort(scope)


async def _abort(scope: Scope) -> None:
    transport = scope.get(_TRANSPORT)
    if not isinstance(transport, _Abortable):
        raise ConnectionResetError("reset fault: the simulator closed the connection")
    transport.abort()
    # connection_lost runs on the next loop iteration; once it has, uvicorn knows the client is
    # gone and neither sends its 500 nor logs "ASGI callable returned without starting response".
    await asyncio.sleep(0)
