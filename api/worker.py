"""gunicorn workers whose refusals are RFC 9457 problem details too.

What gunicorn refuses before the app sees it (a request line that is not HTTP, such as
one with raw UTF-8 in its URL; a line over ``limit_request_line``; a bad or too large
header) it answers itself, in HTML. These workers keep gunicorn's decision (its status,
its log lines) and answer it as ``application/problem+json``, like every error of the
app (api/errors.py). ``api/gunicorn_conf.py`` names the worker class; another kind of
gunicorn worker takes the same mixin in one line (``class X(ProblemMixin, ThatWorker)``)."""
from __future__ import annotations

import json

from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
)
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

PROBLEM = "application/problem+json"
PERCENT_ENCODE = ("characters outside printable ASCII must be percent-encoded in a URL (RFC 3986): "
                  "agency=%E6%99%8B%E6%B1%9F for agency=晋江 (curl: --get --data-urlencode 'agency=晋江')")


class _StatusLine:
    """Stands in for the client's socket while gunicorn's own ``handle_error`` decides
    the status (and logs): keeps what it would have written."""

    def __init__(self):
        self.written = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> tuple[int, str]:
        line = self.written.split(b"\r\n", 1)[0].decode("latin-1")  # "HTTP/1.1 400 Bad Request"
        _, code, reason = (line.split(" ", 2) + ["", ""])[:3]
        return (int(code), reason) if code.isdigit() else (500, "Internal Server Error")


def detail(exc: BaseException, status: int, limits) -> str | None:
    """What went wrong, for a person; None for a failure of the server (no internals)."""
    if isinstance(exc, (InvalidRequestLine, InvalidRequestMethod, InvalidHTTPVersion)):
        line = str(getattr(exc, "req", "") or getattr(exc, "method", "") or "")
        if any(not 0x20 < ord(c) < 0x7F for c in line.replace(" ", "")):
            return f"the request line is not valid HTTP: {PERCENT_ENCODE}"
        return "the request line is not valid HTTP (method, path and version, separated by single spaces)"
    if isinstance(exc, LimitRequestLine):
        return (f"the request line is longer than {limits.limit_request_line} bytes: ask for fewer values per "
                "parameter, or split the request")
    if isinstance(exc, LimitRequestHeaders):
        return (f"too many or too large header fields (at most {limits.limit_request_fields} fields of "
                f"{limits.limit_request_field_size} bytes each)")
    if isinstance(exc, (InvalidHeader, InvalidHeaderName)):
        return f"a header field is not valid HTTP: {exc}"
    return str(exc) if status < 500 else None


def problem_response(status: int, reason: str, text: str | None) -> bytes:
    body = {"type": "about:blank", "title": reason, "status": status}
    if text:
        body["detail"] = text
    payload = json.dumps(body, ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode("latin-1") + payload


class ProblemMixin:
    def handle_request(self, *args, **kwargs):
        """As gunicorn's, but a worker whose thread runs an upload job is not recycled
        after ``max_requests`` until the job ends (recycling would cut its parse short
        and queue it again: under steady reads it would never end)."""
        from loaders.uploads import running_here

        if self.nr >= self.max_requests - 1 and running_here():
            self.nr = self.max_requests - 2
        return super().handle_request(*args, **kwargs)

    def handle_error(self, req, client, addr, exc):
        decided = _StatusLine()
        super().handle_error(req, decided, addr, exc)  # gunicorn's status, logging and access log
        status, reason = decided.status()
        try:
            write_nonblock(client, problem_response(status, reason, detail(exc, status, self.cfg)))
        except Exception:  # noqa: BLE001 - the client is gone: nothing to tell it
            self.log.debug("Failed to send error message.")


class ProblemSyncWorker(ProblemMixin, SyncWorker):
    """gunicorn's sync worker (the one ``ogi serve`` and the Dockerfile use)."""


class ProblemThreadWorker(ProblemMixin, ThreadWorker):
    """gunicorn's threaded worker, which keeps connections open between requests
    (``OGI_WORKER_CLASS=api.worker.ProblemThreadWorker``; ``OGI_THREADS`` threads)."""
