"""Typed access to the parts of a parsed answer, for tests: each optional level checked on the way."""

from __future__ import annotations

from wisdomgate_api import models


def candidate_of(response: models.GenerateContentResponse, index: int = 0) -> models.Candidate:
    """The answer's candidate at `index` (the test fails if the answer has none)."""
    assert response.candidates, "the answer has no candidates"
    return response.candidates[index]


def part_of(response: models.GenerateContentResponse, index: int = 0) -> models.Part:
    """Part `index` of the first candidate's content (the test fails if it is missing)."""
    content = candidate_of(response).content
    assert content is not None and content.parts, "the first candidate has no parts"
    return content.parts[index]


def blob_of(response: models.GenerateContentResponse, index: int = 0) -> models.Blob:
    """The inline data of part `index` of the first candidate (the test fails if it has none)."""
    blob = part_of(response, index).inline_data
    assert blob is not None, f"part {index} holds no inline data"
    return blob
