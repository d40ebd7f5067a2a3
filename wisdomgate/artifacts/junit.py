"""`--junit FILE`: the results of `wisdomgate run` as a JUnit XML report for CI dashboards.

What the runs cost (USD paid in this invocation) is a `cost_usd` <property> of each <testsuite>
and <testcase> (<testsuites> holds no properties in the JUnit schemas: the batch's total is the
summary's); a run the --max-cost budget kept from starting is
<skipped type="budget">.

One <testsuite> per recipe, one <testcase> per run (classname = recipe, name = run id). A run
that failed on the model's answer (refused, unfinished, an expectation not met) is a <failure>;
one that could not be judged at all (an API, connection or input error, an unparsable answer,
a bug in wisdomgate, a request a --replay cassette lacks) is an <error>, as JUnit separates
broken tests from failing ones.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from wisdomgate.artifacts.folders import atomic_write_bytes
from wisdomgate.run import OutcomeKind, RunResult, TurnRecord, total_usd

__all__ = ["ERROR_KINDS", "junit_xml", "write_junit"]

ERROR_KINDS = frozenset(
    {
        OutcomeKind.API_ERROR,
        OutcomeKind.CONNECTION_ERROR,
        OutcomeKind.ANSWER_LOST,
        OutcomeKind.INVALID_RESPONSE,
        OutcomeKind.INPUT_ERROR,
        OutcomeKind.INTERNAL_ERROR,
        OutcomeKind.FOLDER_BUSY,
        OutcomeKind.NOT_RECORDED,
    }
)

# Characters XML 1.0 cannot hold, even escaped: one in a model's text would make the file
# unreadable, so it becomes U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Redact = Callable[[str], str]
_COUNTS = ("tests", "failures", "errors", "skipped")


def write_junit(path: Path, results: Sequence[RunResult], redact: Redact) -> None:
    """Write the report to path atomically (UTF-8)."""
    atomic_write_bytes(path, junit_xml(results, redact))


def junit_xml(results: Sequence[RunResult], redact: Redact) -> bytes:
    """The report: a <testsuites> document, every text redacted."""
    root = ET.Element("testsuites", name="wisdomgate")
    by_recipe: dict[str, list[RunResult]] = {}
    for result in results:
        by_recipe.setdefault(result.plan.recipe_name, []).append(result)
    for name, runs in by_recipe.items():
        root.append(_suite(name, runs, redact))
    _count(root, list(root))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _suite(name: str, runs: list[RunResult], redact: Redact) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(name, redact))
    costs = [turn.cost for result in runs for turn in result.record.turns]
    suite.append(_properties({"cost_usd": total_usd(costs, charged=True)}))
    cases = [_case(result, redact) for result in runs]
    suite.extend(cases)
    _count(suite, cases)
    return suite


def _count(element: ET.Element, children: list[ET.Element]) -> None:
    """Set tests/failures/errors/skipped/time: from test cases, or summed over test suites."""
    if element.tag == "testsuites":
        total = {key: sum(int(child.get(key, "0")) for child in children) for key in _COUNTS}
    else:
        total = {
            "tests": len(children),
            "failures": sum(case.find("failure") is not None for case in children),
            "errors": sum(case.find("error") is not None for case in children),
            # runs the --max-cost budget kept from starting; --only and --shard leave the
            # other runs out of the report
            "skipped": sum(case.find("skipped") is not None for case in children),
        }
    for key, value in total.items():
        element.set(key, str(value))
    seconds = sum(float(child.get("time", "0")) for child in children)
    element.set("time", f"{seconds:.3f}")


def _case(result: RunResult, redact: Redact) -> ET.Element:
    record = result.record
    case = ET.Element(
        "testcase",
        classname=_clean(result.plan.recipe_name, redact),
        name=_clean(result.plan.run_id, redact),
        time=f"{(record.duration_ms or 0) / 1000:.3f}",
    )
    costs = [turn.cost for turn in record.turns]
    charged, everything = total_usd(costs, charged=True), total_usd(costs, charged=False)
    # cost_all_usd: reused and replayed answers too
    case.append(_properties({"cost_usd": charged, "cost_all_usd": everything}))
    turn = _failed_turn(record.turns)
    if turn is not None and turn.outcome is not None and turn.outcome.kind is OutcomeKind.BUDGET:
        ET.SubElement(case, "skipped", message=_clean(record.reason, redact), type="budget")
    elif not result.passed:
        kind = turn.outcome.kind if turn and turn.outcome else OutcomeKind.INTERNAL_ERROR
        tag = "error" if kind in ERROR_KINDS else "failure"
        verdict = ET.SubElement(case, tag, message=_clean(record.reason, redact), type=kind.value)
        verdict.text = _clean(_details(record.reason, turn), redact)
    out = ET.SubElement(case, "system-out")
    out.text = _clean(_files(result), redact)
    return case


def _failed_turn(turns: list[TurnRecord]) -> TurnRecord | None:
    """The turn that failed the run (the turns after it are only `not_run`)."""
    for turn in turns:
        if turn.outcome is None or not turn.outcome.passed:
            return turn
    return None


def _details(reason: str, turn: TurnRecord | None) -> str:
    """The reason, the model's own words and each failed expectation, expected vs actual."""
    lines = [reason]
    outcome = turn.outcome if turn else None
    if outcome is not None:
        if outcome.model_text:
            lines.append(f"model said: {outcome.model_text}")
        if outcome.http_status is not None:
            lines.append(f"HTTP {outcome.http_status} {outcome.error_status or ''}".rstrip())
        if outcome.traceback:
            lines.append(outcome.traceback.rstrip())
    failed = [check for check in (turn.expectations if turn else []) if not check.passed]
    if failed:
        lines.append("failed expectations:")
        lines.extend(f"  {check.describe()}" for check in failed)
    return "\n".join(lines)


def _files(result: RunResult) -> str:
    lines = [f"folder: {result.folder}", f"manifest: {result.folder / 'manifest.json'}"]
    lines.extend(f"image: {image}" for image in result.images)
    return "\n".join(lines)


def _clean(text: str, redact: Redact) -> str:
    return _NOT_XML.sub("\ufffd", redact(text))


def _properties(values: dict[str, float]) -> ET.Element:
    """<properties> with each value as a <property> (USD to six decimals)."""
    properties = ET.Element("properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=f"{value:.6f}")
    return properties
