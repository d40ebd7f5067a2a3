"""Recipe files -> validated PlannedRuns, with every problem of every file reported at once.

Each problem points at `file:line:column` and a field path; the YAML node tree is kept so that
pydantic, template and catalog problems all find their way back to the line that caused them.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import hashlib
import logging
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from wisdomgate.errors import Issue, RecipeError, RecipeErrors, format_field
from wisdomgate.recipe.format import parse_recipe
from wisdomgate.recipe.migrations import migration_message
from wisdomgate.recipe.options import LoadOptions
from wisdomgate.recipe.paths import PATH_ERRORS, name_problem, path_error, path_problem
from wisdomgate.recipe.plan import AutoFit, PlannedRun
from wisdomgate.recipe.planner import RecipeSource, plan_recipe
from wisdomgate.recipe.variables import check_cli_vars, unused_cli_vars
from wisdomgate.recipe.yaml_reader import SourceMap, parse_yaml

__all__ = [
    "RECIPE_SUFFIXES",
    "FileReport",
    "ValidationReport",
    "find_recipe_files",
    "load_plans",
    "validate_paths",
]

log = logging.getLogger(__name__)

RECIPE_SUFFIXES = (".yaml", ".yml")
MAX_RECIPE_BYTES = 1 << 20  # a recipe is a page of text; anything larger is a wrong file
_MAX_LISTED = 20  # run ids named in an error; a large matrix would flood the terminal


@dataclass(frozen=True)
class FileReport:
    """What `validate` says about one file."""

    path: Path
    version: int | None
    name: str | None
    runs: int  # matrix cells (1 without a matrix); 0 when the file is unusable
    errors: tuple[RecipeError, ...]
    warnings: tuple[RecipeError, ...]
    migration: str  # the format version, and what a migration to the current one would change
    auto_fits: tuple[tuple[str, AutoFit], ...] = ()  # (run id, what `fit: auto` chose)

    @property
    def ok(self) -> bool:
        """True when the file has no errors (warnings allowed)."""
        return not self.errors


@dataclass(frozen=True)
class ValidationReport:
    """The reports of every file validated, in file order."""

    files: tuple[FileReport, ...]
    general_warnings: tuple[RecipeError, ...] = ()  # about the command line (an unused --var)

    @property
    def ok(self) -> bool:
        """True when no file has an error."""
        return all(report.ok for report in self.files)

    @property
    def errors(self) -> tuple[RecipeError, ...]:
        """Every error of every file."""
        return tuple(error for report in self.files for error in report.errors)

    @property
    def warnings(self) -> tuple[RecipeError, ...]:
        """Every warning of every file, then those about the command line."""
        files = tuple(warning for report in self.files for warning in report.warnings)
        return files + self.general_warnings


def find_recipe_files(paths: Sequence[Path]) -> list[Path]:
    """Recipe files named or found (*.yaml, *.yml, recursively, sorted) in the given paths."""
    found, errors = _discover(paths)
    if errors:
        raise RecipeErrors(errors)
    return [file for file, _ in found]


def load_plans(
    paths: Sequence[Path],
    *,
    cli_vars: Mapping[str, str] = {},
    only: str | None = None,
    allow_outside_root: bool = False,
) -> list[PlannedRun]:
    """Every planned run of the recipes in `paths`; RecipeErrors with all problems otherwise.

    `only` selects recipes by name, or runs by `name/run_id`: an exact name or id if there is
    one, else shell-style wildcards. Warnings (an unused --var...) are logged.
    """
    options = LoadOptions(cli_vars, only, allow_outside_root)
    errors = check_cli_vars(options.cli_vars)
    found, more = _discover(paths)
    errors += more
    if not found and not errors:
        errors.append(_no_recipe_files(paths))
    results = [_load_file(f, root, options) for f, root in found]
    results = [r for r in results if r.selected]
    errors += _duplicate_names(results)
    for result in results:
        errors += result.errors
        for warning in result.warnings:
            log.warning("%s", warning)
    for warning in _unused_vars(cli_vars, results):
        log.warning("%s", warning)
    if only is not None and not results and not errors:
        errors.append(RecipeError(f"no recipe matches --only {only!r}", fix="check the name"))
    elif only and "/" in only and not errors and not any(r.selected_runs for r in results):
        errors.append(_no_run_matches(only, results))
    if errors:
        raise RecipeErrors(errors)
    return [plan for result in results for plan in result.plans]


def validate_paths(
    paths: Sequence[Path],
    *,
    cli_vars: Mapping[str, str] = {},
    allow_outside_root: bool = False,
) -> ValidationReport:
    """Validate every recipe file in `paths` (for `wisdomgate validate`); never raises for bad
    input: every problem is in the report."""
    reports: list[FileReport] = []
    options = LoadOptions(cli_vars, None, allow_outside_root)
    general = check_cli_vars(options.cli_vars)
    found, missing = _discover(paths)
    general += missing
    if not found and not general:  # as `run` does: validating nothing is not a success
        general.append(_no_recipe_files(paths))
    for error in general:
        path = error.path or Path(".")
        reports.append(FileReport(path, None, None, 0, (error,), (), "format version unknown"))
    results = [_load_file(f, root, options) for f, root in found]
    duplicates = {error.path: error for error in _duplicate_names(results)}
    for r in results:
        extra = (duplicates[r.path],) if r.path in duplicates else ()
        reports.append(
            FileReport(
                r.path,
                r.version,
                r.name,
                r.runs,
                (*r.errors, *extra),
                r.warnings,
                r.migration,
                tuple((p.run_id, p.auto_fit) for p in r.plans if p.auto_fit is not None),
            )
        )
    return ValidationReport(tuple(reports), tuple(_unused_vars(cli_vars, results)))


def _no_recipe_files(paths: Sequence[Path]) -> RecipeError:
    shown = ", ".join(str(p) for p in paths)
    return RecipeError(f"no recipe files (*.yaml, *.yml) in {shown}", fix="check the path")


def _unused_vars(cli_vars: Mapping[str, str], results: Sequence[_FileResult]) -> list[RecipeError]:
    """Warnings for --var names no recipe uses; none when some recipe could not be planned
    (its templates were never read, so any --var might be meant for it)."""
    if any(r.used_variables is None for r in results):
        return []
    used = {name for r in results for name in r.used_variables or ()}
    known = {name for r in results for name in r.known_variables}
    return unused_cli_vars(cli_vars, used, known)


def _no_run_matches(only: str, results: Sequence[_FileResult]) -> RecipeError:
    """--only NAME/RUN selected recipes but none of their runs: list the runs there are."""
    ids = [f"'{r.name}/{rid}'" for r in results for rid in r.run_ids]
    shown = ", ".join(ids[:_MAX_LISTED]) + (
        f" and {len(ids) - _MAX_LISTED} more" if len(ids) > _MAX_LISTED else ""
    )
    return RecipeError(
        f"no run matches --only {only!r}; the runs are {shown}",
        fix="use one of these, or a shell wildcard such as 'NAME/*'",
    )


def _discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[RecipeError]]:
    """(file, root) pairs, deduplicated; the root is the folder given, or a file's folder."""
    found: dict[Path, tuple[Path, Path]] = {}
    errors = []
    for given in paths:
        try:
            pairs = _files_in(given)
        except PATH_ERRORS as exc:
            errors.append(path_error(given, path_problem(exc)))
            continue
        if pairs is None:
            errors.append(RecipeError("no such file or folder", path=given, fix="check the path"))
        for file, root in pairs or []:
            problem = name_problem(file)
            if problem is not None:
                errors.append(path_error(file, problem))
                continue
            try:
                found.setdefault(file.resolve(), (file, root))
            except PATH_ERRORS as exc:
                errors.append(path_error(file, path_problem(exc)))
    return list(found.values()), errors


