"""One run while it goes: its conversation, the files it knows, its record, and the bytes of each
file it has yet to write.

Everything here runs on the event loop and touches no disk: the runner hands the bytes to its
disk threads (wisdomgate.run.offload). Nothing is held or done twice: a request is hashed in one
streaming pass over the exact body the client sends (RequestBody: reference images are read from
their files, never held as base64), an answer image is written from where the client put it
(hashed as it is written), and the manifest finds each image's file by the data object itself
(wire.DataRefs) instead of decoding and hashing it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from wisdomgate.catalog import load_catalog
from wisdomgate.recipe import ImageInput, PlannedRun, PlannedTurn
from wisdomgate.run.answer import Answer
from wisdomgate.run.conversation import Conversation
from wisdomgate.run.expectations import check_expectations
from wisdomgate.run.outcomes import (
    OutcomeKind,
    TurnOutcome,
    classify_answer,
    classify_error,
    not_run,
    undecodable_images,
)
from wisdomgate.run.records import ImageRecord, RunRecord, TurnRecord
from wisdomgate.run.resume import PaidAnswer
from wisdomgate.run.store import (
    MANIFEST_NAME,
    FileRef,
    FittedRef,
    image_file_name,
    response_file_name,
    text_file_name,
)
from wisdomgate.run.wire import (
    DataRefs,
    compact_request,
    response_metadata,
    strip_inline_data,
    wire_objects,
)
from wisdomgate_api import Base64Data, Base64File, Redactor
from wisdomgate_api._core.encoding import RequestBody
from wisdomgate_api.models import Blob, Content, GenerateContentRequest, GenerateContentResponse

__all__ = ["Files", "RunState"]

# (name, bytes) for what is built in memory; (name, opener) for an answer image that is read
# from where the client put it (a big one in a file), so it is written without a copy
Files = list[tuple[str, bytes | Callable[[], BinaryIO]]]


class RunState:
    """One run's conversation, known files, record and pending file bytes."""

    def __init__(self, plan: PlannedRun, record: RunRecord, redactor: Redactor) -> None:
        self.plan = plan
        self.record = record
        self.redactor = redactor
        self.conversation = Conversation(plan)
        self.refs = DataRefs()
        self.references: Mapping[Path, str] = {}  # reference image -> its path from the folder
        self.paid: dict[int, PaidAnswer] = {}  # answers of an earlier run, for --resume
        self.lost: dict[int, str] = {}  # turn -> request sha256 whose answer an earlier run lost
        self.current = record.turns[0]  # the turn in progress (blamed for an internal error)
        self._pending: Files = []  # an answer's text and response, written with the manifest
        model = load_catalog().get(plan.model)
        self._dimensions = model.dimensions if model else {}

    def prepare(
        self, turn: PlannedTurn, record: TurnRecord
    ) -> tuple[GenerateContentRequest, Content]:
        """Build, encode and hash the turn's request and record its manifest form; the request
        to send and the user Content it adds. OSError or ToolkitError when it cannot be built."""
        request, user = self.conversation.request_for(turn)
        self._note_references(turn, user)
        body = RequestBody.of(request)  # what the client sends, byte for byte
        record.request_sha256 = body.sha256()
        record.request_bytes = body.content_length
        # The history holds turns 1..N-1's answers in order: a run stops at its first failure.
        answered = range(1, turn.number)
        record.request = compact_request(wire_objects(request), answered, self.refs)
        return request, user

    def early_request(self, resume: bool) -> tuple[GenerateContentRequest, Content] | None:
        """Turn 1's request when it needs nothing from the folder (no --resume, no reference
        images): built before the folder is opened, its manifest written in the same disk call."""
        turns = self.plan.turns
        if resume or not turns or turns[0].images:
            return None
        try:
            return self.prepare(turns[0], self.record.turns[0])
        except Exception:
            return None  # built again in its turn, where the failure is recorded

    def _note_references(self, turn: PlannedTurn, user: Content) -> None:
        """Tie each reference image's base64 object to its file (its sha256 is in the plan)."""
        refs = [self._reference(image) for image in turn.images]
        for ref in refs:
            self.refs.know(ref)
        blobs = _data_blobs(user)
        if len(blobs) != len(refs):
            return  # not the shape user_content builds: DataRefs decodes and hashes them
        for blob, ref in zip(blobs, refs, strict=True):
            if blob.data is not None and _holds(blob.data, ref):
                self.refs.add(blob.data, ref)

    def _reference(self, image: ImageInput) -> FileRef:
        name = self.references.get(image.path) or image.path.resolve().as_posix()
        how = image.fitted
        if how is None:
            return FileRef(name, image.sha256, image.size_bytes)
        source = self._reference(how.source)  # the original, as the recipe names it
        fit = {
            "long_side": how.long_side,
            "auto": how.auto,
            "width": how.width,
            "height": how.height,
            "mimeType": image.mime_type,
            "quality": how.quality,
        }
        return FittedRef(name, image.sha256, image.size_bytes, source, fit)

    def decode(self, record: TurnRecord, response: GenerateContentResponse) -> Answer | None:
        """The answer read out of the response; None (the outcome set) when its data is not
        base64."""
        try:
            return Answer.from_response(response)
        except ValueError as exc:
            record.outcome = classify_error(exc)
            return None

    def image_files(self, number: int, answer: Answer) -> Files:
        """The answer's image files to write: `turn-<N>-<K>.<ext>`, thought images apart."""
        files: Files = []
        final = thought = 0
        for image in answer.images:
            if image.thought:
                thought += 1
                name = image_file_name(number, thought, image.mime_type, thought=True)
            else:
                final += 1
                name = image_file_name(number, final, image.mime_type)
            files.append((name, image.open))
        return files

    def answered(
        self,
        turn: PlannedTurn,
        record: TurnRecord,
        answer: Answer,
        user: Content,
        images: Sequence[FileRef],
    ) -> None:
        """Record the answer (images: the files image_files named, written), queue its text and
        response files, judge it, and extend the history when it passed."""
        self._record_images(answer, record, images)
        if answer.text:
            record.text_file = text_file_name(turn.number)
            self._pending.append((record.text_file, self.redactor(answer.text).encode("utf-8")))
        stored = strip_inline_data(wire_objects(answer.response), self.refs)
        # turn-<N>.response.json: the whole answer (images as file references), for --resume
        kept = {"request_sha256": record.request_sha256, "response": stored}
        self._pending.append((response_file_name(turn.number), self._json(kept)))
        record.response = response_metadata(stored)
        if answer.undecodable:  # paid for and kept on disk, but no image to judge or to send on
            record.outcome = undecodable_images(answer)
            return
        record.expectations = check_expectations(turn.expect, answer, known_sizes=self.known_sizes)
        record.outcome = classify_answer(
            answer,
            record.expectations,
            image_expected=_image_expected(turn),
            expected_finish=turn.expect.finish_reason,
        )
        if record.outcome.passed and answer.content is not None:
            self.conversation.record(user, answer.content)

    def _record_images(self, answer: Answer, record: TurnRecord, refs: Sequence[FileRef]) -> None:
        blobs = _image_blobs(answer.content)
        paired = len(blobs) == len(answer.images)  # the parts Answer.images was read from
        for index, (image, ref) in enumerate(zip(answer.images, refs, strict=True)):
            size = (image.width, image.height)
            record.images.append(ImageRecord(ref, image.mime_type, image.thought, *size))
            data = blobs[index].data if paired else None
            if data is not None and _holds(data, ref):
                self.refs.add(data, ref)

    def known_sizes(self, ratio: str) -> Collection[tuple[int, int]]:
        """The model's documented pixel sizes for an aspect ratio (catalog)."""
        return list(self._dimensions.get(ratio, {}).values())

    def files_to_save(self) -> tuple[Files, bool]:
        """The pending answer files plus the manifest, and whether they hold an answer (then
        they are to be made durable: the durability policy in docs/running.md)."""
        files, self._pending = self._pending, []
        return [*files, (MANIFEST_NAME, self._json(self.record.to_json()))], bool(files)

    def conclude(self, finished_at: str, duration_ms: int) -> None:
        """Mark the turns after the first failure as not run, and conclude the record."""
        record = self.record
        failed = next((t for t in record.turns if t.outcome is None or not t.outcome.passed), None)
        if failed is not None:
            for later in record.turns[failed.number :]:
                later.outcome = later.outcome or not_run(failed.number)
            reason = failed.outcome.reason if failed.outcome else "failed"
            record.reason = f"turn {failed.number}: {reason}"
        record.status = "failed" if failed is not None else "passed"
        record.finished_at = finished_at
        record.duration_ms = duration_ms

    def _json(self, value: Any) -> bytes:
        # compact: the C encoder (indent would take the pure-Python one) and a smaller file
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"
        return self.redactor(text).encode("utf-8")


