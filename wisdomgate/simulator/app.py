"""The simulator's Starlette app: routes, key check, fault injection, request log."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wisdomgate.catalog import ModelInfo
from wisdomgate.simulator import errors, faults
from wisdomgate.simulator.answer import plan_answer
from wisdomgate.simulator.bodies import ASGIAnswer, json_answer, stream_answer
from wisdomgate.simulator.config import SimulatorConfig
from wisdomgate.simulator.connection import ConnectionApp, ResetAnswer, ResetConnection
from wisdomgate.simulator.content_rules import check_part_oneofs
from wisdomgate.simulator.counter import RequestCounter, request_key
from wisdomgate.simulator.errors import ApiError
from wisdomgate.simulator.faults import FaultPlan, FaultState
from wisdomgate.simulator.models_api import count_tokens, list_models, model_resource
from wisdomgate.simulator.pauses import Pauses
from wisdomgate.simulator.request_json import parse_body
from wisdomgate.simulator.responses import (
    ResponseContext,
    build_chunks,
    build_response,
    response_id_for,
)
from wisdomgate.simulator.signatures import Signer
from wisdomgate.simulator.triggers import find_triggers
from wisdomgate.simulator.validation import check_generate_request, check_size, parse_model
from wisdomgate_api.models import CountTokensRequest, GenerateContentRequest

__all__ = ["create_app"]

logger = logging.getLogger("wisdomgate.simulator")

_DEFAULT_LIMIT = 20 * 1024 * 1024
_METHODS = ("generateContent", "streamGenerateContent", "countTokens")
_ALT_VALUES = frozenset({"json", "sse"})


_REFUSALS = {
    # Why a key was refused, for the log line only: the answer keeps the real API's wording.
    "missing": "no API key (send x-goog-api-key, Authorization: Bearer or ?key=)",
    "unknown": "unknown API key (accept it with --api-key KEY, or any with --accept-any-key)",
}


class Simulator:
    """Request handlers sharing one configuration and its state (fault counters)."""

    def __init__(
        self,
        config: SimulatorConfig,
        counter: RequestCounter | None = None,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.config = config
        self.catalog = config.model_catalog()
        self.signer = Signer(config.seed)
        self.fault_state = FaultState(config.seed)
        self.counter = counter
        self.pauses = Pauses(stopping)

    async def models(self, request: Request) -> Response:
        """GET /v1beta/models."""
        await self._prelude(request, model="", streaming=False, limit=_DEFAULT_LIMIT)
        page = list_models(self.catalog, request.query_params)
        return JSONResponse(page)

    async def model(self, request: Request) -> Response:
        """GET /v1beta/models/{model} and POST /v1beta/models/{model}:{method}."""
        name, _, method = request.path_params["name"].partition(":")
        if request.method == "GET" and not method:
            await self._prelude(request, model=name, streaming=False, limit=_DEFAULT_LIMIT)
            info = self.catalog.get(name)
            if info is None:
                raise errors.model_not_found(name, "getModel")
            return JSONResponse(model_resource(info))
        if request.method != "POST" or method not in _METHODS:
            raise HTTPException(404)
        streaming = method == "streamGenerateContent"
        info = self.catalog.get(name)
        limit = info.max_request_bytes if info else _DEFAULT_LIMIT
        plan, body = await self._prelude(request, model=name, streaming=streaming, limit=limit)
        if method == "countTokens":
            return await self._count_tokens(request, body, name, info)
        return await self._generate(request, body, name, info, plan, streaming)

    async def _prelude(
        self, request: Request, *, model: str, streaming: bool, limit: int
    ) -> tuple[FaultPlan, bytes]:
        """Key check, body within the size limit, counting, latency, reset and error faults."""
        self._authenticate(request)
        _check_alt(request.query_params.getlist("alt"))
        specs = faults.header_faults(request.headers.get(faults.FAULT_HEADER))
        body = await _read_body(request, limit)
        key = request_key(
            request.method, request.url.path, request.query_params.multi_items(), body
        )
        if self.counter is not None:
            self.counter.record(key)
        plan = self.fault_state.plan(
            specs + self.config.fault_specs, request_hash=key, model=model, streaming=streaming
        )
        delay = self.config.latency + plan.delay
        if delay:
            await self._pause(delay)
        if plan.reset is not None:
            request.state.wisdomgate_fault = "reset"
            raise ResetConnection
        if plan.error is not None:
            request.state.wisdomgate_fault = plan.error.kind
            raise plan.error.error(model or "models")
        return plan, body

    def _authenticate(self, request: Request) -> None:
        key = _presented_key(request)
        if not key:
            request.state.wisdomgate_refused = "missing"
            raise errors.missing_key()
        if not self.config.key_is_valid(key):
            request.state.wisdomgate_refused = "unknown"
            raise errors.api_key_invalid()

    async def _pause(self, seconds: float) -> None:
        """Wait (latency, slow faults, [[slow:S]]); a 503 at once if the server starts stopping.

        A stop then waits for no request's delay: `serve` ends within a second of a signal.
        """
        if not await self.pauses.pause(seconds):
            raise errors.shutting_down()

    async def _generate(
        self,
        request: Request,
        body: bytes,
        name: str,
        info: ModelInfo | None,
        plan: FaultPlan,
        streaming: bool,
    ) -> ASGIAnswer:
        parsed_json = parse_body(body, request.headers.get("content-type"))
        gcr = parse_model(GenerateContentRequest, parsed_json, "GenerateContentRequest")
        check_part_oneofs(parsed_json)
        if info is None:
            raise errors.model_not_found(name, "generateContent")
        request_hash = hashlib.sha256(f"{info.name}|{gcr.to_json()}".encode()).hexdigest()
        parsed = check_generate_request(
            gcr, info, self.signer, request_hash, harm_categories=self.catalog.harm_categories
        )
        slow = find_triggers(parsed.last_user_text).slow
        if slow:
            await self._pause(slow)
        if parsed.wants_image:  # drawing a PNG takes a while: not on the loop
            answer = await run_in_threadpool(plan_answer, parsed)
        else:
            answer = plan_answer(parsed)
        ctx = ResponseContext(
            req=parsed,
            answer=answer,
            response_id=response_id_for(request_hash, self.config.seed),
            signer=self.signer,
        )
        if streaming:
            sse = request.query_params.get("alt") == "sse"
            return stream_answer(build_chunks(ctx), sse=sse, fault=plan.body)
        return json_answer(build_response(ctx), plan.body)

    async def _count_tokens(
        self, request: Request, body: bytes, name: str, info: ModelInfo | None
    ) -> Response:
        parsed_json = parse_body(body, request.headers.get("content-type"))
        counted = parse_model(CountTokensRequest, parsed_json, "CountTokensRequest")
        check_part_oneofs(parsed_json, "CountTokensRequest")
        if info is None:
            raise errors.model_not_found(name, "countTokens")
        return JSONResponse(count_tokens(counted, info))


def create_app(
    config: SimulatorConfig | None = None,
    *,
    counter: RequestCounter | None = None,
    stopping: asyncio.Event | None = None,
) -> Starlette:
    """The simulator as an ASGI app (serve it with uvicorn, or use run_simulator).

    `counter`, when given, counts every request the app reads (see RequestCounter).
    `stopping`, when given and set, ends the requests waiting out a delay with a 503.
    """
    simulator = Simulator(config or SimulatorConfig(), counter, stopping)
    app = ConnectionApp(
        routes=[
            Route("/v1beta/models", simulator.models, methods=["GET"]),
            Route("/v1beta/models/{name}", simulator.model, methods=["GET", "POST"]),
        ],
        exception_handlers={
            ResetConnection: _reset,
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )
    app.router.redirect_slashes = False  # the API answers 404 for /models/, not a redirect
    app.add_middleware(_RequestLog)
    return app


async def _reset(request: Request, exc: Exception) -> Response:
    return ResetAnswer()


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.code, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Google answers a method a path does not have as an unknown method: 404, never 405.
    not_found = exc.status_code in (404, 405)
    status = "NOT_FOUND" if not_found else "INVALID_ARGUMENT"
    message = "Method not found." if not_found else str(exc.detail)
    error = ApiError(404 if not_found else exc.status_code, status, message)
    return JSONResponse(error.body(), status_code=error.code)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    logger.exception("simulator bug while answering %s", request.url.path)
    error = errors.internal()
    return JSONResponse(error.body(), status_code=error.code)


def _check_alt(values: list[str]) -> None:
    """`alt` is json (the default) or sse; the API refuses any other value."""
    for value in values:
        if value not in _ALT_VALUES:
            shown = json.dumps(value[:40], ensure_ascii=False)
            text = f"Invalid value at 'alt' (enum), {shown}: expected one of json, sse."  # simulator wording
            raise errors.bad_request([("alt", text)])


def _presented_key(request: Request) -> str | None:
    """The first non-empty key from x-goog-api-key, Authorization: Bearer, or ?key=."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    candidates = (request.headers.get("x-goog-api-key"), bearer, request.query_params.get("key"))
    return next((key.strip() for key in candidates if key and key.strip()), None)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body; 400 as soon as it is announced or grows larger than limit bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit():  # "²".isdigit() is true too
        check_size(int(declared), limit)  # refused before anything is read
    # A chunked body announces no size, so count while reading: never hold more than the limit.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        check_size(len(body), limit)
    return bytes(body)


class _RequestLog:
    """One log line per request: method, path (never the query: it may hold ?key=), model, status,
    ms, and why a key was refused (never the key, not even part of it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": "-"}  # stays "-" when nothing was answered (reset)

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            path: str = scope["path"]
            model = path.rsplit("/", 1)[-1].partition(":")[0] if "/models/" in path else "-"
            state = scope.get("state", {})
            fault = state.get("wisdomgate_fault")
            refused = state.get("wisdomgate_refused")
            logger.info(
                "%s %s model=%s status=%s %.1fms%s%s",
                scope["method"],
                path,
                model,
                status["code"],
                (time.perf_counter() - started) * 1000,
                f" fault={fault}" if fault else "",
                f" refused: {_REFUSALS[refused]}" if refused else "",
            )
