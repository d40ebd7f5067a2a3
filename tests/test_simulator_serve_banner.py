"""The banner `wisdomgate serve` prints: where it listens, which keys it takes, a line per client."""

from __future__ import annotations

import argparse
import itertools

from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, add_serve_arguments
from wisdomgate.simulator.banner import base_url_for, render_banner

GIVEN = "zq9-given-key-0123456789"


def banner(config: SimulatorConfig | None = None, host: str = "127.0.0.1") -> str:
    return render_banner(host, 8765, config or SimulatorConfig())


def copy_lines(text: str) -> list[str]:
    """The banner's copy-paste lines: each follows a `# client` comment line."""
    lines = text.splitlines()
    return [line for before, line in itertools.pairwise(lines) if before.startswith("#")]


def test_first_line_is_the_url_to_use() -> None:
    assert (
        banner()
        .splitlines()[0]
        .startswith("wisdomgate simulator listening on http://127.0.0.1:8765")
    )


def test_shows_the_built_in_key_it_is_not_a_secret() -> None:
    assert f"API key: {SIMULATOR_KEY} (built in, not a secret)\n" in banner()


def test_counts_given_keys_and_never_shows_them() -> None:
    text = banner(SimulatorConfig(api_keys=frozenset({SIMULATOR_KEY, GIVEN, GIVEN + "-2"})))
    assert "+ 2 keys given with --api-key (not shown)" in text
    assert GIVEN[:3] not in text


def test_says_other_keys_are_refused_and_how_to_accept_them() -> None:
    line = banner().splitlines()[2]
    assert "400 API key not valid" in line
    assert "--accept-any-key: off" in line and "--api-key KEY" in line


def test_says_when_any_key_is_accepted() -> None:
    assert "other keys: accepted (--accept-any-key: on)" in banner(
        SimulatorConfig(accept_any_key=True)
    )


def test_lists_faults_and_latency_only_when_set() -> None:
    assert "faults:" not in banner()
    config = SimulatorConfig(faults=("503;rate=0.2;count=*", "429"), latency=0.5)
    assert "faults: 503;count=*;rate=0.2, 429, latency 0.5s per request\n" in banner(config)


def test_has_a_line_for_each_client() -> None:
    url = "http://127.0.0.1:8765"
    assert copy_lines(banner()) == [
        f"WISDOM_GATE_KEY={SIMULATOR_KEY} wisdomgate run recipes --base-url {url}",
        f'import wisdomgate_api; client = wisdomgate_api.Client(api_key="{SIMULATOR_KEY}",'
        f' base_url="{url}")',
        "from google import genai; from google.genai import types; client = genai.Client("
        f'api_key="{SIMULATOR_KEY}", http_options=types.HttpOptions(base_url="{url}",'
        ' api_version="v1beta"))',
        f'curl -s -X POST "{url}/v1beta/models/gemini-2.5-flash:generateContent"'
        f' -H "x-goog-api-key: {SIMULATOR_KEY}" -H "Content-Type: application/json"'
        """ -d '{"contents": [{"parts": [{"text": "How does AI work?"}]}]}'""",
    ]


def test_copy_lines_start_at_the_first_column() -> None:
    # A Python line pasted into the REPL with leading spaces is an IndentationError.
    assert all(not line[0].isspace() for line in banner().splitlines())


def test_without_the_built_in_key_the_lines_read_the_key_from_the_environment() -> None:
    text = banner(SimulatorConfig(api_keys=frozenset({GIVEN})))
    assert SIMULATOR_KEY not in text and GIVEN[:3] not in text
    assert "API key: 1 key given with --api-key (not shown)" in text
    run, typed, genai, curl = copy_lines(text)
    assert run.startswith("wisdomgate run recipes")
    assert 'api_key=os.environ["WISDOM_GATE_KEY"]' in typed and typed.startswith("import os;")
    assert 'api_key=os.environ["WISDOM_GATE_KEY"]' in genai
    assert '-H "x-goog-api-key: $WISDOM_GATE_KEY"' in curl


def test_on_all_interfaces_the_lines_use_loopback() -> None:
    text = banner(host="0.0.0.0")
    assert text.splitlines()[0].startswith(
        "wisdomgate simulator listening on http://127.0.0.1:8765"
    )
    assert "(on all interfaces" in text
    assert "0.0.0.0" not in text


def test_an_ipv6_host_is_bracketed() -> None:
    assert base_url_for("::1", 8765) == "http://[::1]:8765"
    assert base_url_for("::", 8765) == "http://[::1]:8765"


def test_quiet_is_off_by_default() -> None:
    parser = argparse.ArgumentParser()
    add_serve_arguments(parser)
    assert parser.parse_args([]).quiet is False
    assert parser.parse_args(["--quiet"]).quiet is True
