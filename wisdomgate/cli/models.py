"""`wisdomgate models`: the model catalog, as recipes may use it (names, ratios, sizes, limits)."""

from __future__ import annotations

from collections.abc import Iterator

from wisdomgate.catalog import Catalog, ModelInfo

__all__ = ["catalog_lines"]


def catalog_lines(catalog: Catalog) -> Iterator[str]:
    """One paragraph per model: its name, kind and what a recipe may ask of it."""
    for model in catalog.models():
        yield f"{model.name}  ({model.kind}) {model.display_name}"
        yield from (f"  {line}" for line in _details(model))
    yield "harm categories (safety:): " + ", ".join(catalog.harm_categories)


def _details(model: ModelInfo) -> Iterator[str]:
    if model.is_image:
        yield f"aspect ratios: {', '.join(model.aspect_ratios)}"
        sizes = ", ".join(
            f"{size} ({model.image_tokens(size)} tokens)" for size in model.image_sizes
        )
        yield f"image sizes: {sizes}; default {model.default_image_size}"
        if model.max_reference_images is not None:
            yield f"reference images: at most {model.max_reference_images}"
    yield (
        f"request at most {model.max_request_bytes // 2**20} MB;"
        f" tokens in {model.input_token_limit}, out {model.output_token_limit}"
    )
    if model.thinking:
        yield "thinking: yes" + ("; thought signatures" if model.thought_signatures else "")
