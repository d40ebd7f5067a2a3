"""Thought signatures the simulator issues and checks.

A signature is base64 of `wgsim1|<responseId>|<part index>|<content digest>` followed by a
16-byte HMAC over that text, keyed by the server seed. It is deterministic (same request, same
signature), says which response and part it belongs to, and any change to it (or to the image
it signs) is detected. The bypass values Google documents for history built elsewhere are
accepted like the real API accepts them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

from wisdomgate_api import Base64Data

__all__ = ["BYPASS_SIGNATURES", "SignatureCheck", "Signer"]

_PREFIX: Final = b"wgsim1|"
_TAG_BYTES: Final = 16
UNBOUND: Final = "-"
BYPASS_SIGNATURES: Final = frozenset(
    {"skip_thought_signature_validator", "context_engineering_is_the_way_to_go"}
)


class SignatureCheck:
    """Outcomes of Signer.check."""

    VALID: Final = "valid"
    BYPASS: Final = "bypass"
    CORRUPTED: Final = "corrupted"


class Signer:
    """Issues and verifies thought signatures for one seed."""

    def __init__(self, seed: int) -> None:
        self._key = hashlib.sha256(f"wisdomgate-simulator-signature|{seed}".encode()).digest()

    def sign(self, response_id: str, part_index: int, content: bytes | None = None) -> str:
        """The signature for a part; content (image bytes) binds it to that image."""
        payload = _PREFIX + f"{response_id}|{part_index}|{_digest(content)}".encode()
        return base64.b64encode(payload + self._tag(payload)).decode("ascii")

    def check(self, signature: str, content: bytes | None = None) -> str:
        """VALID, BYPASS or CORRUPTED for a signature sent back with a part."""
        if signature in BYPASS_SIGNATURES:
            return SignatureCheck.BYPASS
        try:
            raw = Base64Data(signature).to_bytes()
        except ValueError:
            return SignatureCheck.CORRUPTED
        if raw.decode("latin-1") in BYPASS_SIGNATURES:
            return SignatureCheck.BYPASS
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if not payload.startswith(_PREFIX) or not hmac.compare_digest(tag, self._tag(payload)):
            return SignatureCheck.CORRUPTED
        bound = payload.rsplit(b"|", 1)[-1].decode("ascii", "replace")
        if bound != UNBOUND and content is not None and bound != _digest(content):
            return SignatureCheck.CORRUPTED
        return SignatureCheck.VALID

    @staticmethod
    def describe(signature: str) -> tuple[str, int] | None:
        """(responseId, part index) a simulator signature names, or None."""
        try:
            payload = Base64Data(signature).to_bytes()[:-_TAG_BYTES]
        except ValueError:
            return None
        if not payload.startswith(_PREFIX):
            return None
        fields = payload[len(_PREFIX) :].decode("ascii", "replace").split("|")
        return (fields[0], int(fields[1])) if len(fields) == 3 and fields[1].isdigit() else None

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _digest(content: bytes | None) -> str:
    return UNBOUND if content is None else hashlib.sha256(content).hexdigest()[:16]
