"""A local HTTP server for the benchmarks, in a process of its own (its CPU is not measured).

`python -m bench.server BODY_FILE CONTENT_TYPE` listens on 127.0.0.1 (port printed on stdout)
and answers every POST with BODY_FILE, except a path containing "warmup", which gets a small
answer. It reads each request body to the end and says how many bytes it got in the
`x-received-bytes` header. `serve()` starts it and gives the base URL.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["SMALL_ANSWER", "serve"]

SMALL_ANSWER = json.dumps(
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "index": 0}]}
).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body_file: Path
    content_type: str

    def do_POST(self) -> None:
        left = int(self.headers.get("content-length") or 0)
        received = 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            received += len(chunk)
            left -= len(chunk)
        small = "warmup" in self.path
        size = len(SMALL_ANSWER) if small else self.body_file.stat().st_size
        self.send_response(200)
        self.send_header("content-type", "application/json" if small else self.content_type)
        self.send_header("content-length", str(size))
        self.send_header("x-received-bytes", str(received))
        self.end_headers()
        if small:
            self.wfile.write(SMALL_ANSWER)
            return
        with self.body_file.open("rb") as body:
            self.connection.sendfile(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the table is the output


def main() -> None:
    """Serve BODY_FILE until killed."""
    _Handler.body_file = Path(sys.argv[1])
    _Handler.content_type = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextlib.contextmanager
def serve(body_file: Path, content_type: str = "application/json") -> Iterator[str]:
    """Run the server in a child process for the block; its base URL."""
    command = [sys.executable, "-m", "bench.server", str(body_file), content_type]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
