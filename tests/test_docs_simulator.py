"""docs/simulator.md's "First five minutes" works as written, against a started `wisdomgate serve`.

Every block of the section runs: the serve command starts the server (on a free port), the
banner block is what it prints, and each client block runs with the documented URL replaced
by the real one; so does each line the banner offers to paste. curl runs when installed, else
the same request goes through httpx.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve_process import ServeProcess, serve_process

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "simulator.md"
DOC_URL = "http://127.0.0.1:8765"  # the default port the page shows
SECTION = "## First five minutes"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
RUN_TIMEOUT = 120.0


def section_blocks() -> list[tuple[str, str]]:
    """(language, code) of each fenced block of the section, in order."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return FENCE.findall(text[start : end if end != -1 else None])


BLOCKS = section_blocks()
CLIENT_BLOCKS = [
    (language, code)
    for language, code in BLOCKS
    if language == "python" or (language == "sh" and not code.startswith("wisdomgate serve"))
]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ServeProcess, str]]:
    """The section's own serve command, on a free port: (process, its banner)."""
    serve_blocks = [code for language, code in BLOCKS if code.startswith("wisdomgate serve")]
    assert serve_blocks == ["wisdomgate serve\n"]
    with serve_process() as process:
        yield process, process.banner()
        process.stop(signal.SIGTERM)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch folder to run a block in, with the checkout's recipes/ visible as ./recipes."""
    (tmp_path / "recipes").symlink_to(ROOT / "recipes", target_is_directory=True)
    return tmp_path


def client_env() -> dict[str, str]:
    """The test's environment, with this venv's `wisdomgate` first on PATH and no real key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISDOM_GATE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_section_shows_serve_a_banner_and_every_client() -> None:
    languages = [language for language, _ in BLOCKS]
    assert languages == ["sh", "text", "sh", "python", "python", "sh"]
    joined = "".join(code for _, code in CLIENT_BLOCKS)
    for client in ("wisdomgate run", "wisdomgate_api.Client(", "genai.Client(", "curl "):
        assert client in joined


def test_the_banner_block_is_what_serve_prints(served: tuple[ServeProcess, str]) -> None:
    process, banner = served
    shown = next(code for language, code in BLOCKS if language == "text")
    assert banner.replace(process.url(banner), DOC_URL) == shown


def client_name(code: str) -> str:
    """A test id for a client block."""
    for marker, name in (
        ("wisdomgate run", "run"),
        ("wisdomgate_api", "typed"),
        ("genai", "genai"),
    ):
        if marker in code:
            return name
    return code.split()[0]


@pytest.mark.parametrize(
    ("language", "code"), CLIENT_BLOCKS, ids=[client_name(code) for _, code in CLIENT_BLOCKS]
)
def test_each_client_block_runs_against_the_server(
    served: tuple[ServeProcess, str], workdir: Path, language: str, code: str
) -> None:
    process, banner = served
    assert DOC_URL in code  # the block talks to the documented server, not elsewhere
    runnable = code.replace(DOC_URL, process.url(banner))
    if language == "python":
        output = run([sys.executable, "-c", runnable], workdir)
    elif runnable.startswith("curl ") and shutil.which("curl") is None:
        output = curl_with_httpx(runnable)
    else:
        output = run(["sh", "-ec", runnable], workdir)
    assert output.strip()
    if runnable.startswith("curl "):
        assert json.loads(output)["candidates"][0]["finishReason"] == "STOP"


# A pasted Python line only builds a client; one call shows it reaches the server with its key.
FIRST_CALL = {
    "wisdomgate_api": "print(client.list_models().models[0].name)",
    "genai": "print(next(iter(client.models.list())).name)",
}


def banner_copy_lines(banner: str) -> list[str]:
    """The banner's lines to paste: each follows a `# client` comment line."""
    lines = banner.splitlines()
    return [line for before, line in itertools.pairwise(lines) if before.startswith("#")]


@pytest.mark.parametrize("index", range(4), ids=["run", "typed", "genai", "curl"])
def test_each_banner_line_runs_as_pasted(
    served: tuple[ServeProcess, str], workdir: Path, index: int
) -> None:
    process, banner = served
    line = banner_copy_lines(banner)[index]
    assert process.url(banner) in line
    if line.startswith(("import ", "from ")):
        call = next(call for marker, call in FIRST_CALL.items() if marker in line)
        output = run([sys.executable, "-c", f"{line}\n{call}"], workdir)
    elif line.startswith("curl ") and shutil.which("curl") is None:
        output = curl_with_httpx(line)
    else:
        output = run(["sh", "-ec", line], workdir)
    assert output.strip()


def run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=client_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def curl_with_httpx(command: str) -> str:
    """The response body of the curl command, sent with httpx (the flags the page uses)."""
    args = shlex.split(command.replace("\\\n", " "))
    assert args[0] == "curl"
    method, url, headers, data = "GET", "", {}, None
    words = iter(args[1:])
    for word in words:
        if word == "-s":
            continue
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            data = next(words)
        elif word.startswith("-"):
            raise AssertionError(f"curl flag {word!r} has no httpx equivalent here")
        else:
            url = word
    response = httpx.request(method, url, headers=headers, content=data, timeout=RUN_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.text


def test_curl_with_httpx_reads_the_page_flags(served: tuple[ServeProcess, str]) -> None:
    # The fallback must stay equivalent: it is what runs where curl is not installed.
    process, banner = served
    curl = next(code for _, code in CLIENT_BLOCKS if code.startswith("curl "))
    output = curl_with_httpx(curl.replace(DOC_URL, process.url(banner)))
    assert json.loads(output)["candidates"][0]["finishReason"] == "STOP"
