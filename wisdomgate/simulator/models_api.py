"""models.list, models.get and countTokens answers, built from the catalog."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from wisdomgate.catalog import Catalog, ModelInfo
from wisdomgate.simulator import errors
from wisdomgate.simulator.request_view import text_tokens
from wisdomgate.simulator.validation import decode_blobs
from wisdomgate_api.models import (
    Content,
    CountTokensRequest,
    CountTokensResponse,
    ListModelsResponse,
    Modality,
    ModalityTokenCount,
    Model,
)

__all__ = ["count_tokens", "list_models", "model_resource"]

_DEFAULT_PAGE = 50
_MAX_PAGE = 1000
_DECIMAL = re.compile(r"-?[0-9]+")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def model_resource(info: ModelInfo) -> dict[str, Any]:
    """The Model resource of one catalog entry."""
    methods = ["generateContent", "streamGenerateContent", "countTokens"]
    return Model(
        name=f"models/{info.name}",
        base_model_id=info.name,
        version="001",
        display_name=info.display_name,
        description=info.description,
        input_token_limit=info.input_token_limit,
        output_token_limit=info.output_token_limit,
        supported_generation_methods=methods,
        thinking=info.thinking,
        temperature=1.0,
        max_temperature=2.0,
        top_p=0.95,
        top_k=64,
    ).to_wire()


def list_models(catalog: Catalog, query: Mapping[str, str]) -> dict[str, Any]:
    """One page of models (pageSize, pageToken as in the real API)."""
    size = _page_size(query.get("pageSize")) or _DEFAULT_PAGE
    start = _page_start(query.get("pageToken"))
    size = min(max(size, 1), _MAX_PAGE)
    models = catalog.models()
    page = ListModelsResponse(
        models=[Model.model_validate(model_resource(m)) for m in models[start : start + size]]
    )
    if start + size < len(models):
        page.next_page_token = str(start + size)
    return page.to_wire()


def _page_size(text: str | None) -> int:
    """pageSize as the int32 query parameter it is: decimal digits within range, else 400."""
    if text is None or text == "":
        return 0
    # len first: int() refuses thousands of digits with a ValueError of its own
    if len(text) > 11 or not _DECIMAL.fullmatch(text) or not _INT32_MIN <= int(text) <= _INT32_MAX:
        shown = json.dumps(text[:40], ensure_ascii=False)
        raise errors.bad_request(
            [("page_size", f"Invalid value at 'page_size' (TYPE_INT32), {shown}")]
        )
    return int(text)


def _page_start(token: str | None) -> int:
    """The offset a nextPageToken of ours encodes; 400 for a token this server never issued."""
    if not token:
        return 0
    if not token.isascii() or not token.isdigit() or len(token) > 9:
        raise errors.invalid_argument("Invalid page token.")  # simulator wording
    return int(token)


def count_tokens(request: CountTokensRequest, info: ModelInfo) -> dict[str, Any]:
    """totalTokens with the same estimate generateContent reports as promptTokenCount."""
    contents: list[Content] = list(request.contents or [])
    if request.generate_content_request is not None:
        inner = request.generate_content_request
        contents = list(inner.contents)
        if inner.system_instruction is not None:
            contents.insert(0, inner.system_instruction)
    text = "\n".join(
        "".join(part.text or "" for part in content.parts or []) for content in contents
    )
    images = sum(1 for blob in decode_blobs(contents) if blob.is_image)
    text_count, image_count = text_tokens(text), images * info.input_image_tokens
    details = [ModalityTokenCount(modality=Modality.TEXT, token_count=text_count)]
    if image_count:
        details.append(ModalityTokenCount(modality=Modality.IMAGE, token_count=image_count))
    return CountTokensResponse(
        total_tokens=text_count + image_count, prompt_tokens_details=details
    ).to_wire()
