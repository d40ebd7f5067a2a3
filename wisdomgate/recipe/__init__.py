"""Recipes: the YAML format, templating, loading, planning and checks, up to PlannedRuns.

What the other stages may use is exported here; everything else is this stage's own.
"""

from wisdomgate.recipe.loader import (
    FileReport,
    ValidationReport,
    find_recipe_files,
    load_plans,
    validate_paths,
)
from wisdomgate.recipe.plan import (
    AutoFit,
    Expectations,
    Fitted,
    ImageInput,
    PlannedRun,
    PlannedTurn,
)
from wisdomgate.recipe.schema import render_schema

__all__ = [
    "AutoFit",
    "Expectations",
    "FileReport",
    "Fitted",
    "ImageInput",
    "PlannedRun",
    "PlannedTurn",
    "ValidationReport",
    "find_recipe_files",
    "load_plans",
    "render_schema",
    "validate_paths",
]
