"""Deterministic answer text: derived from the prompt, the model and the request hash."""

from __future__ import annotations

import hashlib
import json

__all__ = ["answer_text", "thought_text", "topic_of"]

_VOCABULARY = """models learn patterns from examples and use them to predict useful outputs
data flows through layers that weigh signals and combine evidence step by step
each answer is simulated locally so tests stay fast repeatable and offline
the same request always gives the same words while a new prompt changes them"""
_WORDS = tuple(_VOCABULARY.split())


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
        sentences = [_sentence(digest, i) for i in range(2 + digest[0] % 3)]
        text = f"Simulated answer from {model} to “{topic}”. " + " ".join(sentences)
    return json.dumps({"answer": text}, ensure_ascii=False) if as_json else text


def thought_text(prompt: str) -> str:
    """A short thought summary (sent only when includeThoughts is true)."""
    return f"**Planning the answer**\n\nThe request is about “{topic_of(prompt, 60)}”; answer it directly."


def _sentence(digest: bytes, index: int) -> str:
    seed = hashlib.sha256(digest + bytes([index])).digest()
    count = 6 + seed[0] % 7
    words = [_WORDS[seed[1 + i] % len(_WORDS)] for i in range(count)]
    return " ".join(words).capitalize() + "."