def _files_in(given: Path) -> list[tuple[Path, Path]] | None:
    """(file, root) pairs of a path given; None when it does not exist. Raises PATH_ERRORS."""
    try:
        kind = given.stat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(kind):
        return [(given, given.parent)]
    if not stat.S_ISDIR(kind):
        raise OSError(errno.EINVAL, "not a regular file or folder")
    # A symlink that is not a file (a loop, a dangling link) is kept: reading it says why.
    files = sorted(
        (
            p
            for p in given.rglob("*")
            if p.suffix in RECIPE_SUFFIXES and (p.is_file() or p.is_symlink())
        ),
        key=lambda p: p.as_posix(),
    )
    return [
        (file, given)
        for file in files
        if not any(part.startswith(".") for part in file.relative_to(given).parts)
    ]


@dataclass
class _FileResult:
    path: Path
    selected: bool = True
    version: int | None = None
    name: str | None = None
    runs: int = 0
    plans: tuple[PlannedRun, ...] = ()
    errors: tuple[RecipeError, ...] = ()
    warnings: tuple[RecipeError, ...] = ()
    migration: str = "format version unknown"
    name_line: tuple[int, int] = (1, 1)
    run_ids: tuple[str, ...] = ()  # every run of the recipe
    selected_runs: int = 0  # how many of them --only selected
    used_variables: frozenset[str] | None = None  # None: not planned, so not known
    known_variables: frozenset[str] = frozenset()


