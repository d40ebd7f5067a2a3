"""Templates render within a budget: a hostile template cannot hang validation or exhaust its
memory; it is refused, with the field, what went over and a fix."""

from __future__ import annotations

import itertools
import textwrap
import time
from pathlib import Path

import pytest

from wisdomgate import cli
from wisdomgate.errors import RecipeErrors
from wisdomgate.recipe.loader import load_plans, validate_paths
from wisdomgate.recipe.template_budget import MAX_LOOP_ITERATIONS, MAX_OUTPUT, TemplateBudgetError
from wisdomgate.recipe.template_sandbox import BudgetedEnvironment
from wisdomgate.recipe.templating import Renderer

WHERE = ("turns", 0, "prompt")
BIG = {"big": "x" * 400_000}  # a large but allowed variable
LOOPS = "loops ran more than 100000 iterations"
CALLS = "more than 100000 calls"
WRITES = "the template writes more than 1000000 characters"
MAKES = "the template makes more than 100000000 characters and items"
RECURSION = "recursion too deep"


def refusal(text: str) -> str:
    """The one issue a template gets, checked to be a template error at WHERE."""
    rendered, issues = Renderer().render(text, BIG, WHERE)
    assert rendered == text and len(issues) == 1, issues
    issue = issues[0]
    assert issue.path == WHERE and issue.fix and issue.message.startswith("template error: ")
    return issue.message


