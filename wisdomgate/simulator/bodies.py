"""HTTP bodies of answers (JSON, SSE events, JSON-array streams) and the body-level faults."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from wisdomgate.simulator import errors
from wisdomgate.simulator.faults import FaultSpec
from wisdomgate_api.models import GenerateContentResponse

__all__ = ["ASGIAnswer", "json_answer", "stream_answer"]

SSE_MEDIA_TYPE = "text/event-stream"
JSON_MEDIA_TYPE = "application/json; charset=UTF-8"


class ASGIAnswer(Response):
    """A 200 answer sent piece by piece; abort_after=N closes the connection after N pieces."""

    def __init__(
        self,
        pieces: Sequence[bytes],
        media_type: str,
        *,
        abort_after: int | None = None,
        content_length: int | None = None,
        fault: str | None = None,
    ) -> None:
        super().__init__(status_code=200, media_type=media_type)
        self.pieces = list(pieces)
        self.abort_after = abort_after
        self.content_length = content_length
        self.fault = fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fault:
            scope.setdefault("state", {})["wisdomgate_fault"] = self.fault
        headers = [(b"content-type", (self.media_type or JSON_MEDIA_TYPE).encode())]
        if self.content_length is not None:
            headers.append((b"content-length", str(self.content_length).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index, piece in enumerate(self.pieces):
            if self.abort_after is not None and index >= self.abort_after:
                return  # never finishing the body makes the server drop the connection
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        if self.abort_after is not None:
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def json_answer(
    response: GenerateContentResponse | dict[str, Any], fault: FaultSpec | None
) -> ASGIAnswer:
    """A plain JSON answer; drop / truncate / malformed cut it short."""
    body = _dump(response)
    kind = fault.kind if fault else None
    if kind == "drop":
        # The announced length is the full body, so the client sees the connection die mid-body.
        return ASGIAnswer(
            [body[: len(body) // 2]],
            JSON_MEDIA_TYPE,
            abort_after=1,
            content_length=len(body),
            fault=kind,
        )
    if kind in ("truncate", "malformed"):
        half = body[: len(body) // 2]
        return ASGIAnswer([half], JSON_MEDIA_TYPE, content_length=len(half), fault=kind)
    return ASGIAnswer([body], JSON_MEDIA_TYPE, content_length=len(body))


def stream_answer(
    chunks: list[GenerateContentResponse], *, sse: bool, fault: FaultSpec | None
) -> ASGIAnswer:
    """A streamed answer (SSE events or a JSON array), with a stream fault applied."""
    bodies = [_dump(chunk) for chunk in chunks]
    kind = fault.kind if fault else None
    abort_after = None
    if kind == "drop":
        abort_after = 1
    elif kind == "truncate":
        bodies = bodies[:1] if len(bodies) > 1 else [bodies[0][: len(bodies[0]) // 2]]
    elif kind == "stream-error":
        bodies = [*bodies[:1], _dump(errors.internal().body())]
    elif kind == "malformed":
        bodies = [bodies[0][: len(bodies[0]) // 2], *bodies[1:]]
    pieces = _sse(bodies) if sse else _json_array(bodies, closed=kind != "truncate")
    media_type = SSE_MEDIA_TYPE if sse else JSON_MEDIA_TYPE
    return ASGIAnswer(pieces, media_type, abort_after=abort_after, fault=kind)


def _sse(bodies: list[bytes]) -> list[bytes]:
    return [b"data: " + body + b"\r\n\r\n" for body in bodies]


def _json_array(bodies: list[bytes], *, closed: bool) -> list[bytes]:
    pieces = [(b"[" if index == 0 else b",\r\n") + body for index, body in enumerate(bodies)]
    if closed:
        pieces.append(b"]")
    return pieces


def _dump(value: GenerateContentResponse | dict[str, Any]) -> bytes:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return value.to_json().encode()
