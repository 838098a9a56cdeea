"""Receiving an upload: the multipart body is parsed as it streams in and the file part goes
straight to the file store, a buffer at a time, so a 200 MB recording never sits in memory
(nor in a temporary file of the web server's, as ``request.form()`` would make).

The file's type is decided by its first bytes (``formats.sniff``), never by its name or the
client's Content-Type: a part whose first 4 KiB are no audio or transcript format Pitchlab
reads is refused before anything is stored. The body's size is capped by the app's body-limit
middleware (``PITCHLAB_MAX_UPLOAD_BYTES`` for this path: 413 while it streams in).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from pitchlab.providers.storage import FileWriter
from pitchlab.recordings.errors import BadUpload, UnsupportedMediaType
from pitchlab.recordings.formats import FileKind, sniff

FILE_FIELD = "file"
TEXT_FIELDS = frozenset({"language", "rep_speaker", "title", "scorecard_id"})
MAX_FIELD_BYTES = 1024
SNIFF_BYTES = 4096


@dataclass
class Received:
    """What an upload brought: the stored file's kind and size, and the text fields."""

    kind: FileKind
    size_bytes: int
    filename: str | None
    fields: dict[str, str]


@dataclass
class _Part:
    name: str | None = None
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _Parts:
    """The parser's callbacks, turned into a list of events to act on (the callbacks are
    synchronous; writing to the store is not)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []
        self._header_field = bytearray()
        self._header_value = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": lambda: self.events.append(("begin", b"")),
            "on_part_data": lambda data, start, end: self.events.append(("data",
                                                                         bytes(data[start:end]))),
            "on_part_end": lambda: self.events.append(("end", b"")),
            "on_header_field": lambda data, start, end: self._header_field.extend(
                data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(
                data[start:end]),
            "on_header_end": self._header_end,
            "on_end": lambda: self.events.append(("finished", b"")),
        }

    def _header_end(self) -> None:
        self.events.append(("header", bytes(self._header_field).lower() + b"\x00"
                            + bytes(self._header_value)))
        self._header_field.clear()
        self._header_value.clear()


class _Receiver:
    """Acts on the parts as they arrive: text fields kept (small), the file sniffed and then
    streamed to the store."""

    def __init__(self, open_writer: Callable[[FileKind], Awaitable[FileWriter]]) -> None:
        self._open_writer = open_writer
        self.fields: dict[str, str] = {}
        self.writer: FileWriter | None = None
        self.kind: FileKind | None = None
        self.size = 0
        self.filename: str | None = None
        self._part = _Part()
        self._file_done = False
        self.finished = False  # the closing boundary arrived: the body is whole

    async def handle(self, event: str, data: bytes) -> None:
        if event == "begin":
            self._part = _Part()
        elif event == "header":
            self._header(*data.split(b"\x00", 1))
        elif event == "data":
            await self._data(data)
        elif event == "end":
            await self._end()
        elif event == "finished":
            self.finished = True

    def _header(self, name: bytes, value: bytes) -> None:
        if name != b"content-disposition":
            return
        self._part.name = part_name(value)
        _, options = parse_options_header(value)
        filename = options.get(b"filename")
        self._part.filename = filename.decode("utf-8", "replace") if filename else None

    async def _data(self, data: bytes) -> None:
        name = self._part.name
        if name == FILE_FIELD:
            await self._file_data(data)
        elif name in TEXT_FIELDS:
            if len(self._part.data) + len(data) > MAX_FIELD_BYTES:
                raise BadUpload(f"`{name}` is longer than {MAX_FIELD_BYTES} bytes.")
            self._part.data += data
        # other parts are read past and dropped

    async def _file_data(self, data: bytes) -> None:
        if self._file_done:
            raise BadUpload("Send one file per upload.")
        self.size += len(data)
        if self.writer is not None:
            await self.writer.write(data)
            return
        self._part.data += data
        if len(self._part.data) >= SNIFF_BYTES:
            await self._start_file()

    async def _start_file(self) -> None:
        """The first bytes are in: decide the type, then open the store and write them."""
        head = bytes(self._part.data)
        kind = sniff(head[:SNIFF_BYTES])
        if kind is None:
            raise UnsupportedMediaType
        self.kind, self.filename = kind, self._part.filename
        self.writer = await self._open_writer(kind)
        await self.writer.write(head)
        self._part.data.clear()

    async def _end(self) -> None:
        name = self._part.name
        if name == FILE_FIELD and not self._file_done:
            if self.writer is None:
                if not self._part.data:
                    raise BadUpload("The file is empty.")
                await self._start_file()  # a file shorter than the sniffed head
            self._file_done = True
        elif name in TEXT_FIELDS:
            try:
                self.fields[name] = self._part.data.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise BadUpload(f"`{name}` is not UTF-8 text.") from None
            if "\x00" in self.fields[name]:
                raise BadUpload(f"`{name}` contains a NUL character.")


async def receive(request: Request,
                  open_writer: Callable[[FileKind], Awaitable[FileWriter]]) -> Received:
    """Parse the upload as it streams in. On any refusal (or a client that goes away) the
    file written so far is removed from the store."""
    boundary = _boundary(request)
    parts = _Parts()
    parser = new_parser(boundary, parts.callbacks())
    receiver = _Receiver(open_writer)
    try:
        async for chunk in request.stream():
            _parse(parser, chunk)
            await _drain(parts, receiver)
        parser.finalize()
        await _drain(parts, receiver)
        if not receiver.finished:  # a body cut short would store half a file
            raise BadUpload("The upload ended before its closing multipart boundary.")
        if receiver.writer is None or receiver.kind is None:
            raise BadUpload("Attach the recording or transcript as the `file` part.")
        await receiver.writer.finish()
    except BaseException:
        if receiver.writer is not None:
            await receiver.writer.abort()
        raise
    return Received(receiver.kind, receiver.size, receiver.filename, receiver.fields)


def part_name(content_disposition: bytes) -> str:
    """The form field a part's Content-Disposition header names."""
    _, options = parse_options_header(content_disposition)
    return options.get(b"name", b"").decode("utf-8", "replace")


def new_parser(boundary: bytes, callbacks: dict[str, Callable[..., None]]) -> MultipartParser:
    """The multipart parser of ``boundary``; one it refuses (longer than RFC 2046's 70 characters
    by far) is a malformed upload."""
    try:
        return MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    except FormParserError as error:
        raise BadUpload(f"The multipart boundary is refused: {error}") from None


def _parse(parser: MultipartParser, chunk: bytes) -> None:
    try:
        parser.write(chunk)
    except MultipartParseError as error:
        raise BadUpload(f"The multipart body is malformed: {error}") from None


async def _drain(parts: _Parts, receiver: _Receiver) -> None:
    events, parts.events = parts.events, []
    for event, data in events:
        await receiver.handle(event, data)


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise BadUpload("Send the upload as multipart/form-data with a `file` part.")
    return boundary
