"""The budgeted sandbox renders every normal template exactly as Jinja's own sandbox does."""

from __future__ import annotations

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from wisdomgate.recipe.template_sandbox import BudgetedEnvironment
from wisdomgate.recipe.templating import Renderer

OPTIONS = {"undefined": StrictUndefined, "autoescape": False, "keep_trailing_newline": True}
VARIABLES = {"subject": "Monarch butterfly", "flag": "yes"}

# Loops, macros, filters, methods and operators as recipes use them, and some Jinja corners
# (constant folding inside {% autoescape %} blocks, blocks, recursive loops).
NORMAL = [
    "plain {{ subject }} text\n",
    "{% for i in range(5) %}{{ i }}{{ ', ' if not loop.last }}{% endfor %}",
    "{% for i in range(3) %}{% for j in range(3) %}{{ i * j }}{% endfor %};{% endfor %}",
    "{% for x in 'abc' %}{{ loop.index }}/{{ loop.length }}/{{ loop.revindex0 }}{% endfor %}",
    "{% for x in range(6) if x is odd %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}",
    "{% for x in [] %}a{% else %}empty{% endfor %}",
    "{% for k, v in {'a': 1, 'b': 2}|dictsort %}{{ k }}={{ v }} {% endfor %}",
    "{% for x in range(3)|map('string') %}{{ loop.first }}{{ loop.last }}{{ x }}{% endfor %}",
    "{% for x in [1, [2, [3, 4]], 5] recursive %}"
    "{{ loop.depth }}{% if x is iterable %}({{ loop(x) }}){% else %}{{ x }}{% endif %}{% endfor %}",
    "{% macro tag(name, n=2) %}<{{ name }}>{{ caller() * n }}</{{ name }}>{% endmacro %}"
    "{% call tag('b') %}hi{% endcall %}",
    "{% macro fact(n) %}{{ 1 if n < 2 else n * fact(n - 1)|int }}{% endmacro %}{{ fact(10) }}",
    "{% set ns = namespace(total=0, s='') %}{% for i in range(10) %}"
    "{% set ns.total = ns.total + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.total }} {{ ns.s }}",
    "{% set block %}{% for i in range(3) %}[{{ i }}]{% endfor %}{% endset %}{{ block|upper }}",
    "{% filter upper %}shout {{ subject }}{% endfilter %}",
    "{{ subject|capitalize }} {{ subject|title }} {{ subject|upper|lower }} {{ subject|length }}",
    "{{ subject|center(30) }}|{{ subject|truncate(9) }}|{{ subject|truncate(9, True, '~', 0) }}",
    "{{ ((subject ~ '\n') * 3)|indent(4, first=True) }}{{ 'a\nb\n\nc'|indent('> ', blank=True) }}",
    "{{ ((subject ~ ' ') * 30)|wordwrap(20) }} {{ 'a b c d e'|wordwrap(3, wrapstring=' / ') }}",
    "{{ range(10)|batch(3, 0)|list }} {{ range(10)|slice(3)|list }}",
    "{{ [3, 1, 2]|sort|join(', ') }} {{ [1, 2, 3]|sum }} {{ [[1], [2, 3]]|sum(start=[]) }}",
    "{{ [{'n': 'a'}, {'n': 'b'}]|join('-', attribute='n') }} {{ [1.5, 2.25]|sum|round(1) }}",
    "{{ '%s has %d legs (%.2f%%)'|format(subject, 6, 12.5) }} {{ '%(a)s-%(b)s'|format(a=1, b=2) }}",
    "{{ '%-8s|%08.3f|%x' % (subject[:5], 3.14159, 255) }} {{ '%*d' % (6, 42) }} {{ '%s' % 5 }}",
    "{{ '{} and {:>8} and {:.3f} and {!r}'.format(subject, 'x', 2 / 3, [1]) }}",
    "{{ '{a}-{b}'.format_map({'a': 1, 'b': 2}) }} {{ '{0:{1}}'.format(7, 5) }}",
    "{{ subject.upper().replace('M', 'W') }} {{ subject.split() }} {{ subject.ljust(20, '.') }}",
    "{{ subject|replace('a', 'A') }} {{ subject|replace('a', 'A', 1) }} {{ 'x'.zfill(5) }}",
    "{{ ', '.join(['a', 'b']) }} {{ 'a\tb'.expandtabs(4) }} {{ 'abc'.translate({97: 'AA'}) }}",
    "{{ subject[2:5] }} {{ subject[::-1] }} {{ [1, 2, 3][1:] }} {{ subject[0] }}",
    "{{ 2 ** 10 }} {{ 10 ** 10 ** 10 }} {{ 7 * 6 }} {{ 'ab' * 3 }} {{ [0] * 3 }} {{ 7 % 3 }}",
    "{{ 1 + 2 }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ 7 // 2 }} {{ 7 / 2 }} {{ -3 }} {{ 2 - 5 }}",
    "{{ {'a': [1, 2], 'b': None}|tojson }} {{ {'a': 1}|tojson(2) }} {{ [1, {'b': 2}]|pprint }}",
    "{{ 'see https://example.com now'|urlize }} {{ 'x@example.com'|urlize(target='_blank') }}",
    "{{ '<b>x</b>'|striptags }} {{ '<b>'|e }} {{ '<b>'|safe }} {{ 'a b'|urlencode }}",
    "{{ {'class': 'x', 'id': 1}|xmlattr }} {{ 1234567|filesizeformat }} {{ '42'|int + 1 }}",
    "{{ [1, 2, 2, 3]|unique|list }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }}",
    "{{ [1, 2, 3]|select('odd')|list }} {{ [1, 2, 3]|reject('odd')|list }} {{ [1, 2]|max }}",
    "{% for g in [{'k': 1, 'v': 'a'}, {'k': 1, 'v': 'b'}]|groupby('k') %}{{ g.grouper }}:"
    "{{ g.list|map(attribute='v')|join }}{% endfor %}",
    "{{ missing|default('fallback') }} {{ none|default('x', true) }} {{ subject is string }}",
    "{% set c = cycler('odd', 'even') %}{% for i in range(3) %}{{ c.next() }} {% endfor %}"
    "{% set j = joiner(', ') %}{% for i in range(3) %}{{ j() }}{{ i }}{% endfor %}",
    "{{ dict(a=1, b=2)|dictsort }} {{ dict(a=1).items()|list }} {{ {'a': 1}.get('a') }}",
    "{% set a = [] %}{% for i in range(3) %}{{ a.append(i) or '' }}{% endfor %}{{ a }}"
    "{% set d = {} %}{{ d.update({'x': 1}) or '' }}{{ d }}",
    "{{ '<b>'|safe ~ '<i>' }}{% autoescape true %}{{ '<b>'|safe ~ '<i>' }} {{ '<x>' }}"
    "{{ '{}'.format('<y>') }}{{ ('%s'|safe) % '<z>' }}{{ subject ~ '<' }}{% endautoescape %}",
    "{% autoescape flag %}{{ '<b>'|safe ~ '<i>' }} {{ '<x>' }} {{ subject ~ '<' }}"
    "{% autoescape false %}{{ '<y>' }}{% endautoescape %}{% endautoescape %}",
    "{% block body %}{{ 'in' ~ ' block' }}{{ subject[:3] }}{% endblock %} after",
    "{% with x = subject ~ '!' %}{{ x }}{% endwith %}{% if subject %}yes{% endif %}",
    "{# a comment #}{% raw %}{{ not rendered }}{% endraw %}",
    "{{ [1, 2] ~ 'x' ~ 3 ~ none }} {{ subject ~ 5 }} {{ range(3)|list|string|length }}",
    "{{ 3.14159|round(2) }} {{ 2.5|round(0, 'floor') }} {{ -2|abs }} {{ '3.5'|float }}",
    "{{ 'a,b'.split(',')|first }} {{ 'a,b'.split(',')|last }} {{ [1, 2]|length }}",
    "{{ 'word count here'|wordcount }} {{ '  pad  '|trim }} {{ 'xxhixx'|trim('x') }}",
]


