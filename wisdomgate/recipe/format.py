"""The recipe file, format version 1: its pydantic model and the structural checks.

The model checks the shape of the file (known keys, types). `config`, `system`, `safety` and
`tools` are raw here and validated by the generated API models after templating (a number or an
enum value may come from `{{ var }}`); their JSON Schema is the generated models' own.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    Tag,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from wisdomgate.catalog import load_catalog
from wisdomgate.errors import Issue
from wisdomgate.recipe.api_fields import enum_values, tool_shorthands
from wisdomgate.recipe.issues import ApiShape, pydantic_issues, validate_lenient
from wisdomgate_api.models import (
    Content,
    GenerationConfig,
    HarmBlockThreshold,
    HarmCategory,
    SafetySetting,
    Tool,
)

__all__ = [
    "CURRENT_VERSION",
    "RESERVED_VARIABLES",
    "Expect",
    "FitOptions",
    "FitValue",
    "ImageGlob",
    "Recipe",
    "Turn",
    "parse_recipe",
]

CURRENT_VERSION = 1
RESERVED_VARIABLES = ("name", "run", "turn")  # set by the runner, never by the recipe
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"  # also a folder name under the output dir
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # usable as a Jinja2 name


def _kind(value: Any) -> str | None:
    """Which branch of a text-or-object union a raw value takes (None: neither)."""
    if isinstance(value, str):
        return "~text"
    return "~object" if isinstance(value, dict) else "~list" if isinstance(value, list) else None


def _scalar(value: Any) -> Any:
    if isinstance(value, str | int | float | bool):
        return value
    raise PydanticCustomError(
        "wrong_type",
        "must be a single value (text, number or true/false), not {kind}",
        {"kind": type(value).__name__, "fix": "quote it, or use matrix: for lists of values"},
    )


Scalar = Annotated[str | int | float | bool, BeforeValidator(_scalar)]
ApiObject = dict[str, Any]  # raw; validated by the generated model after templating

SystemField = Annotated[
    Annotated[str, Tag("~text")] | Annotated[ApiObject, ApiShape(Content), Tag("~object")],
    Discriminator(
        _kind,
        custom_error_type="wrong_type",
        custom_error_message="system must be text or a Content object ({parts: [...]})",
    ),
]
# Editors get the valid names from the generated enums and the Tool model (not hand lists).
_SHORTHAND_SAFETY_SCHEMA = {
    "type": "object",
    "propertyNames": {"enum": enum_values(HarmCategory)},
    "additionalProperties": {"type": "string", "enum": enum_values(HarmBlockThreshold)},
}
_TOOL_NAME_SCHEMA = {"type": "string", "enum": sorted(tool_shorthands())}

SafetyField = Annotated[
    Annotated[dict[str, str], Tag("~object"), WithJsonSchema(_SHORTHAND_SAFETY_SCHEMA)]
    | Annotated[list[Annotated[ApiObject, ApiShape(SafetySetting)]], Tag("~list")],
    Discriminator(
        _kind,
        custom_error_type="wrong_type",
        custom_error_message="safety must map CATEGORY: THRESHOLD, or be a list of"
        " {category, threshold} objects",
    ),
]
ToolItem = Annotated[
    Annotated[str, Tag("~text"), WithJsonSchema(_TOOL_NAME_SCHEMA)]
    | Annotated[ApiObject, ApiShape(Tool), Tag("~object")],
    Discriminator(
        _kind,
        custom_error_type="wrong_type",
        custom_error_message="a tool is a name (google_search) or a Tool object",
    ),
]
TextList = Annotated[
    Annotated[str, Tag("~text")] | Annotated[list[str], Tag("~list")],
    Discriminator(
        _kind, custom_error_type="wrong_type", custom_error_message="must be text or a list of text"
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


FIT_MIN, FIT_MAX = 64, 8192  # long sides `fit:` accepts, in pixels


def _fit_kind(value: Any) -> str | None:
    """Which form of `fit:` a raw value is (None: none of them)."""
    if value is False:
        return "~off"
    if value == "auto" or (isinstance(value, int) and not isinstance(value, bool)):
        return "~size"
    return "~object" if isinstance(value, dict) else None


_FIT_FIX = {"fix": "write `fit: auto`, a long side such as `fit: 2048`, or `fit: false`"}


def _fit_size(value: Any) -> Any:
    if value == "auto" or (type(value) is int and FIT_MIN <= value <= FIT_MAX):
        return value
    raise PydanticCustomError(
        "fit_value",
        "fit must be auto or a long side in pixels from {low} to {high}",
        {"low": FIT_MIN, "high": FIT_MAX, **_FIT_FIX},
    )


FitSize = Annotated[
    int | Literal["auto"],
    BeforeValidator(_fit_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": FIT_MIN, "maximum": FIT_MAX},
                {"const": "auto"},
            ]
        }
    ),
]


class FitOptions(_Strict):
    """`fit:` written out: the long side, and how the downsized image is encoded."""

    size: FitSize = Field("auto", description="The long side in pixels, or auto (the default).")
    format: Literal["jpeg", "webp"] | None = Field(
        None, description="jpeg (default) or webp; images with transparency are lossless WebP."
    )  # png is not offered: fitting is for size, and a lossless photo stays large
    quality: Annotated[StrictInt, Field(ge=1, le=100)] | None = Field(
        None, description="Encoder quality, 1-100 (default 85)."
    )


def _fit_form(value: Any) -> Any:
    if _fit_kind(value) is None:
        raise PydanticCustomError(
            "fit_value",
            "fit must be auto, false, a long side in pixels (e.g. 2048) or a mapping of size,"
            " format and quality",
            _FIT_FIX,
        )
    return value


FitValue = Annotated[
    Annotated[FitSize, Tag("~size")]
    | Annotated[Literal[False], Tag("~off")]
    | Annotated[FitOptions, Tag("~object")],
    Discriminator(_fit_kind),
    BeforeValidator(_fit_form),
]


class ImageGlob(_Strict):
    """Reference images matching a glob, relative to the recipe file, sent in sorted order."""

    path: str = Field(description="A glob such as `refs/poses/*.png` (`**` matches folders).")
    fit: FitValue | None = Field(
        None,
        description="Downsize to this long side and re-encode (auto: so that the request fits"
        " the model's limit; false: send the file as it is). Overrides the recipe's fit.",
    )


ImageItem = Annotated[
    Annotated[str, Tag("~text")] | Annotated[ImageGlob, Tag("~object")],
    Discriminator(
        _kind,
        custom_error_type="wrong_type",
        custom_error_message="an image is a path, or {path: <glob>, fit: ...}",
    ),
]


# Strict: pydantic would read `images: true` as 1, but a yes/no is not a count.
Count = Annotated[StrictInt, Field(ge=0)]
PositiveCount = Annotated[StrictInt, Field(gt=0)]


class Expect(_Strict):
    """Checks that decide whether the turn passed; text values may use templates."""

    images: Count | None = Field(None, description="At least this many images.")
    mime_type: str | None = Field(None, description="Every image has this type, e.g. image/png.")
    aspect_ratio: str | None = Field(None, description="Every image within 1% of W:H, e.g. 16:9.")
    size: str | None = Field(None, description="Every image exactly WIDTHxHEIGHT, e.g. 1024x1024.")
    text_contains: TextList | None = Field(None, description="The answer's text contains these.")
    text_matches: str | None = Field(None, description="A regex found in the answer's text.")
    finish_reason: str | None = Field(None, description="The candidate's finishReason, e.g. STOP.")
    grounded: StrictBool | None = Field(None, description="groundingMetadata present (or not).")
    max_total_tokens: PositiveCount | None = Field(None, description="usage totalTokenCount limit.")


class Turn(_Strict):
    """One user turn; it is sent with the whole conversation so far."""

    prompt: str = Field(description="The user's text (a Jinja2 template).")
    images: list[ImageItem] | None = Field(
        None, description="Reference images sent as inlineData: paths or {path: glob}."
    )
    config: Annotated[ApiObject, ApiShape(GenerationConfig)] | None = Field(
        None, description="generationConfig for this turn, deep-merged over the recipe's config."
    )
    expect: Expect | None = Field(None, description="Checks for this turn's answer.")

    @model_validator(mode="before")
    @classmethod
    def _not_bare_text(cls, data: Any) -> Any:
        if isinstance(data, str):  # `- a red apple` instead of `- prompt: a red apple`
            raise PydanticCustomError(
                "wrong_type",
                "a turn is a mapping with a prompt, not bare text",
                {"fix": f"write `- prompt: {data[:40]}`"},
            )
        return data


class Recipe(_Strict):
    """A wisdomgate recipe: one or more generateContent conversations and how to judge them."""

    model_config = ConfigDict(title="wisdomgate recipe")

    version: Literal[1] = Field(description="The recipe format version.")
    name: str | None = Field(
        None, description="Recipe name (default: the file name); used in output paths."
    )
    description: str | None = Field(None, description="What the recipe is for.")
    model: str = Field(
        description="Model id (see `wisdomgate models` / the catalog).",
        examples=load_catalog().names(),
    )
    vars: dict[str, Scalar] | None = Field(
        None, description="Variables for the Jinja2 templates of every text field."
    )
    matrix: dict[str, list[Scalar]] | None = Field(
        None, description="Each combination of these values is one run; values override vars."
    )
    system: SystemField | None = Field(None, description="systemInstruction: text or Content.")
    config: Annotated[ApiObject, ApiShape(GenerationConfig)] | None = Field(
        None, description="generationConfig (camelCase or snake_case keys)."
    )
    safety: SafetyField | None = Field(
        None, description="safetySettings: CATEGORY: THRESHOLD, or the API's list form."
    )
    tools: list[ToolItem] | None = Field(
        None, description="Tool names (google_search, url_context, ...) or Tool objects."
    )
    fit: FitValue | None = Field(
        None,
        description="Default fit of every reference image: auto, a long side in pixels, or"
        " {size, format, quality}.",
    )
    turns: list[Turn] = Field(min_length=1, description="The user turns, in order.")


def parse_recipe(data: Any) -> tuple[Recipe | None, int | None, list[Issue]]:
    """(recipe, version, issues) for a file's data; the recipe is None when it is unusable."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        message = f"a recipe must be a mapping of keys (version, model, turns, ...), not {kind}"
        return None, None, [Issue((), message, "start from the example in docs/recipes.md")]
    version, issues = _check_version(data.get("version"), "version" in data)
    if version is None and "version" in data:
        return None, None, issues  # another format: its other keys mean something else
    recipe, error = validate_lenient(Recipe, {**data, "version": CURRENT_VERSION})
    issues += pydantic_issues(error, Recipe) if error else []
    issues += _check_names(recipe) if recipe is not None else []
    if data.get("matrix") == {}:
        issues.append(Issue(("matrix",), "matrix is empty", "add an axis or remove matrix"))
    if error is not None and any(e["type"] != "extra_forbidden" for e in error.errors()):
        recipe = None  # later checks on a half-read recipe would only add noise
    return recipe, version, issues


