"""One module per benchmark case, each with a `CASE` (bench.registry.Case); see bench/README.md."""
