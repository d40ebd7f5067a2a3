"""Streaming: SSE decoding (WHATWG), huge data lines, error chunks after 200, closing the response."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.answers import blob_of, candidate_of, part_of
from wisdomgate_api import (
    AnswerLostError,
    APIResponseValidationError,
    Client,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    Stream,
    models,
)
from wisdomgate_api._core.sse import SSEDecoder

RECORDED_SSE = Path(__file__).parent / "data" / "recorded" / "image-thought-signature.sse.txt"
BODY = {"contents": [{"parts": [{"text": "draw a cat"}]}]}
EIGHT_MB = 8 * 1024 * 1024
OpenStream = Callable[..., Stream[models.GenerateContentResponse]]


class Chunks(httpx.SyncByteStream):
    """A response body delivered in the given pieces, remembering whether it was closed."""

    def __init__(self, pieces: list[bytes], error: Exception | None = None) -> None:
        self.pieces = pieces
        self.error = error
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def stream_of(sent: list[httpx.Request]) -> Iterator[OpenStream]:
    """stream_of(body_stream, content_type) -> the client's Stream over that response body."""
    clients: list[Client] = []

    def open_stream(
        body: httpx.SyncByteStream, content_type: str | None = "text/event-stream"
    ) -> Stream[models.GenerateContentResponse]:
        headers = {"content-type": content_type} if content_type else {}

        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return httpx.Response(200, stream=body, headers=headers)

        transport = httpx.MockTransport(handler)
        client = Client(api_key="test-key-123", transport=transport, retry=RetryPolicy())
        clients.append(client)
        return client.stream_generate_content("gemini-3-pro-image-preview", BODY)

    yield open_stream
    for client in clients:
        client.close()


