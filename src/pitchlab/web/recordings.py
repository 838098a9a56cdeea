"""Real calls: the rep uploads a recording or a meeting transcript, reads where it is, says which
speaker they are, opens the call's report in History, and deletes it. Each page goes through
the same service as /api/recordings (``recordings.service``).

The upload's CSRF check reads no more of the body than the form's fields ahead of the file.
``CsrfChecked`` (``web.csrf.check``) would read ``request.form()``: the whole file, spooled to
the server's temporary disk, before the upload's own streaming parser (``recordings.upload``)
could see a byte of it, which would then find the body consumed. So ``upload_csrf_checked``
reads the body's first messages (at most ``HEAD_LIMIT`` bytes) until the ``csrf_token`` part has
ended, checks that token through ``csrf.check`` exactly as any form's (Origin, the cookie's
secret, the signature), and hands the upload a request that replays those messages before the
rest. The page's form puts the token before the file input, and browsers send parts in form
order; a body whose token is not ahead of the file is refused (403) before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.types import Message, Receive

from pitchlab.auth.dependencies import Principal
from pitchlab.deps import AppDatabase, AppProviders, AppSettings, ClientIp
from pitchlab.providers.prospect import LANGUAGE_NAMES
from pitchlab.recordings import service, upload
from pitchlab.recordings.schemas import MAX_SPEAKER, MAX_TITLE, RecordingOut, SpeakerChoice
from pitchlab.web import charts, csrf
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import form_values
from pitchlab.web.routing import WebRoute, form_errors
from pitchlab.web.scorecards import scorecard_choices
from pitchlab.web.session import BrowserUser, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LIST = "recordings/list.html"
ONE = "recordings/recording.html"
PAGE_SIZE = 20
# The form's fields ahead of the file are a token and a few short values: far below this.
HEAD_LIMIT = 64 * 1024
MAX_TOKEN = 256
ACCEPT = ".wav,.mp3,.m4a,.webm,.ogg,.vtt,.srt"
KIND_NAMES = {"audio": "Audio", "transcript": "Transcript"}
STATUS_WORDS = {"processing": "Being transcribed", "needs_speaker": "Choose which speaker is you",
                "ready": "Ready", "failed": "Failed"}
DONE = {"deleted": "The recording is deleted.", "chosen": "Thanks: the call is being scored."}
Cursor = Annotated[str | None, Query(max_length=200)]


def status_words(recording: RecordingOut) -> str:
    """The recording's status as the rep reads it (a failure with its reason)."""
    words = STATUS_WORDS[recording.status]
    return f"{words}: {recording.failure}" if recording.status == "failed" and (
        recording.failure) else words


def _summary(recording: RecordingOut) -> dict[str, Any]:
    seconds = recording.duration_seconds
    return {"id": recording.id, "title": recording.title,
            "kind": KIND_NAMES[recording.kind], "status": recording.status,
            "status_words": status_words(recording),
            "language": LANGUAGE_NAMES.get(recording.language or "", "Not set"),
            "duration": charts.clock(seconds * 1000) if seconds is not None else None,
            "created_at": recording.created_at}


# ---------------------------------------------------------------- CSRF ahead of the file


