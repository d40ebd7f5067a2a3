"""A structurally valid Recipe -> one PlannedRun per matrix cell, rendered and checked."""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wisdomgate.catalog import ModelInfo
from wisdomgate.errors import FieldPath, Issue, has_surrogates
from wisdomgate.keys import camel_case
from wisdomgate.recipe.api_fields import parse_safety, parse_system, parse_tools, validate_api
from wisdomgate.recipe.checks import check_config, check_model, parse_expectations
from wisdomgate.recipe.data_paths import depth
from wisdomgate.recipe.fit_spool import Fitter
from wisdomgate.recipe.fitting import (
    Reference,
    TurnImages,
    auto_fit,
    fit_settings,
    fit_turns,
)
from wisdomgate.recipe.format import Recipe, Turn, stringify
from wisdomgate.recipe.images import ImageResolver
from wisdomgate.recipe.options import LoadOptions
from wisdomgate.recipe.plan import Expectations, ImageInput, PlannedRun, PlannedTurn
from wisdomgate.recipe.templating import Renderer
from wisdomgate.recipe.variables import blame_cli_vars
from wisdomgate_api.models import Content, GenerationConfig, SafetySetting, Tool

__all__ = ["MAX_RUNS", "RecipePlan", "matrix_cells", "plan_recipe", "run_id", "select_ids"]

MAX_RUNS = 1000  # a matrix this large is a mistake, not a plan
DEFAULT_MAX_REQUEST_BYTES = 20 * 2**20  # for models the catalog does not know
_GROUNDING_TOOLS = {"googleSearch", "googleSearchRetrieval", "googleMaps"}


@dataclass(frozen=True)
class RecipeSource:
    """A recipe with where it came from."""

    recipe: Recipe
    name: str
    path: Path
    root: Path
    sha256: str


def matrix_cells(
    matrix: Mapping[str, list[Any]] | None, cli_vars: Mapping[str, str]
) -> tuple[list[tuple[str, dict[str, str]]], list[Issue]]:
    """(run id, cell values) for every combination, in declared order.

    A --var naming an axis pins that axis to the given value (it has the highest precedence),
    so run ids stay unique and say what actually ran.
    """
    if not matrix:
        return [("default", {})], []
    # A repeated value is reported by parse_recipe; one run per distinct value is planned.
    axes = {
        axis: [cli_vars[axis]] if axis in cli_vars else list(dict.fromkeys(map(stringify, values)))
        for axis, values in matrix.items()
    }
    total = 1
    for values in axes.values():
        total *= len(values)
    if total > MAX_RUNS:
        message = f"the matrix has {total} combinations; at most {MAX_RUNS} are allowed"
        return [], [Issue(("matrix",), message, "split the recipe or shorten the lists")]
    cells = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    ids = [run_id(cell) for cell in cells]
    clashes = [rid for rid, count in Counter(ids).items() if count > 1]
    if clashes:  # distinct values read alike once joined: a=x,b=y + b=z vs a=x + b=y,b=z
        message = f"two matrix cells get the same run id '{clashes[0]}'"
        return [], [Issue(("matrix",), message, "take ',' and '=' out of the matrix values")]
    return list(zip(ids, cells, strict=True)), []


def run_id(cell: Mapping[str, str]) -> str:
    """`style=watercolour,aspect=16:9`: the values as written, stable across commits.

    Values are kept verbatim (`a=x/y` and `a=x_y` are two runs); outputs.safe_name makes the
    folder name. Very long ids are shortened, with a hash of the whole id.
    """
    text = ",".join(f"{axis}={value}" for axis, value in cell.items())
    if len(text) > 120:  # an id is read in reports and typed after --only
        text = f"{text[:100]}~{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return text


def select_ids(pattern: str | None, ids: Sequence[str]) -> list[str]:
    """The ids `--only` selects: the one equal to pattern if there is one (an id may hold
    `[`, `*` or `?`), else every id the pattern matches as a shell wildcard."""
    if pattern is None:
        return list(ids)
    if pattern in ids:
        return [pattern]
    return [rid for rid in ids if fnmatch.fnmatchcase(rid, pattern)]


@dataclass(frozen=True)
class RecipePlan:
    """A recipe planned: the selected runs, every problem, and what --var checks need."""

    plans: list[PlannedRun]
    issues: list[Issue]
    run_ids: list[str]  # every matrix cell's id, selected or not
    selected: int  # how many of them --only selected
    used_variables: frozenset[str]  # referred to by a rendered template, or a matrix axis
    known_variables: frozenset[str]  # used_variables and the keys of vars:


