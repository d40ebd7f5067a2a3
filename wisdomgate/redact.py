"""Keep the API key out of everything written or printed, as a second line of defence."""

from __future__ import annotations

__all__ = ["Redactor"]

_MASK = "***"
_MIN_SECRET = 8  # shorter strings would mask ordinary words; real keys are far longer


class Redactor:
    """Replaces every known secret in a text by `***`."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = tuple(s for s in secrets if s and len(s) >= _MIN_SECRET)

    def __call__(self, text: str) -> str:
        """The text with each secret masked."""
        for secret in self._secrets:
            text = text.replace(secret, _MASK)
        return text