def _check_version(value: Any, present: bool) -> tuple[int | None, list[Issue]]:
    if not present:
        fix = f"add `version: {CURRENT_VERSION}` as the first line"
        return None, [Issue(("version",), "missing required key 'version'", fix)]
    if type(value) is int and value == CURRENT_VERSION:
        return value, []
    if type(value) is int and value > CURRENT_VERSION:
        message = f"unknown recipe version {value}; this wisdomgate reads version {CURRENT_VERSION}"
        return None, [Issue(("version",), message, "upgrade wisdomgate")]
    message = f"unknown recipe version {value!r}; the only version is {CURRENT_VERSION}"
    return None, [Issue(("version",), message, f"write `version: {CURRENT_VERSION}`")]


def _check_names(recipe: Recipe) -> list[Issue]:
    issues = []
    if recipe.name is not None and not re.match(NAME_PATTERN, recipe.name):
        message = f"name {recipe.name!r} cannot be used as a folder name"
        fix = "use letters, digits, '.', '_' and '-' (at most 100)"
        issues.append(Issue(("name",), message, fix))
    for section in ("vars", "matrix"):
        for key in getattr(recipe, section) or {}:
            if key in RESERVED_VARIABLES:
                message = f"'{key}' is set by wisdomgate ({', '.join(RESERVED_VARIABLES)})"
                issues.append(Issue((section, key), message, "choose another name", True))
            elif not re.match(VARIABLE_PATTERN, key):
                message = f"variable name '{key}' is not usable in templates"
                fix = "use letters, digits and '_' (not first a digit)"
                issues.append(Issue((section, key), message, fix, True))
    for axis, values in (recipe.matrix or {}).items():
        if not values:
            fix = "give it at least one value or remove it"
            issues.append(Issue(("matrix", axis), f"matrix axis '{axis}' has no values", fix))
        texts = [stringify(v) for v in values]
        for index, text in enumerate(texts):
            if text in texts[:index]:
                message = f"'{text}' appears twice in matrix axis '{axis}'"
                issues.append(Issue(("matrix", axis, index), message, "remove the repeat"))
    return issues


def stringify(value: str | int | float | bool) -> str:
    """A variable's text as templates see it (true/false as in YAML, not True/False)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
