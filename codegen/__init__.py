"""The generator: openapi.json -> generated/wisdomgate_api (see regen.py)."""
