"""`python -m wisdomgate`: the same as the `wisdomgate` command."""

from wisdomgate.cli import main

raise SystemExit(main())
