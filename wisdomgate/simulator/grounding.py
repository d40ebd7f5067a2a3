"""Fake google_search grounding: queries, example.com sources, supports and a search chip."""

from __future__ import annotations

import html
import re
from urllib.parse import quote_plus

from wisdomgate.simulator.text import topic_of
from wisdomgate_api.models import (
    GroundingChunk,
    GroundingMetadata,
    GroundingSupport,
    SearchEntryPoint,
    Segment,
    Web,
)

__all__ = ["grounding_for"]

_SITES = ("example.com", "example.org", "example.net")


def grounding_for(prompt: str, answer: str | None) -> GroundingMetadata:
    """groundingMetadata shaped like the real one, pointing only at example.* domains."""
    query = topic_of(prompt, 60).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", query).strip("-")[:40] or "query"
    chunks = [
        GroundingChunk(web=Web(uri=f"https://{site}/wisdomgate-sim/{slug}", title=site))
        for site in _SITES
    ]
    metadata = GroundingMetadata(
        web_search_queries=[query],
        grounding_chunks=chunks,
        search_entry_point=SearchEntryPoint(rendered_content=_chip_html(query)),
    )
    if answer:
        metadata.grounding_supports = [_support(answer)]
    return metadata


def _support(answer: str) -> GroundingSupport:
    """The first sentence of the answer, attributed to the first two sources."""
    sentence = answer.split(". ", 1)[0]
    end = len(sentence.encode("utf-8"))  # indices are byte offsets, as in the real API
    return GroundingSupport(
        segment=Segment(start_index=0, end_index=end, text=sentence),
        grounding_chunk_indices=[0, 1],
        confidence_scores=[0.9, 0.7],
    )


def _chip_html(query: str) -> str:
    href = f"https://example.com/search?q={quote_plus(query)}"
    return (
        "<style>.container{display:flex}.chip{border-radius:16px;padding:4px 12px}</style>"
        f'<div class="container"><a class="chip" href="{html.escape(href)}">'
        f"{html.escape(query)}</a></div>"
    )
