"""`python -m wisdomgate.simulator [--port N] [--fault SPEC] ...`: serve the simulator."""

from __future__ import annotations

import argparse

from wisdomgate.simulator.server import add_serve_arguments, config_from_args, serve


def main(argv: list[str] | None = None) -> None:
    """Parse the serve options and run the simulator in the foreground."""
    parser = argparse.ArgumentParser(prog="python -m wisdomgate.simulator", description=__doc__)
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    serve(args.host, args.port, config_from_args(args))


if __name__ == "__main__":
    main()