def _event(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\r\n\r\n"


def _decode(*pieces: bytes) -> list[str]:
    decoder = SSEDecoder()
    found = [data for piece in pieces for data in decoder.feed(piece)]
    return [event.text.decode() for event in found + decoder.flush()]


# ---------------------------------------------------------------- the decoder


def test_decoder_yields_one_data_per_event() -> None:
    assert _decode(b"data: a\n\ndata: b\n\n") == ["a", "b"]


def test_decoder_joins_multi_line_data_with_newlines() -> None:
    assert _decode(b'data: {"a":\ndata: 1}\n\n') == ['{"a":\n1}']


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_decoder_accepts_every_line_ending(eol: bytes) -> None:
    assert _decode(b"data: x" + eol + eol + b"data: y" + eol + eol) == ["x", "y"]


def test_decoder_handles_crlf_split_across_chunks() -> None:
    assert _decode(b"data: x\r", b"\ndata: y\r", b"\n\r", b"\n") == ["x\ny"]


def test_decoder_handles_a_line_split_across_chunks() -> None:
    assert _decode(b"da", b"ta: hel", b"lo\n", b"\n") == ["hello"]


def test_decoder_ignores_comments_and_other_fields() -> None:
    assert _decode(b": keep-alive\nevent: message\nid: 7\nretry: 10\ndata: x\n\n") == ["x"]


def test_decoder_keeps_spaces_after_the_first() -> None:
    assert _decode(b"data:  two spaces\ndata:none\n\n") == [" two spaces\nnone"]


def test_decoder_skips_events_without_data() -> None:
    assert _decode(b"event: ping\n\n\n\ndata: x\n\n") == ["x"]


def test_decoder_strips_a_leading_bom() -> None:
    assert _decode(b"\xef\xbb\xbfdata: x\n\n") == ["x"]


def test_decoder_keeps_a_last_event_without_its_blank_line() -> None:
    assert _decode(b"data: x\n\ndata: last") == ["x", "last"]


def test_decoder_dispatches_a_data_line_with_an_empty_value() -> None:
    # WHATWG: only an event whose data buffer stayed empty (no data line at all) is dropped
    assert _decode(b"data:\n\nevent: ping\n\n") == [""]


def test_decoder_gives_lines_that_are_not_sse_fields_at_the_blank_line() -> None:
    body = b'{\n  "error": {\n    "code": 429\n  }\n}\n\ndata: x\n\n'
    assert _decode(body) == ['{\n  "error": {\n    "code": 429\n  }\n}', "x"]


def test_decoder_gives_lines_that_are_not_sse_fields_at_the_end_of_the_body() -> None:
    assert _decode(b'{"error": {"code": 500}}') == ['{"error": {"code": 500}}']


def test_decoder_does_not_keep_comments_or_known_fields_as_other_lines() -> None:
    assert _decode(b": ping\nevent: x\nid: 1\nretry: 5\n\n") == []


def test_decoder_handles_an_eight_megabyte_line_in_small_pieces() -> None:
    line = b"data: " + b"A" * EIGHT_MB + b"\n\n"
    pieces = [line[i : i + 65536] for i in range(0, len(line), 65536)]
    assert _decode(*pieces) == ["A" * EIGHT_MB]


# ---------------------------------------------------------------- the client's stream


def test_recorded_image_stream_parses(stream_of: OpenStream, sent: list[httpx.Request]) -> None:
    body = Chunks([RECORDED_SSE.read_bytes()])
    with stream_of(body) as stream:
        chunks = list(stream)
    assert len(chunks) == 2
    first, last = chunks
    part = part_of(first)
    assert blob_of(first).mime_type == "image/jpeg"
    assert part.thought_signature == "live-image-thought-signature"
    assert candidate_of(last).finish_reason == models.FinishReason.STOP
    assert last.usage_metadata is not None
    assert last.usage_metadata.thoughts_token_count == 167
    assert sent[0].url.params["alt"] == "sse"


def test_stream_requests_event_stream(stream_of: OpenStream, sent: list[httpx.Request]) -> None:
    with stream_of(Chunks([_event({"responseId": "r1"})])) as stream:
        list(stream)
    assert sent[0].url.path.endswith(":streamGenerateContent")
    assert sent[0].headers["accept"] == "text/event-stream"


def test_eight_megabyte_thought_signature_line(stream_of: OpenStream) -> None:
    signature = "A" * EIGHT_MB
    chunk = {"candidates": [{"content": {"parts": [{"text": "", "thoughtSignature": signature}]}}]}
    data = _event(chunk)
    body = Chunks([data[i : i + 100_000] for i in range(0, len(data), 100_000)])
    with stream_of(body) as stream:
        (only,) = list(stream)
    assert part_of(only).thought_signature == signature


def test_error_chunk_after_200_raises_the_typed_error(stream_of: OpenStream) -> None:
    error = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
    body = Chunks([_event({"responseId": "r1"}), _event(error)])
    seen: list[str | None] = []
    with pytest.raises(RateLimitError) as caught, stream_of(body) as stream:
        seen.extend(chunk.response_id for chunk in stream)
    assert seen == ["r1"]
    assert (caught.value.status_code, caught.value.message) == (429, "quota")


def test_error_chunk_without_code_is_classed_by_status(stream_of: OpenStream) -> None:
    body = Chunks([_event({"error": {"message": "overloaded", "status": "UNAVAILABLE"}})])
    with pytest.raises(ServiceUnavailableError), stream_of(body) as stream:
        list(stream)


def test_error_chunk_closes_the_response(stream_of: OpenStream) -> None:
    body = Chunks([_event({"error": {"code": 500, "message": "boom"}})])
    stream = stream_of(body)
    with pytest.raises(Exception, match="boom"):
        list(stream)
    assert body.closed


def test_finished_stream_closes_the_response(stream_of: OpenStream) -> None:
    body = Chunks([_event({"responseId": "r1"})])
    assert len(list(stream_of(body))) == 1
    assert body.closed


def test_leaving_the_with_block_early_closes_the_response(stream_of: OpenStream) -> None:
    body = Chunks([_event({"responseId": "r1"}), _event({"responseId": "r2"})])
    with stream_of(body) as stream:
        next(stream)
    assert body.closed


def test_dropped_connection_raises_answer_lost_and_closes(stream_of: OpenStream) -> None:
    body = Chunks([_event({"responseId": "r1"})], error=httpx.RemoteProtocolError("peer closed"))
    with pytest.raises(AnswerLostError, match="peer closed") as caught:
        list(stream_of(body))
    assert (caught.value.status_code, caught.value.cause) == (200, "RemoteProtocolError")
    assert body.closed


def test_a_json_array_stream_cut_mid_way_raises_answer_lost(
    stream_of: OpenStream, sent: list[httpx.Request]
) -> None:
    body = Chunks([b'[{"responseId": "r1"},'], error=httpx.ReadError("connection reset"))
    with pytest.raises(AnswerLostError, match="connection reset"):
        list(stream_of(body, "application/json"))
    assert len(sent) == 1


def test_data_that_is_not_json_raises_response_validation_error(stream_of: OpenStream) -> None:
    with pytest.raises(APIResponseValidationError):
        list(stream_of(Chunks([b"data: {not json\n\n"])))


def test_chunk_that_does_not_fit_raises_response_validation_error(stream_of: OpenStream) -> None:
    with pytest.raises(APIResponseValidationError):
        list(stream_of(Chunks([_event({"candidates": "nope"})])))


def test_a_json_array_body_is_read_as_chunks(stream_of: OpenStream) -> None:
    body = Chunks([json.dumps([{"responseId": "r1"}, {"responseId": "r2"}]).encode()])
    stream = stream_of(body, "application/json")
    assert [chunk.response_id for chunk in stream] == ["r1", "r2"]


# ---------------------------------------------------------------- bodies that are not data: lines

RATE_LIMITED = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}


