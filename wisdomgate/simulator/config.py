"""Simulator settings: accepted keys, injected faults, seed and latency."""

from __future__ import annotations

from dataclasses import dataclass, field

from wisdomgate.catalog import Catalog, load_catalog
from wisdomgate.simulator.faults import FaultSpec, check_seconds

__all__ = ["SIMULATOR_KEY", "SimulatorConfig"]

SIMULATOR_KEY = "wisdomgate-simulator-key"
"""The documented key the simulator accepts by default (not a secret: it only opens the simulator)."""


@dataclass(frozen=True)
class SimulatorConfig:
    """How a simulator instance behaves; every field has a demo-friendly default."""

    api_keys: frozenset[str] = frozenset({SIMULATOR_KEY})
    accept_any_key: bool = False
    faults: tuple[FaultSpec | str, ...] = ()
    seed: int = 0
    latency: float = 0.0
    catalog: Catalog | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Strings such as "429;count=2" are parsed once here, so a typo fails at startup.
        parsed = tuple(FaultSpec.parse(f) if isinstance(f, str) else f for f in self.faults)
        object.__setattr__(self, "faults", parsed)
        check_seconds("latency", self.latency)  # added to every request: keep it bounded too

    @property
    def fault_specs(self) -> tuple[FaultSpec, ...]:
        """The server-wide faults, parsed."""
        return tuple(f for f in self.faults if isinstance(f, FaultSpec))

    def key_is_valid(self, key: str) -> bool:
        """Whether a presented (non-empty) API key is accepted."""
        return bool(key) and (self.accept_any_key or key in self.api_keys)

    def model_catalog(self) -> Catalog:
        """The catalog to serve: the configured one or the packaged data file."""
        return self.catalog if self.catalog is not None else load_catalog()
