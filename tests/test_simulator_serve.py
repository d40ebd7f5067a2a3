"""`wisdomgate serve` as a new user meets it: the banner on stderr, keys, --quiet (subprocess)."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.serve_process import serve_process
from wisdomgate.simulator import SIMULATOR_KEY

pytestmark = pytest.mark.slow

GIVEN = "zq9-given-key-0123456789"
WRONG = "xj7-wrong-key-0123456789"


def test_the_banner_gives_the_bound_url_even_for_port_0() -> None:
    with serve_process() as served:
        url = served.url(served.banner())
        assert not url.endswith(":0")
        response = httpx.get(f"{url}/v1beta/models", headers={"x-goog-api-key": SIMULATOR_KEY})
        assert response.status_code == 200


def test_given_and_refused_keys_never_reach_stderr() -> None:
    with serve_process("--api-key", GIVEN) as served:
        url = served.url(served.banner())
        for key, status in ((GIVEN, 200), (WRONG, 400)):
            response = httpx.get(f"{url}/v1beta/models", params={"key": key})
            assert response.status_code == status
        served.stop(signal.SIGTERM)
        stderr = served.stderr()
    assert "refused: unknown API key" in stderr
    assert GIVEN[:3] not in stderr and WRONG[:3] not in stderr  # not even a prefix


def test_quiet_prints_uvicorns_startup_lines_and_no_banner() -> None:
    with serve_process("--quiet") as served:
        startup = served.read_until(lambda line: "Uvicorn running on" in line)
        url = served.url(startup)
        assert httpx.get(f"{url}/v1beta/models", params={"key": SIMULATOR_KEY}).status_code == 200
        served.stop(signal.SIGTERM)
        stderr = served.stderr()
    assert "Started server process" in startup
    assert "wisdomgate simulator listening" not in stderr and "# curl" not in stderr


def test_without_quiet_uvicorns_startup_lines_give_way_to_the_banner() -> None:
    with serve_process() as served:
        banner = served.banner()
        served.stop(signal.SIGTERM)
        stderr = served.stderr()
    assert stderr.startswith(banner)  # the first thing printed
    assert "Uvicorn running on" not in stderr and "Started server process" not in stderr