def _load_file(path: Path, root: Path, options: LoadOptions) -> _FileResult:
    """Read, parse, validate and plan one file; every problem is in the result."""
    result = _FileResult(path)
    text, data_bytes = _read(path, result)
    if text is None:
        return result
    try:
        parsed = parse_yaml(text)
    except yaml.YAMLError as exc:  # parse_yaml reports YAML's errors; never a traceback
        result.errors = (RecipeError(f"YAML error: {exc}", path=path),)
        return result
    if parsed.fatal:  # the file could not be read: only why, nothing about its (missing) data
        result.errors = tuple(
            _locate(path, parsed.source, [i for *_, i in parsed.problems], parsed.problems)
        )
        return result
    data = parsed.data
    name = data.get("name") if isinstance(data, dict) else None
    result.name = name if isinstance(name, str) else path.stem
    if not _name_matches(result.name, options.recipe_pattern):
        result.selected = False
        return result
    issues = [issue for _, _, issue in parsed.problems]
    recipe, result.version, found = parse_recipe(data)
    issues += found
    result.migration = migration_message(data, result.version)
    result.name_line = parsed.source.locate(("name",))[:2]
    if recipe is not None:
        source = RecipeSource(
            recipe, result.name, path, root, hashlib.sha256(data_bytes).hexdigest()
        )
        planned = plan_recipe(source, options)
        issues += planned.issues
        result.plans = tuple(planned.plans)
        result.runs, result.run_ids = len(planned.run_ids), tuple(planned.run_ids)
        result.selected_runs = planned.selected
        result.used_variables = planned.used_variables
        result.known_variables = planned.known_variables
    located = _locate(path, parsed.source, issues, parsed.problems)
    result.errors = tuple(e for e in located if e.severity == "error")
    result.warnings = tuple(e for e in located if e.severity == "warning")
    return result


def _read(path: Path, result: _FileResult) -> tuple[str | None, bytes]:
    try:
        data = path.read_bytes()
    except PATH_ERRORS as exc:
        result.errors = (path_error(path, path_problem(exc)),)
        return None, b""
    if len(data) > MAX_RECIPE_BYTES:
        message = f"the file is {len(data)} bytes; a recipe may be at most {MAX_RECIPE_BYTES}"
        result.errors = (RecipeError(message, path=path, fix="is this really a recipe?"),)
        return None, data
    try:
        return data.decode("utf-8-sig"), data
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        start = data.rfind(b"\n", 0, exc.start) + 1  # the line is valid UTF-8 up to the byte
        start += 3 if start == 0 and data.startswith(codecs.BOM_UTF8) else 0
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        message = f"the file is not UTF-8 text (byte {exc.start})"
        fix = "save it as UTF-8"
        result.errors = (RecipeError(message, path=path, line=line, column=column, fix=fix),)
        return None, data


def _locate(
    path: Path, source: SourceMap, issues: list[Issue], known: tuple[tuple[int, int, Issue], ...]
) -> list[RecipeError]:
    """Issues -> RecipeErrors at their line:column, deduplicated, in file order."""
    placed = {issue: (line, column) for line, column, issue in known}
    errors: dict[RecipeError, None] = {}
    for issue in issues:
        line, column, written = source.locate(issue.path, at_key=issue.at_key)
        line, column = placed.get(issue, (line, column))
        error = RecipeError(
            issue.message,
            path=path,
            line=line,
            column=column,
            field=format_field(written),
            fix=issue.fix,
            severity=issue.severity,
        )
        errors.setdefault(error, None)
    return sorted(errors, key=lambda e: (e.line or 0, e.column or 0))


def _name_matches(name: str, pattern: str) -> bool:
    """`--only`'s recipe part: the name itself, or a shell wildcard matching it."""
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


def _duplicate_names(results: Sequence[_FileResult]) -> list[RecipeError]:
    """Two recipes with one name would write to the same output folder."""
    first: dict[str, Path] = {}
    errors = []
    for result in results:
        if result.name is None:
            continue
        if result.name in first:
            line, column = result.name_line
            message = f"recipe name '{result.name}' is also used by {first[result.name]}"
            fix = "give each recipe its own name; outputs go to OUT/<name>/"
            errors.append(
                RecipeError(
                    message, path=result.path, line=line, column=column, field="name", fix=fix
                )
            )
        first.setdefault(result.name, result.path)
    return errors
