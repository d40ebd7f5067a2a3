"""models.list, models.get and countTokens answers, built from the catalog."""

from __future__ import annotations

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
    try:
        size = int(query.get("pageSize", _DEFAULT_PAGE)) or _DEFAULT_PAGE
        start = int(query.get("pageToken") or 0)
        if start < 0:  # a token this server never issued
            raise ValueError(start)
    except ValueError:
        raise errors.invalid_argument("Invalid pageSize or pageToken.") from None
    size = min(max(size, 1), _MAX_PAGE)
    models = catalog.models()
    page = ListModelsResponse(
        models=[Model.model_validate(model_resource(m)) for m in models[start : start + size]]
    )
    if start + size < len(models):
        page.next_page_token = str(start + size)
    return page.to_wire()


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
