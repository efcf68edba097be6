"""A small asyncio HTTP/1.1 server and request-body decoding.

Why not tornado (which PTB's webhook extra installs)?  The fake has to start and stop inside
each test's event loop and must not leave tasks behind; owning the connection tasks makes the
shutdown deterministic: :meth:`HttpServer.stop` closes the listening socket, cancels every
connection (including long-polling ``getUpdates`` requests) and awaits them.

Only what an HTTP client such as httpx sends is supported: ``Content-Length`` or chunked
bodies, keep-alive, no pipelining guarantees beyond sequential requests on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from .validation import UploadedFile

__all__ = ["HttpRequest", "HttpResponse", "HttpServer", "RequestBodyError", "decode_parameters"]

_LOGGER = logging.getLogger(__name__)
_MAX_HEADER_LINES = 100
_MAX_BODY = 64 * 1024 * 1024


@dataclass(slots=True)
class HttpRequest:
    method: str
    target: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before the response is written (an answer that comes too late)
    delay: float = 0.0

    @classmethod
    def json(cls, status: int, payload: object) -> HttpResponse:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def serialize(self, keep_alive: bool) -> bytes:
        reason = (
            HTTPStatus(self.status).phrase if self.status in HTTPStatus._value2member_map_ else ""
        )
        lines = [
            f"HTTP/1.1 {self.status} {reason}",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            f"Connection: {'keep-alive' if keep_alive else 'close'}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


class _BadRequest(Exception):
    pass


#: A handler answers a request, or returns ``None`` to close the connection without any
#: response (a dropped connection).
Handler = Callable[[HttpRequest], Awaitable[HttpResponse | None]]


class HttpServer:
    """Serve ``handler`` on 127.0.0.1 at a random free port (or at ``port``)."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._host = host
        self._wanted_port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.port: int = 0

    async def start(self) -> int:
        self._stopping = False
        self._server = await asyncio.start_server(
            self._serve_connection, self._host, self._wanted_port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening, cancel all open connections and wait until they are gone."""
        if self._server is None:
            return
        self._stopping = True
        self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except _BadRequest as error:
                    writer.write(HttpResponse(400, str(error).encode()).serialize(False))
                    await writer.drain()
                    return
                if request is None:
                    return
                response = await self._handler(request)
                if response is None:
                    return  # dropped: the connection closes without an answer
                if response.delay > 0:
                    await asyncio.sleep(response.delay)
                writer.write(response.serialize(request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            # The client went away (e.g. PTB cancelled a long poll); nothing to answer.
            return
        except asyncio.CancelledError:
            # stop() cancels open connections.  asyncio (3.11) calls task.exception() on the
            # connection task and would log the CancelledError, so end it normally instead.
            if self._stopping:
                return
            raise
        finally:
            self._connections.discard(task)
            writer.close()
            # stop() may cancel us while we are already closing; finish quietly either way.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    request_line = await reader.readline()
    if not request_line:
        return None
    parts = request_line.decode("latin-1").strip().split(" ")
    if len(parts) != 3:
        raise _BadRequest("malformed request line")
    method, target, _version = parts
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise _BadRequest("too many headers")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length", "0") or 0)
        if length > _MAX_BODY:
            raise _BadRequest("body too large")
        body = await reader.readexactly(length) if length else b""
    split = urlsplit(target)
    return HttpRequest(method.upper(), target, unquote(split.path), split.query, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            # Skip trailers up to the empty line.
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


# ------------------------------------------------------------------------------------------
# Bodies
# ------------------------------------------------------------------------------------------


class RequestBodyError(ValueError):
    """The body could not be decoded at all (answered with 400 and recorded as a violation)."""


_PARAM_RE = re.compile(r';\s*([A-Za-z0-9_*.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    main, _, _rest = value.partition(";")
    params = {
        match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _PARAM_RE.finditer(value)
    }
    return main.strip().lower(), params


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    params: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    sections = body.split(delimiter)
    if len(sections) < 3:
        raise RequestBodyError("multipart body without parts or final boundary")
    for section in sections[1:]:
        if section.startswith(b"--"):
            break  # final boundary
        section = section.removeprefix(b"\r\n")
        head, separator, content = section.partition(b"\r\n\r\n")
        if not separator:
            raise RequestBodyError("multipart part without header/body separator")
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            header_name, _, value = line.partition(":")
            headers[header_name.strip().lower()] = value.strip()
        disposition, disposition_params = _header_params(headers.get("content-disposition", ""))
        name = disposition_params.get("name")
        if disposition != "form-data" or name is None:
            raise RequestBodyError("multipart part without form-data name")
        filename = disposition_params.get("filename")
        if filename is not None or "content-type" in headers:
            files[name] = UploadedFile(name, filename, headers.get("content-type"), content)
        else:
            try:
                params[name] = content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RequestBodyError(f"multipart field {name!r} is not UTF-8") from error
    return params, files


def decode_parameters(request: HttpRequest) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Return the request's parameters as Telegram sees them: strings plus uploaded files.

    Query-string parameters are merged with the body, like the real Bot API does.
    """
    params: dict[str, str] = dict(parse_qsl(request.query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    content_type, ct_params = _header_params(request.headers.get("content-type", ""))
    if not request.body:
        return params, files
    if content_type == "application/json":
        try:
            payload = json.loads(request.body)
        except ValueError as error:
            raise RequestBodyError("the JSON body is not valid JSON") from error
        if not isinstance(payload, dict):
            raise RequestBodyError("the JSON body must be an object")
        for key, value in payload.items():
            if value is None:
                continue  # Telegram treats null like an absent parameter
            # Normalise to the form-data representation so one decoder handles both.
            params[key] = value if isinstance(value, str) else json.dumps(value)
    elif content_type == "application/x-www-form-urlencoded":
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RequestBodyError("the form body is not UTF-8") from error
        params.update(parse_qsl(text, keep_blank_values=True))
    elif content_type == "multipart/form-data":
        boundary = ct_params.get("boundary")
        if not boundary:
            raise RequestBodyError("multipart/form-data without boundary")
        form, files = _parse_multipart(request.body, boundary)
        params.update(form)
    else:
        raise RequestBodyError(f"unsupported Content-Type {content_type!r}")
    return params, files
