"""Health, readiness and one JSON log line per request.

``/healthz`` says the process is up (it touches no database); ``/readyz`` says the
database answers, or 503 problem+json. Every request gets an id (an incoming
``X-Request-ID`` is kept when it is reasonable, else a new one), returned in the
response and written in its log line."""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

from api.errors import problem
from models import database

log = logging.getLogger("ogi.access")
_REQUEST_ID = re.compile(r"^[\w.:/+=-]{1,128}$")
# endpoints that must not need the database
NO_DATABASE = {"healthz", "readyz", "metrics", "swagger_ui_static", "explorer.static"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


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
        database.execute_sql("SELECT 1").fetchone()
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        if not database.is_closed():
            database.close()
        return False


def init_app(app: Flask) -> None:
    configure_logging()

    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.info("request", extra={"fields": {
            "request_id": g.get("request_id"), "method": request.method, "path": request.path,
            "query": request.query_string.decode("utf-8", "replace"), "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            "bytes": response.calculate_content_length(), "remote": request.remote_addr}})
        return response

    @app.route("/healthz")
    def healthz():
        return {"status": "ok"}, 200, {"Cache-Control": "no-store"}

    @app.route("/readyz")
    def readyz():
        if database_answers():
            return {"status": "ready"}, 200, {"Cache-Control": "no-store"}
        return problem(503, "the database does not answer", headers={"Retry-After": "5", "Cache-Control": "no-store"})
