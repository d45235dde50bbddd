"""Health, readiness and one JSON log line per request.

``/healthz`` says the process is up (it touches no database); ``/readyz`` says the
database answers and takes writes, or 503 problem+json (a read-only database is told
apart: see ``readyz``). Every request gets an id (an incoming
``X-Request-ID`` is kept when it is reasonable, else a new one), returned in the
response and written in its log line. A streamed body is logged once it has been
sent, with its bytes and the time to its first byte; it is never made to be measured
(for a HEAD request none is made)."""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from urllib.parse import unquote_plus

from flask import Flask, Response, g, request

from api.auth import is_secret
from api.errors import problem
from models import database
from models.apikey import KEY_PATTERN
from models.db import writes_refused

log = logging.getLogger("ogi.access")
_REQUEST_ID = re.compile(r"^[\w.:/+=-]{1,128}$")
# endpoints that must not need the database
NO_DATABASE = {"healthz", "readyz", "metrics", "swagger_ui_static", "explorer.static"}
REDACTED = "[redacted]"


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def redacted_query(query_string: bytes) -> str:
    """The query string as sent, each secret in it (a key, or a parameter named like
    one: ``api_key=``, ``token=`` …) replaced by [redacted]."""
    parts = []
    for part in query_string.decode("utf-8", "replace").split("&"):
        name, eq, value = part.partition("=")
        if is_secret(unquote_plus(name), unquote_plus(value)):
            part = f"{name}{eq}{REDACTED}"
        parts.append(KEY_PATTERN.sub(REDACTED, part))
    return "&".join(parts)


def configure_logging() -> None:
    root = logging.getLogger("ogi")
    if not any(isinstance(h.formatter, JSONFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JSONFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
    logging.Formatter.converter = time.gmtime


def database_answers() -> bool:
    try:
        database.connect(reuse_if_open=True)
        if database.in_transaction():  # a request's snapshot, which the error may have spoiled
            from api.caching import end_snapshot

            end_snapshot()
        database.execute_sql("SELECT 1").fetchone()
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        if not database.is_closed():
            database.close()
        return False


def _writes_refused() -> str | None | bool:
    """Why the database refuses writes (None: it takes them; False: it stopped answering)."""
    try:
        return writes_refused()
    except Exception:  # noqa: BLE001 - it answered SELECT 1 a moment ago: not ready either way
        return False


DISK_FULL = ("database or disk is full", "No space left on device")  # SQLite's SQLITE_FULL; PostgreSQL's ENOSPC


def refused_write(error: Exception) -> Response | None:
    """A write the database refused because it takes none (read-only, disk full): 503
    saying so, not a 500. None for any other error."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    refused = _writes_refused()
    if not refused and not any(full in str(error) for full in DISK_FULL):
        return None
    log.warning("write refused on %s: %s", request.path, error)
    return problem(503, f"the database takes no writes now: {refused or error}", headers={"Retry-After": "60"})


def request_id(incoming: str) -> str:
    """The request's id: the one it came with when reasonable, else a new one."""
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def logged_path(path: str) -> str:
    return KEY_PATTERN.sub(REDACTED, path)


def access_fields(request_id: str | None, method: str, path: str, query: str, status: int,
                  remote: str | None) -> dict:
    """The fields of a request's access log line (``path`` and ``query`` redacted)."""
    return {"request_id": request_id, "method": method, "path": path, "query": query, "status": status,
            "remote": remote}


def log_request(fields: dict, started: float, size: int | None, first_byte: float | None = None) -> None:
    fields = {**fields, "duration_ms": round((time.perf_counter() - started) * 1000, 2), "bytes": size}
    if first_byte is not None:
        fields["first_byte_ms"] = round((first_byte - started) * 1000, 2)
    log.info("request", extra={"fields": fields})


class CountedBody:
    """A streamed body passed through as it is made, its bytes counted (and when the
    first went); closing it closes the body it wraps."""

    def __init__(self, body: Iterable):
        self.body, self.bytes, self.first_byte = body, 0, None

    def __iter__(self) -> Iterator:
        for piece in self.body:
            if self.first_byte is None:
                self.first_byte = time.perf_counter()
            self.bytes += len(piece.encode() if isinstance(piece, str) else piece)
            yield piece

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close:
            close()


def init_app(app: Flask) -> None:
    configure_logging()

    @app.before_request
    def start():
        g.request_id = request_id(request.headers.get("X-Request-ID", ""))
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("started", time.perf_counter())
        fields = access_fields(g.get("request_id"), request.method, logged_path(request.path),
                               redacted_query(request.query_string), response.status_code, request.remote_addr)
        if not response.is_streamed or response.direct_passthrough:  # a body made already, or a file
            log_request(fields, started, response.content_length if response.is_streamed
                        else response.calculate_content_length())
            return response
        # a streamed body: logged once it is sent (or the client left), with the bytes that went;
        # never made here to be measured
        counted = CountedBody(response.response)
        response.response = counted
        response.call_on_close(lambda: log_request({**fields, "streamed": True}, started, counted.bytes,
                                                   counted.first_byte))
        return response

    @app.route("/healthz")
    def healthz():
        return {"status": "ok"}, 200, {"Cache-Control": "no-store"}

    @app.route("/readyz")
    def readyz():
        """Ready: the database answers and takes writes (200 {"status": "ready"}). A
        database that answers but refuses writes is read-only: 503 with ``"readiness":
        "read-only"`` and the reason, or, asked ``/readyz?reads``, 200 {"status":
        "read-only"} (ready to serve reads). Not answering: 503 problem."""
        no_store = {"Cache-Control": "no-store"}
        refused = database_answers() and _writes_refused()
        if refused is None:
            return {"status": "ready"}, 200, no_store
        if refused is False:
            return problem(503, "the database does not answer", headers={"Retry-After": "5", **no_store})
        if "reads" in request.args:
            return {"status": "read-only", "detail": refused}, 200, no_store
        response = problem(503, f"read-only: reads are served, writes fail: {refused}", headers=no_store)
        response.set_data(json.dumps({**json.loads(response.get_data()), "readiness": "read-only"},
                                     ensure_ascii=False))
        return response