def plan_recipe(source: RecipeSource, options: LoadOptions) -> RecipePlan:
    """Plan every matrix cell that --only's run part selects (see select_ids; all without)."""
    cells, issues = matrix_cells(source.recipe.matrix, options.cli_vars)
    planner = _Planner(source, options)
    found_in: dict[Issue, dict[str, None]] = {}  # issue -> the runs it is in, in order
    plans = []
    ids = [rid for rid, _ in cells]
    selected = set(select_ids(options.run_pattern, ids))
    for rid, cell in cells:
        if rid not in selected:
            continue
        plan, found = planner.plan(rid, cell)
        for issue in found:
            found_in.setdefault(issue, {})[rid] = None
        if plan is not None:
            plans.append(plan)
    for issue, runs in found_in.items():
        issues.append(_name_runs(issue, list(runs), len(cells)))
    # every field a template may be in: what the recipe's templates refer to, rendered or not
    not_templated = {"version", "name", "description", "vars", "matrix"}
    templated = source.recipe.model_dump(exclude=not_templated, warnings=False)
    used = planner.renderer.names_in_tree(templated) | set(source.recipe.matrix or {})
    known = used | set(source.recipe.vars or {})
    return RecipePlan(plans, issues, ids, len(selected), used, known)


def _name_runs(issue: Issue, ids: list[str], total: int) -> Issue:
    """Say which matrix cells a problem is in, unless it is in all of them."""
    if total <= 1 or len(ids) == total:
        return issue
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    word = "run" if len(ids) == 1 else "runs"
    return issue.noted(f"[{word} {shown}]")


class _Renderer(Renderer):
    """The recipe's renderer, refusing text that cannot be sent: a template may render a lone
    surrogate (`{{ "\\ud800" }}`, or a --var value holding undecodable bytes)."""

    def render(
        self, text: str, variables: Mapping[str, str], path: FieldPath
    ) -> tuple[str, list[Issue]]:
        """As Renderer.render (render_tree calls this too), with the rendered text checked."""
        rendered, issues = super().render(text, variables, path)
        if not issues and has_surrogates(rendered):
            message = "the text renders to a lone surrogate: not a character, not UTF-8"
            fix = "render characters, not surrogate escapes; pass --var values as UTF-8 text"
            return text, [Issue(path, message, fix)]  # as on any error: the text unrendered
        return rendered, issues


@dataclass
class _Planner:
    source: RecipeSource
    options: LoadOptions
    renderer: Renderer = field(default_factory=_Renderer)
    _models: dict[str, tuple[ModelInfo | None, list[Issue]]] = field(default_factory=dict)
    _image_cache: dict[tuple[Path, int], ImageInput | tuple[str, str]] = field(default_factory=dict)
    _fitter: Fitter = field(default_factory=Fitter)  # each fitted image made once per recipe

    def plan(self, rid: str, cell: Mapping[str, str]) -> tuple[PlannedRun | None, list[Issue]]:
        """One matrix cell planned; its problems say which of their values came from --var."""
        plan, issues = self._plan(rid, cell)
        raw, names_in = self.source.recipe, self.renderer.names_in
        cli_vars = self.options.cli_vars
        return plan, [blame_cli_vars(i, raw, cli_vars, names_in) for i in issues]

    def _plan(self, rid: str, cell: Mapping[str, str]) -> tuple[PlannedRun | None, list[Issue]]:
        recipe = self.source.recipe
        variables = {k: stringify(v) for k, v in (recipe.vars or {}).items()}
        variables |= {**cell, **self.options.cli_vars, "name": self.source.name, "run": rid}
        model, issues = self.renderer.render(recipe.model, variables, ("model",))
        if model not in self._models:
            self._models[model] = check_model(model, ("model",))
        info, found = self._models[model]
        issues += found
        system, safety, tools = self._run_level(variables, issues)
        limit = info.max_request_bytes if info else DEFAULT_MAX_REQUEST_BYTES
        resolver = ImageResolver(
            self.source.path.parent,
            self.source.root,
            self.options.allow_outside_root,
            limit,
            self._image_cache,
        )
        tools_ok = not any(issue.path[:1] == ("tools",) for issue in issues)
        turns = _Turns(self, info, resolver, tools if tools_ok else None, tools_ok)
        if system is not None:
            turns.texts += [part.text or "" for part in system.parts or []]
        planned = [turns.plan(i, turn, variables, issues) for i, turn in enumerate(recipe.turns)]
        if not any(issue.severity == "error" for issue in issues):
            planned = turns.fitted(planned, limit, self._fitter, issues)
        if any(issue.severity == "error" for issue in issues):
            return None, issues
        plan = PlannedRun(
            recipe_name=self.source.name,
            recipe_path=self.source.path,
            recipe_sha256=self.source.sha256,
            run_id=rid,
            model=model,
            system_instruction=system,
            safety_settings=tuple(safety) if safety is not None else None,
            tools=tuple(tools) if tools is not None else None,
            turns=tuple(planned),
            variables=MappingProxyType(dict(variables)),
            auto_fit=auto_fit(turns.inputs, [turn.images for turn in planned], limit),
        )
        return plan, issues

    def _run_level(
        self, variables: Mapping[str, str], issues: list[Issue]
    ) -> tuple[Content | None, list[SafetySetting] | None, list[Tool] | None]:
        recipe, render = self.source.recipe, self.renderer.render_tree
        system = safety = tools = None
        if recipe.system is not None:
            raw, found = render(recipe.system, variables, ("system",))
            system, more = parse_system(raw, ("system",))
            issues += found + more
        if recipe.safety is not None:
            raw, found = render(recipe.safety, variables, ("safety",))
            safety, more = parse_safety(raw, ("safety",))
            issues += found + more
        if recipe.tools is not None:
            raw, found = render(recipe.tools, variables, ("tools",))
            tools, more = parse_tools(raw, ("tools",))
            issues += found + more
        return system, safety, tools


