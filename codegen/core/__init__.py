# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""The client core: HTTP, credentials, retries, errors, streaming and the models' base classes.

Nothing here depends on openapi.json. The modules beside `_core` are generated from it (models,
one method per operation, the exports) and build on this package; `wisdomgate_api` re-exports
what a user needs, so import from there.
"""
