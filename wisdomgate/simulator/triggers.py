"""Prompt triggers: markers in the latest user turn that make the simulator misbehave on purpose.

    [[block:REASON]]   prompt blocked: promptFeedback.blockReason REASON, no candidates
                       (REASON e.g. SAFETY, PROHIBITED_CONTENT, BLOCKLIST, OTHER, IMAGE_SAFETY);
                       SAFETY also lists safetyRatings, as in the real API's answer
    [[finish:REASON]]  the candidate finishes with REASON:
                       MAX_TOKENS   -> the text cut short (no image)
                       STOP         -> a normal answer
                       anything else (NO_IMAGE, IMAGE_SAFETY, SAFETY, OTHER, RECITATION,
                       IMAGE_PROHIBITED_CONTENT, ...) -> "content": {} and no output tokens
    [[text-only]]      an image model answers with text only (no image part)
    [[slow:S]]         the answer is sent after S seconds (at most 60): a request in flight
                       long enough to kill the client, for --resume tests and demos

Only the latest user turn is scanned, so a blocked turn in the history does not block the
next request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Triggers", "find_triggers", "strip_triggers"]

_BLOCK: Final = re.compile(r"\[\[block:([A-Z_]+)\]\]")
_FINISH: Final = re.compile(r"\[\[finish:([A-Z_]+)\]\]")
_TEXT_ONLY: Final = "[[text-only]]"
_SLOW: Final = re.compile(r"\[\[slow:(\d+(?:\.\d+)?)\]\]")
_MAX_SLOW: Final = 60.0
_ANY: Final = re.compile(r"\[\[(?:block:[A-Z_]+|finish:[A-Z_]+|text-only|slow:[\d.]+)\]\]")


@dataclass(frozen=True)
class Triggers:
    """The triggers found in a prompt."""

    block: str | None = None
    finish: str | None = None
    text_only: bool = False
    slow: float = 0.0  # seconds to wait before answering


def find_triggers(text: str) -> Triggers:
    """The first block and finish triggers in text, and whether [[text-only]] is there."""
    block = _BLOCK.search(text)
    finish = _FINISH.search(text)
    slow = _SLOW.search(text)
    return Triggers(
        block=block.group(1) if block else None,
        finish=finish.group(1) if finish else None,
        text_only=_TEXT_ONLY in text,
        slow=min(float(slow.group(1)), _MAX_SLOW) if slow else 0.0,
    )


def strip_triggers(text: str) -> str:
    """text without any trigger markers (answers do not echo them)."""
    return " ".join(_ANY.sub(" ", text).split())
