"""Limits: requests per client (flask-limiter, with RateLimit headers and a 429
problem) and time per query (PostgreSQL's statement_timeout; a progress handler on
SQLite), so that no request can hold a worker for long.

A streamed body (CSV, NDJSON, the bulk files) is bound by the limit until its first
rows are read; then the limit is lifted for the rest of the request
(``lift_query_limit``): its size is bounded by what it may hold (a list's ``limit``,
the bulk files' rows), not by the time a client takes to read it."""
from __future__ import annotations

import os
import time

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from peewee import PostgresqlDatabase

from api.observability import NO_DATABASE
from models import database


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_DEFAULT", os.environ.get("OGI_RATE_LIMIT", "1200 per minute"))
    app.config.setdefault("RATELIMIT_ENABLED", app.config["RATELIMIT_DEFAULT"] != "off")
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("OGI_RATE_LIMIT_STORAGE", "memory://"))
    app.config.update(RATELIMIT_HEADERS_ENABLED=True, RATELIMIT_HEADER_LIMIT="RateLimit-Limit",
                      RATELIMIT_HEADER_REMAINING="RateLimit-Remaining", RATELIMIT_HEADER_RESET="RateLimit-Reset",
                      RATELIMIT_HEADER_RETRY_AFTER=WINDOW_RETRY_AFTER)
    app.after_request(retry_after_only_when_limited)  # registered first: runs after the limiter's own hook
    limiter = Limiter(get_remote_address, app=app)
    limiter.request_filter(lambda: request.endpoint in NO_DATABASE)
    app.extensions["ogi_limiter"] = limiter


# flask-limiter would put the seconds to its window's end in Retry-After on every
# response, over a view's own (a job's 5 s poll, a 503's); it writes them here instead,
# and only a 429 turns them into Retry-After.
WINDOW_RETRY_AFTER = "X-Ogi-Window-Retry-After"


def retry_after_only_when_limited(response):
    window = response.headers.pop(WINDOW_RETRY_AFTER, None)
    if response.status_code == 429 and window is not None:
        response.headers["Retry-After"] = window
    return response


class SqliteDeadline:
    """Interrupts a SQLite query that runs past the request's deadline (each connection
    its own, so threads do not share one)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def start(self, connection) -> None:
        deadline = time.monotonic() + self.seconds
        # non-zero interrupts the query
        connection.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)


def lift_query_limit() -> None:
    """No time limit on this request's queries from now on (a streamed body, once its
    first rows are read): on SQLite the connection's progress handler is removed (the
    next request sets its own); on PostgreSQL ``SET LOCAL statement_timeout = 0``, for
    the rest of the request's transaction."""
    if database.is_closed():
        return
    if isinstance(database.obj, PostgresqlDatabase):
        if database.in_transaction():
            database.execute_sql("SET LOCAL statement_timeout = 0")
    else:
        database.connection().set_progress_handler(None, 0)


def timed_out(error: Exception) -> bool:
    text = str(error).lower()
    return "interrupted" in text or "statement timeout" in text