def input_error(exc: Exception) -> TurnOutcome:
    """The outcome of a turn whose request could not be built."""
    return TurnOutcome(OutcomeKind.INPUT_ERROR, False, f"cannot build request: {exc}")


def _data_blobs(content: Content | None) -> list[Blob]:
    parts = (content.parts if content else None) or []
    blobs = [part.inline_data for part in parts if part.inline_data is not None]
    return [blob for blob in blobs if blob.data is not None]


def _image_blobs(content: Content | None) -> list[Blob]:
    """The blobs Answer.images reads, in its order: inline data with an image/ MIME type."""
    return [b for b in _data_blobs(content) if (b.mime_type or "").startswith("image/")]


def _holds(data: Base64Data | Base64File, ref: FileRef) -> bool:
    """A cheap check that data is the file's bytes: as long as their base64 text would be."""
    if isinstance(data, Base64File):
        return data.size == ref.bytes
    return len(data) == 4 * ((ref.bytes + 2) // 3)


def _image_expected(turn: PlannedTurn) -> bool:
    """An image is expected when `expect: images` asks for one, or (when that is not set) when
    the config asks for the IMAGE modality: `images: 0` accepts a text-only answer."""
    if turn.expect.images is not None:
        return turn.expect.images > 0
    config = turn.generation_config
    modalities = config.response_modalities if config else None
    return any(str(modality) == "IMAGE" for modality in modalities or [])