class _Turns:
    """Plans the turns of one run in order, keeping the conversation's running totals."""

    def __init__(
        self,
        planner: _Planner,
        info: ModelInfo | None,
        resolver: ImageResolver,
        tools: list[Tool] | None,
        tools_ok: bool,
    ) -> None:
        self.planner, self.info, self.resolver = planner, info, resolver
        # None: the tools list is broken, so whether a grounding tool is meant is unknown
        grounding = any(_GROUNDING_TOOLS & set(tool.to_wire()) for tool in tools or [])
        self.grounding: bool | None = grounding if tools_ok else None
        self.texts: list[str] = []
        self.inputs: list[TurnImages] = []  # what the request size checks need, turn by turn

    def plan(
        self, index: int, turn: Turn, variables: Mapping[str, str], issues: list[Issue]
    ) -> PlannedTurn:
        render = self.planner.renderer
        here: FieldPath = ("turns", index)
        tvars = {**variables, "turn": str(index + 1)}
        prompt, found = render.render(turn.prompt, tvars, (*here, "prompt"))
        issues += found
        if not found and not prompt.strip():
            issues.append(Issue((*here, "prompt"), "the prompt is empty", "write what to generate"))
        images = self._images(turn, tvars, here, issues)
        config = self._config(index, turn, tvars, issues)
        expect = Expectations()
        if turn.expect is not None:
            raw, found = render.render_tree(
                turn.expect.model_dump(exclude_none=True), tvars, (*here, "expect")
            )
            expect, more = parse_expectations(
                raw, (*here, "expect"), self.info, config, self.grounding
            )
            issues += found + more
        self.texts.append(prompt)
        where = (*here, "images") if turn.images else (*here, "prompt")
        self.inputs.append(TurnImages(index + 1, where, tuple(self.texts), tuple(images)))
        return PlannedTurn(index + 1, prompt, tuple(r.image for r in images), config, expect)

    def fitted(
        self, planned: list[PlannedTurn], limit: int, fitter: Fitter, issues: list[Issue]
    ) -> list[PlannedTurn]:
        """The turns with their references fitted (`fit:`), and the limits checked."""
        sent, found = fit_turns(self.inputs, self.info, limit, fitter)
        issues += found
        return [replace(turn, images=images) for turn, images in zip(planned, sent, strict=True)]

    def _images(
        self, turn: Turn, tvars: Mapping[str, str], here: FieldPath, issues: list[Issue]
    ) -> list[Reference]:
        images: list[Reference] = []
        default = self.planner.source.recipe.fit
        for j, item in enumerate(turn.images or []):
            is_glob = not isinstance(item, str)
            where = (*here, "images", j, "path") if is_glob else (*here, "images", j)
            text = item if isinstance(item, str) else item.path
            settings = fit_settings(default, None if isinstance(item, str) else item.fit)
            entry, found = self.planner.renderer.render(text, tvars, where)
            issues += found
            if not found:
                fitted = settings is not None
                got, more = self.resolver.resolve(entry, is_glob, where, fitted=fitted)
                images += [Reference(image, settings, where) for image in got]
                issues += more
        return images

    def _config(
        self, index: int, turn: Turn, tvars: Mapping[str, str], issues: list[Issue]
    ) -> GenerationConfig | None:
        base_raw, over_raw = self.planner.source.recipe.config, turn.config
        if base_raw is None and over_raw is None:
            return None
        render = self.planner.renderer.render_tree
        base, found = render(base_raw or {}, tvars, ("config",))
        over, more = render(over_raw or {}, tvars, ("turns", index, "config"))
        issues += found + more
        if found or more:
            return None

        def where(rel: FieldPath) -> FieldPath:
            in_turn, in_recipe = depth(over_raw, rel), depth(base_raw, rel)
            if base_raw is not None and (over_raw is None or in_recipe > in_turn or in_turn == 0):
                return ("config", *rel)
            return ("turns", index, "config", *rel)

        merged = deep_merge(base, over)
        if not merged:
            return None  # `config: {}` sends no generationConfig at all
        config, found = validate_api(GenerationConfig, merged, ())
        issues += [_moved(issue, where) for issue in found]
        if config is not None:
            issues += check_config(self.info, config, where)
        return config


def _moved(issue: Issue, where: Callable[[FieldPath], FieldPath]) -> Issue:
    return issue.moved(where(issue.path))


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` merged into `base`: mappings merge key by key (snake_case and camelCase are the
    same key, written as in `over`), anything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        same = next((k for k in merged if camel_case(k) == camel_case(key)), None)
        old = merged.pop(same) if same is not None else None
        merged[key] = (
            deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return merged
