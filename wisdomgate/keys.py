"""The one converter between the API's two spellings of a field: camelCase and snake_case.

The API (and our models) accept both `inline_data` and `inlineData`; recipes compare keys in
either spelling, and the simulator prints the proto's snake_case names in its errors.
"""

from __future__ import annotations

import re

__all__ = ["camel_case", "snake_case"]

_SNAKE = re.compile(r"(?<=[A-Za-z0-9])_([A-Za-z0-9])")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel_case(key: str) -> str:
    """snake_case -> camelCase, so `image_config` and `imageConfig` compare equal.

    A leading underscore is kept: `_responseJsonSchema` is a different API field from
    `responseJsonSchema`.
    """
    return _SNAKE.sub(lambda m: m.group(1).upper(), key)


def snake_case(key: str) -> str:
    """camelCase -> snake_case (the proto field name the API prints in its errors)."""
    return _CAMEL.sub(r"_\1", key).lower()
