"""An upload's multipart body parsed as it arrives (python-multipart): the file part's bytes go
straight on to the store while they are hashed, never spooled to a temporary file first; the
small text fields around it (a delivery's note) are kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sportello.contracts.fields import FieldError
from sportello.errors import BadRequest, ValidationFailed
from starlette.requests import Request

# A text field of an upload form (the note) is short; past this it is refused.
MAX_FIELD_BYTES = 16_384


class UploadBody:
    """The body of `POST … multipart/form-data` with one `file` part and optional text fields."""

    def __init__(self, request: Request, file_field: str = "file"):
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise BadRequest("Invia il file come multipart/form-data.")
        self.request = request
        self.file_field = file_field
        self.filename: str | None = None
        self.content_type: str | None = None
        self.fields: dict[str, str] = {}
        self._events: list[tuple[str, bytes]] = []
        self._headers: dict[bytes, bytes] = {}
        self._header: list[bytes] = [b"", b""]
        self._part: str | None = None        # "file", a field's name, or None (skipped)
        self._text = bytearray()
        self._seen_file = False
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
            "on_header_field": lambda d, s, e: self._header.__setitem__(0, self._header[0] + d[s:e]),
            "on_header_value": lambda d, s, e: self._header.__setitem__(1, self._header[1] + d[s:e]),
            "on_header_end": self._header_end, "on_headers_finished": self._headers_done,
        })

    def _begin(self) -> None:
        self._headers, self._part, self._text = {}, None, bytearray()

    def _header_end(self) -> None:
        self._headers[self._header[0].lower()] = self._header[1]
        self._header = [b"", b""]

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == self.file_field and b"filename" in options and not self._seen_file:
            self._seen_file = True
            self._part = "file"
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self.content_type = self._headers.get(b"content-type", b"").decode("latin-1") or None
        elif b"filename" not in options and name:
            self._part = name

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self._events.append(("data", data[start:end]))
        elif self._part is not None:
            self._text += data[start:end]
            if len(self._text) > MAX_FIELD_BYTES:
                raise ValidationFailed([FieldError(field=self._part, message="Testo troppo lungo.")])

    def _end(self) -> None:
        if self._part == "file":
            self._events.append(("end", b""))
        elif self._part is not None:
            self.fields[self._part] = self._text.decode("utf-8", "replace")

    async def file(self) -> AsyncIterator[bytes]:
        """The file part's bytes as they arrive; the rest of the body is read after it."""
        async for chunk in self.request.stream():
            try:
                self.parser.write(chunk)
            except MultipartParseError as e:
                raise BadRequest("Corpo multipart non valido.") from e
            events, self._events = self._events, []
            for kind, data in events:
                if kind == "data" and data:
                    yield data
        try:
            self.parser.finalize()
        except MultipartParseError as e:
            raise BadRequest("Corpo multipart non valido.") from e
        if not self._seen_file:
            raise ValidationFailed([FieldError(field=self.file_field, message="Scegli un file.")])
