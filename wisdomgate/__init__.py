"""wisdomgate: recipes, runner and simulator for the Wisdom Gate generateContent API."""

__version__ = "0.1.0"
