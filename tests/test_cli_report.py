"""What the CLI prints is one printable line per event, whatever a model or a recipe holds."""

from __future__ import annotations

import io

from wisdomgate.cli.console import Reporter, terminal_text
from wisdomgate_api import Redactor


def test_control_characters_are_escaped() -> None:
    assert terminal_text("red \x1b[31mtext\x07\nnext") == "red \\x1b[31mtext\\x07\\x0anext"


def test_undecodable_bytes_are_escaped() -> None:
    assert terminal_text("caf\udce9") == "caf\\xe9"


def test_ordinary_text_is_unchanged() -> None:
    assert terminal_text("PASS kite [style=watercolour, aspect=16:9] — 2 images") == (
        "PASS kite [style=watercolour, aspect=16:9] — 2 images"
    )


def test_a_reporter_line_is_masked_then_escaped() -> None:
    stream = io.StringIO()
    Reporter(stream, Redactor("sk-secret-123")).line("model said: sk-secret-123\x1b[2J")
    assert stream.getvalue() == "model said: ***\\x1b[2J\n"
