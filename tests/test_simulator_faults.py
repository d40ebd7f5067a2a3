"""Fault injection: every kind, bounded counts per request, seeded rates, spec parsing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from wisdomgate.simulator import (
    FAULT_HEADER,
    SIMULATOR_KEY,
    FaultSpec,
    SimulatorConfig,
    SimulatorError,
    run_simulator,
)
from wisdomgate.simulator.faults import FaultState, parse_header

TEXT = "gemini-2.5-flash"
G3 = "gemini-3-pro-preview"


def _body(text: str) -> dict[str, Any]:
    return {"contents": [{"parts": [{"text": text}]}]}


def _post(sim_client: httpx.Client, text: str, fault: str, model: str = TEXT) -> httpx.Response:
    return sim_client.post(
        f"/v1beta/models/{model}:generateContent", json=_body(text), headers={FAULT_HEADER: fault}
    )


def _stream(sim_client: httpx.Client, text: str, fault: str, *, sse: bool = True) -> httpx.Response:
    suffix = "?alt=sse" if sse else ""
    return sim_client.post(
        f"/v1beta/models/{G3}:streamGenerateContent{suffix}",
        json=_body(text),
        headers={FAULT_HEADER: fault},
    )


def _events(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.text.split("\r\n") if line.startswith("data: ")]


@pytest.mark.slow
def test_429_counts_down_per_request(sim_client: httpx.Client) -> None:
    statuses = [_post(sim_client, "count me", "429;count=2").status_code for _ in range(3)]
    assert statuses == [429, 429, 200]


@pytest.mark.slow
def test_429_count_is_per_request(sim_client: httpx.Client) -> None:
    assert _post(sim_client, "first request", "429").status_code == 429
    assert _post(sim_client, "second request", "429").status_code == 429
    assert _post(sim_client, "first request", "429").status_code == 200


@pytest.mark.slow
def test_429_carries_retry_info_and_retry_after(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "retry info", "429;retry=2.5")
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert response.headers["retry-after"] == "3"
    types = {detail["@type"].rsplit(".", 1)[-1]: detail for detail in error["details"]}
    assert types["RetryInfo"]["retryDelay"] == "2.5s"
    assert "PerMinute" in types["QuotaFailure"]["violations"][0]["quotaId"]


@pytest.mark.slow
def test_429_daily_quota(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "daily", "429-daily")
    error = response.json()["error"]
    [violation] = error["details"][0]["violations"]
    assert response.status_code == 429
    assert violation["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
    assert "retry-after" not in response.headers
    assert not any(d["@type"].endswith("RetryInfo") for d in error["details"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "status"), [("500", "INTERNAL"), ("503", "UNAVAILABLE"), ("504", "DEADLINE_EXCEEDED")]
)
def test_server_errors(sim_client: httpx.Client, kind: str, status: str) -> None:
    response = _post(sim_client, f"server error {kind}", kind)
    assert response.status_code == int(kind)
    assert response.json()["error"]["status"] == status


@pytest.mark.slow
def test_slow_then_normal_answer(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "slow", "slow;delay=0.01")
    assert response.status_code == 200 and response.json()["candidates"]


@pytest.mark.slow
def test_drop_cuts_the_connection(sim_client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _post(sim_client, "drop me", "drop")


@pytest.mark.slow
def test_drop_cuts_a_stream(sim_client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _stream(sim_client, "drop my stream", "drop")


@pytest.mark.slow
def test_drop_is_bounded(sim_client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        _post(sim_client, "drop once", "drop;count=1")
    assert _post(sim_client, "drop once", "drop;count=1").status_code == 200


@pytest.mark.slow
def test_truncated_sse_stream_has_no_finish(sim_client: httpx.Client) -> None:
    response = _stream(sim_client, "truncate", "truncate")
    events = _events(response)
    assert response.status_code == 200 and len(events) == 1
    assert "finishReason" not in json.loads(events[0])["candidates"][0]


@pytest.mark.slow
def test_truncated_json_array_stream_is_unterminated(sim_client: httpx.Client) -> None:
    response = _stream(sim_client, "truncate array", "truncate", sse=False)
    assert response.text.startswith("[") and not response.text.endswith("]")


@pytest.mark.slow
def test_stream_error_chunk_after_200(sim_client: httpx.Client) -> None:
    response = _stream(sim_client, "error chunk", "stream-error")
    events = _events(response)
    assert response.status_code == 200
    assert "candidates" in json.loads(events[0])
    assert json.loads(events[-1])["error"]["status"] == "INTERNAL"


@pytest.mark.slow
def test_stream_error_does_not_apply_to_plain_calls(sim_client: httpx.Client) -> None:
    assert _post(sim_client, "plain", "stream-error").status_code == 200


@pytest.mark.slow
def test_malformed_body(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "malformed", "malformed")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


@pytest.mark.slow
def test_malformed_stream_event(sim_client: httpx.Client) -> None:
    events = _events(_stream(sim_client, "malformed stream", "malformed"))
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[0])


@pytest.mark.slow
def test_model_filter(sim_client: httpx.Client) -> None:
    assert _post(sim_client, "filtered", f"503;model={G3}").status_code == 200
    assert _post(sim_client, "filtered", f"503;model={G3}", model=G3).status_code == 503


@pytest.mark.slow
def test_header_with_two_faults(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "two faults", "slow;delay=0.01, 500")
    assert response.status_code == 500


@pytest.mark.slow
def test_server_level_fault_always() -> None:
    with run_simulator(SimulatorConfig(faults=("503;count=*",))) as url:
        headers = {"x-goog-api-key": SIMULATOR_KEY}
        statuses = {
            httpx.post(
                f"{url}/v1beta/models/{TEXT}:generateContent", json=_body("x"), headers=headers
            ).status_code
            for _ in range(3)
        }
    assert statuses == {503}


def _statuses_with_rate(seed: int) -> list[int]:
    config = SimulatorConfig(faults=("500;rate=0.5;count=*",), seed=seed)
    with run_simulator(config) as url:
        headers = {"x-goog-api-key": SIMULATOR_KEY}
        return [
            httpx.post(
                f"{url}/v1beta/models/{TEXT}:generateContent", json=_body("rate"), headers=headers
            ).status_code
            for _ in range(12)
        ]


@pytest.mark.slow
def test_rate_is_reproducible_per_seed() -> None:
    first = _statuses_with_rate(7)
    assert first == _statuses_with_rate(7)
    assert set(first) == {200, 500}


@pytest.mark.slow
def test_errors_apply_to_list_models(sim_client: httpx.Client) -> None:
    assert sim_client.get("/v1beta/models", headers={FAULT_HEADER: "503"}).status_code == 503


def test_parse_full_spec() -> None:
    spec = FaultSpec.parse("429;count=3;rate=0.5;retry=2;model=gemini-2.5-flash")
    assert spec == FaultSpec(kind="429", count=3, rate=0.5, retry=2.0, model="gemini-2.5-flash")


def test_parse_unbounded_count() -> None:
    assert FaultSpec.parse("503;count=*").count is None


@pytest.mark.parametrize(
    "text", ["418", "429;count=-1", "429;rate=2", "429;colour=red", "slow;delay=x"]
)
def test_parse_rejects_bad_specs(text: str) -> None:
    with pytest.raises(SimulatorError):
        FaultSpec.parse(text)


def test_config_rejects_bad_fault_at_startup() -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(faults=("teapot",))


def test_parse_header_splits_on_commas() -> None:
    assert [s.kind for s in parse_header("slow;delay=0, 429")] == ["slow", "429"]


def test_fault_state_counts_per_request_hash() -> None:
    state = FaultState(seed=0)
    spec = (FaultSpec.parse("500;count=1"),)
    plans = [state.plan(spec, request_hash=h, model="m", streaming=False) for h in ("a", "a", "b")]
    assert [p.error is not None for p in plans] == [True, False, True]