# (Jinja's ** groups to the left: 10 ** 10 ** 10 is (10 ** 10) ** 10.)
HOSTILE = {
    "nested loops": (
        "{% for i in range(90000) %}{% for j in range(90000) %}{% endfor %}{% endfor %}",
        LOOPS,
    ),
    "string repeat": ("{{ 'x' * 10**9 }}", "'*' would make a value of about 1000000000 characters"),
    "list repeat": ("{{ [0] * 10**9 }}", "'*' would make a value of about 1000000000"),
    "power": ("{{ 10 ** (10 ** 10) }}", "'**' would make an integer of more than 10000 bits"),
    "left power": ("{{ 10 ** 10 ** 10 ** 10 ** 10 }}", "'**' would make an integer"),
    "product": ("{{ (2 ** 9000) * (2 ** 9000) }}", "'*' would make an integer"),
    "percent width": ("{{ '%0999999999d' % 1 }}", "'%' would make a value of about 1000000"),
    "percent star": ("{{ '%*d' % (10**9, 1) }}", "'%' would make a value"),
    "percent keys": ("{{ '%(a)s%(a)s%(a)s' % {'a': big} }}", "'%' would make a value"),
    "concat": ("{{ big ~ big ~ big }}", "'~' would make a value of about 1200000"),
    "plus": ("{{ big + big + big }}", "'+' would make a value of about 1200000"),
    "ljust": ("{{ 'x'.ljust(10**9) }}", "method 'ljust' would make a value of about 1000000000"),
    "center method": ("{{ 'x'.center(10**9) }}", "method 'center' would make a value"),
    "rjust": ("{{ 'x'.rjust(10**9, '-') }}", "method 'rjust' would make a value"),
    "zfill": ("{{ '1'.zfill(10**9) }}", "method 'zfill' would make a value"),
    "expandtabs": ("{{ '\t\t'.expandtabs(10**9) }}", "method 'expandtabs' would make a value"),
    "replace method": ("{{ 'ab'.replace('', big) }}", "method 'replace' would make a value"),
    "join method": ("{{ big.join(['a'] * 10) }}", "method 'join' would make a value"),
    "translate": ("{{ big.translate({120: 'yyy'}) }}", "method 'translate' would make a value"),
    "to_bytes": ("{{ (1).to_bytes(10**9, 'big') }}", "method 'to_bytes' length is 1000000000"),
    "format width": ("{{ '{:>999999999}'.format(1) }}", "str.format would make a value"),
    "format nested": ("{{ '{:{w}}'.format(1, w=10**9) }}", "str.format would make a value"),
    "format repeat": ("{{ ('{0}' * 10).format(big) }}", "str.format would make a value"),
    "center": (
        "{{ 'x'|center(10**9) }}",
        "filter 'center' width is 1000000000, over the limit of 1000000",
    ),
    "indent": ("{{ 'x'|indent(10**9) }}", "filter 'indent' width is 1000000000"),
    "indent string": ("{{ ('a\n' * 1000)|indent(big) }}", "filter 'indent' would make a value"),
    "wordwrap": ("{{ big|wordwrap(1) }}", "filter 'wordwrap' would make about 400001 lines"),
    "wordwrap string": (
        "{{ 'a b c'|wordwrap(1, wrapstring=big) }}",
        "filter 'wordwrap' would make",
    ),
    "batch": ("{{ [1]|batch(10**9, 0)|list }}", "filter 'batch' linecount is 1000000000"),
    "slice": ("{{ [1]|slice(10**9)|list }}", "filter 'slice' slices is 1000000000"),
    "truncate": ("{{ 'x'|truncate(10**9) }}", "filter 'truncate' length is 1000000000"),
    "format filter": ("{{ '%999999999s'|format(1) }}", "filter 'format' would make a value"),
    "round": ("{{ 5|round(-10**9) }}", "filter 'round' precision is -1000000000"),
    "tojson": ("{{ {'a': [1]}|tojson(10**9) }}", "filter 'tojson' indent is 1000000000"),
    "join": ("{{ ([big] * 10)|join }}", "filter 'join' would make a value of about 1200000"),
    "replace": ("{{ big|replace('', big) }}", "filter 'replace' would make a value"),
    "sum lists": ("{{ ([[1]] * 100000)|sum(start=[]) }}", "filter 'sum' would copy about"),
    "string": ("{{ ([big] * 10)|string }}", "filter 'string' would make a value"),
    "urlize": ("{{ 'a.com b.com'|urlize(target=big * 2) }}", "filter 'urlize' would make a value"),
    "recursive macro": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", RECURSION),
    "branching macro": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        CALLS,
    ),
    "recursive loop": ("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", RECURSION),
    "wide recursive loop": (
        "{% for x in [range(60000), range(60000)] recursive %}{% if x is iterable %}{{ loop(x) }}{% endif %}{% endfor %}",
        LOOPS,
    ),
    "growing loop": ("{% set a = [1] %}{% for x in a %}{{ a.append(x) or '' }}{% endfor %}", LOOPS),
    "big output": ("{% for i in range(3) %}{{ big }}{% endfor %}", WRITES),
    "captured output": (
        "{% set x %}{% for i in range(3) %}{{ big }}{% endfor %}{% endset %}",
        WRITES,
    ),
    "captured text": (
        "{% set x %}{% for i in range(99999) %}" + "y" * 20 + "{% endfor %}{% endset %}",
        WRITES,
    ),
    "macro output": ("{% macro m() %}{{ big }}{% endmacro %}{% set x = [m(), m(), m()] %}", WRITES),
    "filter block": (
        "{% for i in range(9) %}{% filter center(999999) %}{% endfilter %}{% endfor %}",
        WRITES,
    ),
    "doubling concat": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "'~' would make a value of about 1048576",
    ),
    "doubling list": (
        "{% set a = [1] %}{% for i in range(30) %}{{ a.extend(a) }}{% endfor %}",
        "method 'extend' would make a value",
    ),
    "kept strings": (
        "{% set a = [] %}{% for i in range(1000) %}{{ a.append(big ~ i) }}{% endfor %}",
        MAKES,
    ),
    "kept slices": (
        "{% set a = [] %}{% for i in range(1000) %}{{ a.append(big[i:]) }}{% endfor %}",
        MAKES,
    ),
    "kept filter results": ("{{ range(1000)|map('center', 999999)|list|length }}", MAKES),
}