def test_error_json_without_content_type_raises_the_typed_error(stream_of: OpenStream) -> None:
    body = Chunks([json.dumps(RATE_LIMITED).encode()])
    with pytest.raises(RateLimitError, match="quota"), stream_of(body, None) as stream:
        list(stream)


def test_pretty_printed_error_under_event_stream_raises_the_typed_error(
    stream_of: OpenStream,
) -> None:
    text = json.dumps(RATE_LIMITED, indent=2).replace("\n", "\r\n").encode()
    body = Chunks([text[i : i + 7] for i in range(0, len(text), 7)])
    with pytest.raises(RateLimitError, match="quota"), stream_of(body) as stream:
        list(stream)


def test_empty_body_raises_response_validation_error(stream_of: OpenStream) -> None:
    with pytest.raises(APIResponseValidationError, match="without any chunk"):
        list(stream_of(Chunks([])))


def test_body_of_comments_only_raises_response_validation_error(stream_of: OpenStream) -> None:
    with pytest.raises(APIResponseValidationError, match="without any chunk"):
        list(stream_of(Chunks([b": keep-alive\n\n: keep-alive\n\n"])))


def test_empty_json_array_raises_response_validation_error(stream_of: OpenStream) -> None:
    with pytest.raises(APIResponseValidationError, match="without any chunk"):
        list(stream_of(Chunks([b"[]"]), "application/json"))


def test_error_json_body_closes_the_response(stream_of: OpenStream) -> None:
    body = Chunks([json.dumps(RATE_LIMITED).encode()])
    with pytest.raises(RateLimitError):
        list(stream_of(body, None))
    assert body.closed


def test_undecodable_stream_body_raises_response_validation_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
        return httpx.Response(200, stream=Chunks([b"not gzip"]), headers=headers)

    client = Client(api_key="test-key-123", transport=httpx.MockTransport(handler))
    with client, pytest.raises(APIResponseValidationError, match="DecodingError"):
        list(client.stream_generate_content("m", BODY))


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.text(alphabet="ab {}:\"'", max_size=30), min_size=1, max_size=6),
    eol=st.sampled_from([b"\n", b"\r", b"\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_decoder_gives_the_same_events_however_the_body_is_cut(
    values: list[str], eol: bytes, cuts: list[int]
) -> None:
    body = b"".join(b"data: " + value.encode() + eol + eol for value in values)
    points = sorted({min(cut, len(body)) for cut in cuts} | {0, len(body)})
    pieces = [body[a:b] for a, b in itertools.pairwise(points)]
    assert _decode(*pieces) == values
