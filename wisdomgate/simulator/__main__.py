"""`python -m wisdomgate.simulator [--port N] [--fault SPEC] ...`: serve the simulator."""

from __future__ import annotations

import argparse

from wisdomgate.simulator.errors import SimulatorConfigError
from wisdomgate.simulator.server import add_serve_arguments, config_from_args, serve


def main(argv: list[str] | None = None) -> None:
    """Parse the serve options and run the simulator in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m wisdomgate.simulator", description=__doc__)
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except SimulatorConfigError as exc:
        parser.error(str(exc))  # a usage error (exit 2), not a traceback
    serve(args.host, args.port, config, quiet=args.quiet)


if __name__ == "__main__":
    main()