@pytest.mark.parametrize("text", NORMAL)
def test_a_normal_template_renders_as_in_jinjas_own_sandbox(text: str) -> None:
    expected = SandboxedEnvironment(**OPTIONS).from_string(text).render(VARIABLES)
    env = BudgetedEnvironment(**OPTIONS)
    assert env.render(env.from_string(text), VARIABLES) == expected


def test_the_renderer_gives_the_same_text_and_no_issues() -> None:
    text = "{% for w in subject.split() %}{{ loop.index }}. {{ w|upper }}\n{% endfor %}"
    expected = SandboxedEnvironment(**OPTIONS).from_string(text).render(VARIABLES)
    assert Renderer().render(text, VARIABLES, ("prompt",)) == (expected, [])


def test_a_template_is_parsed_once_and_each_render_has_its_own_budget() -> None:
    renderer = Renderer()
    text = "{% for i in range(60000) %}{% endfor %}{{ subject }}"
    for _ in range(3):  # 180000 iterations in all, 60000 per render
        assert renderer.render(text, VARIABLES, ("prompt",)) == ("Monarch butterfly", [])
    assert list(renderer._parsed) == [text]


def test_the_renderer_still_knows_which_variables_a_template_uses() -> None:
    text = "{% for i in range(2) %}{{ subject ~ other }}{% endfor %}{{ third[1:] }}"
    assert Renderer().names_in(text) == {"subject", "other", "third"}


def test_the_budgets_own_filters_cannot_be_named_by_a_template() -> None:
    _, issues = Renderer().render("{{ 1|wisdomgate:loop }}", {}, ("prompt",))
    assert issues and issues[0].message.startswith("template syntax error")
