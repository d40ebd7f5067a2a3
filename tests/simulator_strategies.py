"""Hypothesis strategies for hostile requests: odd JSON, near-valid requests, garbage headers.

Odd JSON means random keys (dots, brackets, any Unicode, lone surrogates), deep nesting,
numbers no float holds. Near-valid requests are seed GenerateContentRequests with one or two
mutations (a field removed, retyped, renamed or added). Headers are random names and bytes.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from typing import Any

from hypothesis import strategies as st

from wisdomgate.simulator import SIMULATOR_KEY
from wisdomgate.simulator.errors import SimulatorConfigError
from wisdomgate.simulator.faults import FAULT_HEADER, parse_header

TEXT_MODELS = ("gemini-2.5-flash", "gemini-3-pro-preview")
IMAGE_MODEL = "gemini-3.1-flash-image-preview"
MODELS = (*TEXT_MODELS, IMAGE_MODEL, "gemini-0-unknown", "models", "a.b", "%C3%A9", "%2F")
PNG_1X1 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)

SEEDS: tuple[dict[str, Any], ...] = (
    {"contents": [{"parts": [{"text": "How does AI work?"}]}]},
    {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"text": "hello"}]},
            {"role": "user", "parts": [{"text": "and now?"}]},
        ],
        "generationConfig": {
            "temperature": 0.5,
            "maxOutputTokens": 64,
            "responseMimeType": "application/json",
            "thinkingConfig": {"thinkingBudget": 0},
        },
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    },
    {
        "contents": [
            {"parts": [{"text": "a"}, {"inlineData": {"mimeType": "image/png", "data": PNG_1X1}}]}
        ],
        "tools": [{"google_search": {}}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "1:1", "imageSize": "512"},
        },
    },
    {
        "contents": [{"parts": [{"functionCall": {"name": "f", "args": {"x": [1, {"y": None}]}}}]}],
        "generationConfig": {
            "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}
        },
    },
)

# ---------------------------------------------------------------- odd JSON

# Text with what breaks naive code: separators of paths, any plane, lone surrogates.
_ODD_CHARS = st.sampled_from(
    [".", "[", "]", "[0]", "\\", '"', "\x00", "\ud800", "\udfff", "名", "é"]
)
odd_text = st.lists(st.characters() | _ODD_CHARS, max_size=8).map("".join)
_NUMBERS = (
    st.integers()
    | st.integers(min_value=10**20, max_value=10**60)
    | st.floats(allow_nan=True, allow_infinity=True)
)
_SCALARS = st.none() | st.booleans() | _NUMBERS | odd_text
odd_json = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def deep_json(draw: st.DrawFn) -> bytes:
    """JSON text of an object or array nest around and far beyond the simulator's 100 levels."""
    depth = draw(st.sampled_from([99, 100, 101, 1_000, 50_000]) | st.integers(1, 300))
    key = encode(draw(odd_text))
    opening = draw(st.sampled_from([b"[", b'{"contents": [', b"{" + key + b": "]))
    closing = {b"[": b"]", b'{"contents": [': b"]}"}.get(opening, b"}")
    return b'{"a": ' + opening * depth + encode(draw(_SCALARS)) + closing * depth + b"}"


def encode(value: Any) -> bytes:
    """JSON text of value; lone surrogates as \\u escapes, floats as Python writes them (NaN...)."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


# ---------------------------------------------------------------- near-valid requests


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _mutate(value: Any, path: tuple[Any, ...], op: str, new: Any, name: str) -> Any:
    if not path:
        return new if op == "replace" else value
    *parent_path, last = path
    parent = value
    for step in parent_path:
        parent = parent[step]
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = new
    elif op == "rename" and isinstance(parent, dict):
        parent[name] = parent.pop(last)
    elif op == "add" and isinstance(parent, dict):
        parent[name] = new
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    return value


@st.composite
def near_valid_request(draw: st.DrawFn) -> Any:
    """A seed request with one to three mutations at random places."""
    request: Any = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(request)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["delete", "replace", "rename", "add", "duplicate"]))
        new = draw(odd_json | st.sampled_from(["", 0, -1, 2**31, [], {}, "IMAGE", "model"]))
        request = _mutate(request, path, op, new, draw(odd_text))
    return request


# ---------------------------------------------------------------- headers and queries

_HEADER_NAMES = st.sampled_from(
    [
        "x-goog-api-key",
        "authorization",
        "content-type",
        "content-length",
        "content-encoding",
        "accept",
        "accept-encoding",
        FAULT_HEADER,
    ]
) | st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
# What HTTP/1.1 can carry in a header value: visible ASCII, obs-text, space and tab.
_WIRE_BYTES = st.sampled_from([*range(0x20, 0x7F), *range(0x80, 0x100), 0x09])
wire_header_value = st.lists(_WIRE_BYTES, max_size=24).map(bytes).map(bytes.strip)
_HEADER_VALUES = (
    wire_header_value
    | st.sampled_from([b"Bearer ", b"Bearer \xff", SIMULATOR_KEY.encode() + b"\xff", b"99999999"])
    | st.sampled_from([b"application/json; charset=latin-1", b"text/plain", b"gzip"])
)


def inert_fault_header(value: bytes) -> bool:
    """True when a fault header value injects nothing (garbage is a 400, not a 5xx or a wait)."""
    try:
        return not parse_header(value.decode("latin-1"))
    except SimulatorConfigError:
        return True


def _no_live_fault(headers: list[tuple[bytes, bytes]]) -> bool:
    return all(
        inert_fault_header(value)
        for name, value in headers
        if name.lower() == FAULT_HEADER.encode()
    )


odd_headers = st.lists(st.tuples(_HEADER_NAMES.map(str.encode), _HEADER_VALUES), max_size=4).filter(
    _no_live_fault
)
"""Extra (name, value) headers; they may replace the key, lie about the length, name a fault."""


def quote(text: str) -> str:
    """Percent-encoding of any text, lone surrogates too (as the bytes UTF-8 would give them)."""
    return urllib.parse.quote(text, safe="", errors="surrogatepass")


_QUERY_NAMES = st.sampled_from(["alt", "key", "pageSize", "pageToken", "$fields"]) | odd_text
_QUERY_VALUES = st.sampled_from(["sse", "json", "", "-1", "0", "1e400", SIMULATOR_KEY]) | odd_text
odd_query = st.lists(st.tuples(_QUERY_NAMES, _QUERY_VALUES), max_size=3).map(
    lambda pairs: "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs)
)
"""A percent-encoded query string (it may hold invalid UTF-8 and odd names)."""

# "." and ".." are dot segments: the client removes them (RFC 3986), so the server never sees them.
odd_model = st.sampled_from(MODELS) | odd_text.map(quote).filter(lambda m: m not in (".", ".."))
"""A model path segment: real, unknown or percent-encoded garbage (slashes included)."""
