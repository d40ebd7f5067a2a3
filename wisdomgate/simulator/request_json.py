"""A request body read as JSON the way the API's parser reads it, so no body can crash a check.

UTF-8 only, finite numbers only (no NaN, Infinity or 1e400), no lone surrogate escapes
("\\ud800" cannot be encoded again), and at most MAX_NESTING levels of objects and arrays: every
later step (pydantic, the walkers, the answer's JSON) recurses, and a bounded tree keeps each
of them far from Python's recursion limit.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, NoReturn

from wisdomgate.simulator import errors
from wisdomgate.simulator.errors import ApiError

__all__ = ["MAX_NESTING", "parse_body"]

MAX_NESTING: Final = 100
"""Deepest object/array nesting accepted (protobuf's own parsers stop at 100 as well)."""

_PREFIX: Final = "Invalid JSON payload received."
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class _NotFinite(ValueError):
    """A number no float or int holds (NaN, Infinity, 1e400, 5000 digits)."""


def parse_body(body: bytes, content_type: str | None = None) -> dict[str, Any]:
    """The JSON object in a request body; 400 'Invalid JSON payload received' otherwise.

    A body without a Content-Type is read as JSON; one that names another media type (a form,
    text/plain, multipart) is refused, as the API only binds JSON to the request message.
    """
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        shown = json.dumps(media_type[:60], ensure_ascii=False)
        raise _invalid(f"Content-Type {shown} is not application/json.")  # simulator wording
    try:
        data = json.loads(
            body.decode("utf-8"),
            parse_float=_finite_float,
            parse_int=_bounded_int,
            parse_constant=_no_constant,
        )
    except _NotFinite as exc:
        raise _invalid(f"Number out of range: {str(exc)[:40]}.") from None  # simulator wording
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid(f"Unexpected token.\n{_snippet(body, exc)}") from None
    if not isinstance(data, dict):
        raise _invalid("Expected an object key or }.")
    _check_tree(data)
    return data


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(text)
    return value


def _bounded_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        raise _NotFinite(text) from None


def _no_constant(text: str) -> NoReturn:
    raise _NotFinite(text)  # NaN, Infinity, -Infinity: Python extensions, not JSON


def _check_tree(data: dict[str, Any]) -> None:
    """Depth and strings of the whole tree, without recursion (the tree is not checked yet)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list) and depth > MAX_NESTING:
            raise _too_deep()
        if isinstance(node, dict):
            for key, value in node.items():
                _check_text(key)
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    if _SURROGATE.search(text):
        # simulator wording: a lone UTF-16 surrogate is not a character, so UTF-8 cannot hold it
        raise _invalid("Invalid \\u escape: a lone surrogate is not a Unicode character.")


def _too_deep() -> ApiError:
    return _invalid(f"Nesting deeper than {MAX_NESTING} levels.")  # simulator wording


def _invalid(problem: str) -> ApiError:
    return errors.bad_request([(None, f"{_PREFIX} {problem}")])


def _snippet(body: bytes, exc: Exception) -> str:
    position = getattr(exc, "pos", None) or getattr(exc, "start", 0) or 0
    text = body[max(0, position - 30) : position + 10].decode("utf-8", "replace")
    return f"{text}\n^"