@pytest.mark.parametrize(("text", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_is_refused_with_what_went_over(text: str, expected: str) -> None:
    assert expected in refusal(text)


def test_the_loop_budget_counts_the_iterations_of_all_loops_together() -> None:
    half = "{% for i in range(" + str(MAX_LOOP_ITERATIONS // 2) + ") %}{% endfor %}"
    fits = half + half
    assert Renderer().render(fits, {}, WHERE) == ("", [])
    assert LOOPS in refusal(fits + "{% for i in range(1) %}{% endfor %}")


def test_the_refusal_says_how_many_iterations_loops_may_run() -> None:
    nested = HOSTILE["nested loops"][0]
    [issue] = Renderer().render(nested, {}, WHERE)[1]
    assert issue.fix == "simplify the template; loops may run at most 100000 iterations in all"


def test_a_field_may_write_up_to_the_output_budget() -> None:
    exact = "{{ 'x' * " + str(MAX_OUTPUT) + " }}"
    assert len(Renderer().render(exact, {}, WHERE)[0]) == MAX_OUTPUT
    assert WRITES in refusal(exact + "!")


def test_lipsum_is_not_available() -> None:
    [issue] = Renderer().render("{{ lipsum(n=10**9) }}", {}, WHERE)[1]
    assert issue.message == "undefined variable 'lipsum'"


def test_a_template_past_the_deadline_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wisdomgate.recipe.template_budget.MAX_SECONDS", 3.0)
    ticks = itertools.count(0.0, 1.0)  # a clock that moves one second per look
    monkeypatch.setattr("wisdomgate.recipe.template_budget.time.monotonic", lambda: next(ticks))
    env = BudgetedEnvironment()
    with pytest.raises(TemplateBudgetError, match="rendering took more than 3 seconds") as caught:
        env.render(env.from_string("{% for i in range(10) %}{{ i }}{% endfor %}"), {})
    assert caught.value.fix == "simplify the template; a field may take at most 3 seconds to render"


@pytest.mark.parametrize(
    "text",
    [
        "{% for a in [1] %}" * 25 + "{% endfor %}" * 25,
        "{{ " + "(" * 400 + "1" + ")" * 400 + " }}",
    ],
    ids=["loops", "brackets"],
)
def test_a_template_nested_too_deeply_is_a_syntax_error_not_a_crash(text: str) -> None:
    [issue] = Renderer().render(text, {}, WHERE)[1]
    assert issue.message == "template syntax error: the template is nested too deeply to compile"
    assert issue.fix == "nest fewer brackets, loops and blocks inside each other"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return path


def test_a_hostile_system_instruction_is_refused_at_its_line(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        """
        version: 1
        model: gemini-2.5-flash
        system: "{% for i in range(90000) %}{% for j in range(90000) %}{% endfor %}{% endfor %}"
        turns: [{prompt: hi}]
        """,
    )
    started = time.monotonic()
    [error] = validate_paths([recipe]).errors
    assert time.monotonic() - started < 20  # refused, not run for minutes (very generous)
    assert (error.field, error.line, error.column) == ("system", 3, 9)
    assert error.message == f"template error: {LOOPS}"


def test_a_memory_bomb_in_a_config_value_names_the_field(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        """
        version: 1
        model: gemini-2.5-flash
        turns:
          - prompt: hi
            config: {temperature: "{{ '1' * 10**9 }}"}
        """,
    )
    with pytest.raises(RecipeErrors) as caught:
        load_plans([recipe])
    [error] = caught.value.errors
    assert error.field == "turns[0].config.temperature"
    assert "'*' would make a value of about 1000000000 characters" in error.message


def test_validate_refuses_a_hostile_recipe_with_exit_2_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write(
        tmp_path,
        """
        version: 1
        model: gemini-2.5-flash
        turns:
          - prompt: "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }} and {{ 'x' * 10**9 }}"
        """,
    )
    assert cli.main(["validate", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "hostile.yaml:4" in err and RECURSION in err and "Traceback" not in err
