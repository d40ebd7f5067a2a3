"""Running the simulator: background thread lifecycle, CLI options, python -m entry point."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import httpx
import pytest

from wisdomgate.errors import ToolkitError
from wisdomgate.simulator import (
    SIMULATOR_KEY,
    FaultSpec,
    SimulatorConfig,
    SimulatorConfigError,
    SimulatorError,
    add_serve_arguments,
    config_from_args,
    create_app,
    run_simulator,
)
from wisdomgate.simulator.errors import ApiError
from wisdomgate_api import WisdomGateError


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.slow
def test_run_simulator_serves_on_loopback_and_stops() -> None:
    with run_simulator() as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/v1beta/models", headers={"x-goog-api-key": SIMULATOR_KEY})
        assert response.status_code == 200
        port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe, pytest.raises(OSError):
        probe.connect(("127.0.0.1", port))


@pytest.mark.slow
def test_two_simulators_get_different_ports() -> None:
    with run_simulator() as first, run_simulator() as second:
        assert first != second


def test_create_app_defaults() -> None:
    assert callable(create_app())


def test_default_config_accepts_documented_key() -> None:
    config = SimulatorConfig()
    assert config.key_is_valid(SIMULATOR_KEY)
    assert not config.key_is_valid("other")
    assert not config.key_is_valid("")


def test_config_parses_fault_strings() -> None:
    assert SimulatorConfig(faults=("429;count=2",)).fault_specs == (FaultSpec(kind="429", count=2),)


def test_config_rejects_negative_latency() -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(latency=-1)


def test_serve_argument_defaults() -> None:
    args = _parse([])
    assert (args.host, args.seed, args.latency, args.fault) == ("127.0.0.1", 0, 0.0, [])
    assert config_from_args(args) == SimulatorConfig()


def test_serve_arguments_build_config() -> None:
    faults = ["--fault", "503;count=*", "--fault", "slow;delay=0.1"]
    keys = ["--accept-any-key", "--api-key", "extra"]
    args = _parse(["--port", "9000", *faults, "--seed", "3", "--latency", "0.2", *keys])
    config = config_from_args(args)
    assert args.port == 9000
    assert [f.kind for f in config.fault_specs] == ["503", "slow"]
    assert (config.seed, config.latency, config.accept_any_key) == (3, 0.2, True)
    assert config.api_keys == frozenset({SIMULATOR_KEY, "extra"})


@pytest.mark.slow
def test_module_entry_point_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wisdomgate.simulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--fault" in result.stdout and "--accept-any-key" in result.stdout


@pytest.mark.parametrize("error", [SimulatorError, SimulatorConfigError, ApiError])
def test_simulator_errors_are_not_client_or_toolkit_errors(error: type[Exception]) -> None:
    # Rooted at Exception: a caller catching the client's or the runtime's errors never
    # swallows a simulator failure by accident.
    assert issubclass(error, Exception)
    assert not issubclass(error, WisdomGateError | ToolkitError)