class _TokenAhead:
    """Multipart callbacks that keep the ``csrf_token`` part's value, and say when reading on
    is pointless: the token's part ended, or the file's part began."""

    def __init__(self) -> None:
        self.token: bytes | None = None
        self.done = False
        self._name: str | None = None
        self._value = bytearray()
        self._field, self._header = bytearray(), bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        def extend(into: bytearray) -> Callable[[bytes, int, int], None]:
            return lambda data, start, end: into.extend(data[start:end])

        return {"on_part_begin": self._begin, "on_header_field": extend(self._field),
                "on_header_value": extend(self._header), "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data, "on_part_end": self._end}

    def _begin(self) -> None:
        self._name = None
        self._value.clear()

    def _header_end(self) -> None:
        if bytes(self._field).lower() == b"content-disposition":
            self._name = upload.part_name(bytes(self._header))
        self._field.clear()
        self._header.clear()

    def _headers_finished(self) -> None:
        if self._name == upload.FILE_FIELD:
            self.done = True  # the token comes before the file, or not at all

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._name == csrf.FIELD and not self.done:
            self._value.extend(data[start:end])

    def _end(self) -> None:
        if self._name == csrf.FIELD and not self.done:
            self.token, self.done = bytes(self._value).strip(), True


async def _read_ahead(request: Request, boundary: bytes) -> tuple[list[Message], bytes | None]:
    """The body's messages up to the end of the ``csrf_token`` part (or the file's start, or
    ``HEAD_LIMIT``), and the token found in them."""
    finder = _TokenAhead()
    parser = upload.new_parser(boundary, finder.callbacks())  # BadUpload: the form again, 422
    messages: list[Message] = []
    size = 0
    while not finder.done and size <= HEAD_LIMIT:
        message = await request.receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client went away: the upload will see it too
        body = message.get("body", b"")
        size += len(body)
        try:
            parser.write(body)
        except FormParserError:
            break  # malformed: no token (the upload's parser would refuse it anyway)
        if not message.get("more_body", False):
            break
    return messages, finder.token


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _carrying(request: Request, token: bytes | None) -> Request:
    """The request as ``csrf.check`` reads a header-borne token: this token (or none) in the
    header, no form to read."""
    kept = [(name, value) for name, value in request.scope["headers"]
            if name not in (b"content-type", csrf.HEADER.encode())]
    if token and len(token) <= MAX_TOKEN:
        kept.append((csrf.HEADER.encode(), token))
    return Request({**request.scope, "headers": kept})


async def upload_csrf_checked(request: Request, settings: AppSettings) -> Request:
    """``CsrfChecked`` for the upload, without reading the file (see the module's docstring).
    Returns the request to stream the upload from."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if (request.headers.get(csrf.HEADER) is not None or content_type != b"multipart/form-data"
            or not boundary):
        await csrf.check(request, settings)  # a header's token, or a small non-file form
        return request
    messages, token = await _read_ahead(request, boundary)
    await csrf.check(_carrying(request, token), settings)
    return Request(request.scope, _replaying(messages, request.receive))


CheckedUpload = Annotated[Request, Depends(upload_csrf_checked)]


# ------------------------------------------------------------------------------ the list


async def _list(session: AsyncSession, principal: Principal, cursor: str | None,
                **extra: Any) -> dict[str, Any]:
    items, next_cursor = await service.list_recordings(session, principal, cursor, PAGE_SIZE)
    return {"nav": "recordings", "recordings": [_summary(item) for item in items],
            "next_cursor": next_cursor, "cursor": cursor, "accept": ACCEPT,
            "languages": [("", "Detect it"), *LANGUAGE_NAMES.items()],
            "scorecards": await scorecard_choices(session, principal),
            "max_title": MAX_TITLE, "max_speaker": MAX_SPEAKER, **extra}


@router.get("/recordings")
async def recordings_page(request: Request, principal: BrowserUser, session: DbSession,
                          cursor: Cursor = None,
                          done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    context = await _list(session, principal, cursor, message=DONE.get(done or ""))
    return render(request, LIST, context, principal=principal)


@router.post("/recordings")
async def upload_recording(
    request: Request, checked: CheckedUpload, principal: BrowserUser, session: DbSession,
    settings: AppSettings, database: AppDatabase, providers: AppProviders, ip: ClientIp,
) -> Response:
    """The API's upload (``checked`` first: the CSRF check runs before anything else). The
    list is read before the upload streams in, for the form shown again on a refusal; the
    fields typed are inside the streamed body and are not shown again."""
    context = await _list(session, principal, None)
    with form_errors(LIST, context, principal=principal):
        accepted = await service.receive_upload(
            session, checked, service.Uploader.of(principal, settings, database, providers, ip))
    return redirect(request, f"/recordings/{accepted.id}")


# -------------------------------------------------------------------------- one recording


def _one(recording: RecordingOut, **extra: Any) -> dict[str, Any]:
    return {"nav": "recordings", "recording": recording, "summary": _summary(recording),
            "form": {}, **extra}


@router.get("/recordings/{recording_id:uuid}")
async def recording_page(request: Request, recording_id: UUID, principal: BrowserUser,
                         session: DbSession,
                         done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    recording = await service.get_recording(session, principal, recording_id)
    return render(request, ONE, _one(recording, message=DONE.get(done or "")),
                  principal=principal)


@router.post("/recordings/{recording_id:uuid}/speaker", dependencies=[CsrfChecked])
async def choose_speaker(request: Request, recording_id: UUID, principal: BrowserUser,
                         session: DbSession) -> Response:
    recording = await service.get_recording(session, principal, recording_id)
    values = await form_values(request, "rep_speaker")
    with form_errors(ONE, _one(recording, form=values), principal=principal):
        choice = SpeakerChoice.model_validate(values)
        await service.choose_speaker(session, principal, recording_id, choice.rep_speaker)
    return redirect(request, f"/recordings/{recording_id}?done=chosen")


@router.post("/recordings/{recording_id:uuid}/delete", dependencies=[CsrfChecked])
async def delete_recording(request: Request, recording_id: UUID, principal: BrowserUser,
                           session: DbSession, providers: AppProviders,
                           ip: ClientIp) -> Response:
    await service.delete_recording(session, providers.files, principal, recording_id, ip)
    return redirect(request, "/recordings?done=deleted")
