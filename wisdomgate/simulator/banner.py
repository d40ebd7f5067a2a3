"""What `wisdomgate serve` prints once listening: where, which keys, and a line per client.

The built-in SIMULATOR_KEY is shown (it is not a secret: it only opens the simulator); keys
given with `--api-key` are counted, never shown. The copy-paste lines start at the first
column, so that a Python line pasted into the REPL is not an IndentationError.
"""

from __future__ import annotations

import json
from dataclasses import fields

from wisdomgate.simulator.config import SIMULATOR_KEY, SimulatorConfig
from wisdomgate.simulator.faults import FaultSpec
from wisdomgate_api import API_KEY_ENV

__all__ = ["CURL_MODEL", "CURL_PROMPT", "base_url_for", "render_banner"]

CURL_MODEL = "gemini-2.5-flash"
"""A text model: the curl line prints a short JSON answer, not a screenful of base64 PNG."""
CURL_PROMPT = "How does AI work?"  # the seed page's first example

_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def base_url_for(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to host:port."""
    shown = _WILDCARDS.get(host, host)  # 0.0.0.0 is where one listens, not where one connects
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def render_banner(host: str, port: int, config: SimulatorConfig) -> str:
    """The startup block (lines ending in newlines) of a simulator serving config on host:port."""
    base_url = base_url_for(host, port)
    lines = [f"wisdomgate simulator listening on {base_url}; Ctrl-C stops it"]
    if host in _WILDCARDS:
        lines.append(f"(on all interfaces: other machines use this one's address, port {port})")
    lines += [
        _keys_line(config),
        _other_keys_line(config),
    ]
    if config.fault_specs or config.latency:
        lines.append(_faults_line(config))
    lines += _client_lines(base_url, config)
    return "".join(f"{line}\n" for line in lines)


def _keys_line(config: SimulatorConfig) -> str:
    given = len(config.api_keys - {SIMULATOR_KEY})
    counted = f"{given} key{'' if given == 1 else 's'} given with --api-key (not shown)"
    if SIMULATOR_KEY not in config.api_keys:
        return f"API key: {counted}"
    builtin = f"API key: {SIMULATOR_KEY} (built in, not a secret)"
    return f"{builtin} + {counted}" if given else builtin


def _other_keys_line(config: SimulatorConfig) -> str:
    if config.accept_any_key:
        return "other keys: accepted (--accept-any-key: on)"
    return (
        "other keys: refused, 400 API key not valid"
        " (--accept-any-key: off; accept yours with --api-key KEY)"
    )


def _faults_line(config: SimulatorConfig) -> str:
    shown = [_fault_text(spec) for spec in config.fault_specs]
    if config.latency:
        shown.append(f"latency {config.latency:g}s per request")
    return f"faults: {', '.join(shown)}"


def _fault_text(spec: FaultSpec) -> str:
    """spec in --fault syntax, with only the options that differ from the defaults."""
    default = FaultSpec(spec.kind)
    options = []
    for field in fields(spec):
        if field.name == "kind":
            continue
        value = getattr(spec, field.name)
        if value != getattr(default, field.name):
            shown = "*" if value is None else f"{value:g}" if isinstance(value, float) else value
            options.append(f";{field.name}={shown}")
    return spec.kind + "".join(options)


def _client_lines(base_url: str, config: SimulatorConfig) -> list[str]:
    # With the built-in key accepted the lines work as pasted; otherwise they read the key the
    # user set in API_KEY_ENV, as the seed page's examples do.
    literal = config.key_is_valid(SIMULATOR_KEY)
    env_prefix = f"{API_KEY_ENV}={SIMULATOR_KEY} " if literal else ""
    python_key = f'"{SIMULATOR_KEY}"' if literal else f'os.environ["{API_KEY_ENV}"]'
    import_os = "" if literal else "import os; "
    header_key = SIMULATOR_KEY if literal else f"${API_KEY_ENV}"
    body = json.dumps({"contents": [{"parts": [{"text": CURL_PROMPT}]}]})
    return [
        "# the recipe runner",
        f"{env_prefix}wisdomgate run recipes --base-url {base_url}",
        "# the typed client (Python)",
        f"{import_os}import wisdomgate_api; client = wisdomgate_api.Client("
        f'api_key={python_key}, base_url="{base_url}")',
        "# google-genai (Python)",
        f"{import_os}from google import genai; from google.genai import types; client = genai.Client("
        f'api_key={python_key}, http_options=types.HttpOptions(base_url="{base_url}",'
        ' api_version="v1beta"))',
        "# curl",
        f'curl -s -X POST "{base_url}/v1beta/models/{CURL_MODEL}:generateContent"'
        f' -H "x-goog-api-key: {header_key}" -H "Content-Type: application/json"'
        f" -d '{body}'",
    ]
