"""A local Gemini-compatible server: the embedded default for demos, tests and CI.

    from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator

    with run_simulator(SimulatorConfig(faults=("429;count=1",))) as base_url:
        ...  # POST {base_url}/v1beta/models/gemini-3-pro-image-preview:generateContent

Prompt triggers: see wisdomgate.simulator.triggers; fault syntax: wisdomgate.simulator.faults;
the full behaviour is described in docs/simulator.md.
"""

from wisdomgate.simulator.app import create_app
from wisdomgate.simulator.config import SIMULATOR_KEY, SimulatorConfig
from wisdomgate.simulator.counter import RequestCounter
from wisdomgate.simulator.errors import SimulatorConfigError, SimulatorError
from wisdomgate.simulator.faults import FAULT_HEADER, FaultSpec
from wisdomgate.simulator.server import add_serve_arguments, config_from_args, run_simulator, serve

__all__ = [
    "FAULT_HEADER",
    "SIMULATOR_KEY",
    "FaultSpec",
    "RequestCounter",
    "SimulatorConfig",
    "SimulatorConfigError",
    "SimulatorError",
    "add_serve_arguments",
    "config_from_args",
    "create_app",
    "run_simulator",
    "serve",
]
