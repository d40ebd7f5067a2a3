"""schemathesis against `wisdomgate serve` (started by the test, on 127.0.0.1), for every operation of
openapi.json: no 5xx, documented statuses, content types, headers and bodies, and invalid
requests refused, for positive and negative data from its examples, coverage and fuzzing
phases.

The checks left out, each narrowly and for a reason that is not a simulator bug:

* ignored_auth: it wants 401/403 for a wrong key, and the API answers 400 API_KEY_INVALID
  (no key at all is 403, as it wants). test_simulator_validation.py pins both answers.
* unsupported_method: it wants 405 and `Allow` for a method a path does not have; the API
  answers 404 NOT_FOUND "Method not found." (test_simulator_odd_input.py pins it).
* positive_data_acceptance: schema-valid is not enough for this API, and openapi.json does not
  say more: `contents` and `parts` are not empty (a `minItems` would make the models refuse
  them before the simulator can answer in the API's words), an image size exists for the
  model, a page token was issued by the server, a thought signature is one the server made.
  The simulator refuses those as the API does (400); test_simulator_validation.py and
  test_simulator_content_rules.py pin them. (The Part and VoiceConfig oneofs, closed request
  objects and "not both" rules are in the spec now, so those cases are generated right.)
* negative_data_rejection, for a case whose body becomes valid once its nulls are dropped:
  ProtoJSON reads `null` as "not set" and the API accepts it anywhere, which openapi.json does
  not say (a spec problem, not the simulator's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis import APIOperation
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.serve_process import serve_process
from tests.spec_errors import SPEC_PATH, matches_schema, request_schema
from wisdomgate.simulator import SIMULATOR_KEY

pytestmark = pytest.mark.slow

STREAM_PATH = "/v1beta/models/{model}:streamGenerateContent"
TEXT = "gemini-2.5-flash"
FULL = os.environ.get("WISDOMGATE_SCHEMATHESIS") == "full"
"""WISDOMGATE_SCHEMATHESIS=full runs every coverage case of the POST operations (minutes)."""

CONFIG = schemathesis.Config.from_dict(
    {
        "headers": {"x-goog-api-key": SIMULATOR_KEY},
        # A small budget: the coverage phase adds its own cases (schema edges, negative values).
        "generation": {"max-examples": 30, "deterministic": True, "database": "none"},
        "suppress-health-check": ["all"],
        "checks": {
            "ignored_auth": {"enabled": False},
            "unsupported_method": {"enabled": False},
            "positive_data_acceptance": {"enabled": False},
        },
        "operations": [
            {
                # GenerateContentRequest is large and recursive: the coverage phase enumerates
                # about 4,000 cases for each POST (a minute each on 2 cores), so the fuzzing
                # phase's positive and negative cases stand in for it unless asked for.
                "include-method": "POST",
                "phases": {"coverage": {"enabled": FULL}},
                # A model that exists, so valid bodies get real answers to check, not 404s.
                "parameters": {"model": TEXT},
            },
            {
                # Its body nests a whole GenerateContentRequest: each case costs twice as much.
                "include-name": "POST /v1beta/models/{model}:countTokens",
                "generation": {"max-examples": 5},
            },
        ],
        "output": {"sanitization": {"enabled": False}},  # the key is the simulator's public one
    }
)
schema = schemathesis.openapi.from_path(SPEC_PATH, config=CONFIG)

# schemathesis types an operation by its parameters, responses, security and schema; the
# checks here read only its path and method, so they accept any.
OpenApiCase = schemathesis.Case[APIOperation[Any, Any, Any, Any]]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The command users run, in its own process: what they get is what is checked."""
    with serve_process() as served:
        yield served.url(served.banner())


@schema.parametrize()
def test_simulator_conforms_to_openapi(case: OpenApiCase, server_url: str) -> None:
    response = case.call(base_url=server_url)
    case.validate_response(response, excluded_checks=_excluded_checks(case, response))


@pytest.mark.parametrize("alt", ["sse", "json", None])
def test_stream_answers_conform(server_url: str, alt: str | None) -> None:
    # Random cases rarely reach a 200 stream; this one always does, in each of its two forms.
    case = schema[STREAM_PATH]["POST"].Case(
        path_parameters={"model": TEXT},
        query={"alt": alt} if alt else {},
        body={"contents": [{"parts": [{"text": "Tell me a story"}]}]},
        media_type="application/json",
    )
    response = case.call(base_url=server_url, headers={"x-goog-api-key": SIMULATOR_KEY})
    assert response.status_code == 200
    case.validate_response(response, excluded_checks=_excluded_checks(case, response))


def _excluded_checks(case: OpenApiCase, response: schemathesis.Response) -> list[Any]:
    excluded: list[Any] = []
    if _only_nulls_are_invalid(case):
        excluded.append(negative_data_rejection)
    return excluded


def _only_nulls_are_invalid(case: OpenApiCase) -> bool:
    """A negative body whose only violations are nulls: valid for the API (null = not set)."""
    if case.meta is None or not case.meta.generation.mode.is_negative:
        return False
    name = request_schema(case.operation.path, case.operation.method)
    if name is None or not isinstance(case.body, dict):
        return False
    return not matches_schema(case.body, name) and matches_schema(_without_nulls(case.body), name)


def _without_nulls(value: Any) -> Any:
    """value with every object member that is null removed, at any depth."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value
