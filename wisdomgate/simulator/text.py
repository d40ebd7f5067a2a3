"""Deterministic answer text: derived from the prompt, the model and the request hash."""

from __future__ import annotations

import hashlib
import json

__all__ = ["answer_text", "thought_text", "topic_of"]

# Whole sentences, picked by the request hash: readable answers that still differ per request.
_SENTENCES = (
    "Models learn patterns from many examples and use them to predict a useful output.",
    "Data flows through layers that weigh signals and combine the evidence step by step.",
    "This answer comes from the local simulator, so it is fast, repeatable and offline.",
    "The same request always gets the same words, and a new prompt changes them.",
    "A real model would go into more depth; the simulator keeps its answers short.",
    "Usage metadata below counts the prompt and answer tokens roughly as the API does.",
    "Streaming splits this text over several chunks, with the finish reason in the last.",
    "Grounding, safety outcomes and faults can be triggered on purpose for tests.",
)


def topic_of(prompt: str, limit: int = 80) -> str:
    """The prompt on one line, shortened for quoting in answers."""
    flat = " ".join(prompt.split()) or "the provided input"
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def answer_text(*, prompt: str, model: str, request_hash: str, image: bool, as_json: bool) -> str:
    """The answer text for a prompt: a quoted topic plus hash-chosen sentences."""
    topic = topic_of(prompt)
    if image:
        text = f"Here is the image for “{topic}”, rendered by the {model} simulator."
    else:
        digest = hashlib.sha256(f"{request_hash}|text".encode()).digest()
        start = digest[1] % len(_SENTENCES)  # consecutive picks: never the same sentence twice
        sentences = [_SENTENCES[(start + i) % len(_SENTENCES)] for i in range(2 + digest[0] % 3)]
        text = f"Simulated answer from {model} to “{topic}”. " + " ".join(sentences)
    return json.dumps({"answer": text}, ensure_ascii=False) if as_json else text


def thought_text(prompt: str) -> str:
    """A short thought summary (sent only when includeThoughts is true)."""
    return f"**Planning the answer**\n\nThe request is about “{topic_of(prompt, 60)}”; answer it directly."
