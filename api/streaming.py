"""Streamed bodies: rows read from the database a chunk at a time and written as they
come, so a body of any size starts at once and holds a worker's memory flat.

A query is started and its first chunk read in the view, under the query time limit
(a slow or broken query is an error response, not a cut-off body); from then on the
limit is lifted for the request (``api.limits.lift_query_limit``) and the rest is read
as the client takes it, in the request's snapshot (``api.caching``), which stays open
until the body is sent. A HEAD request reads no rows: the body is never made.

On SQLite the rows come from the statement as it steps (the driver holds one chunk);
on PostgreSQL from a server-side cursor (``DECLARE … CURSOR``), ``CHUNK_ROWS`` a fetch."""
from __future__ import annotations

import contextlib
import itertools
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator

import orjson
from flask import Response, request
from flask.globals import _cv_app, _cv_request
from peewee import PostgresqlDatabase

from api.caching import hold_for_body, release_for_body
from api.limits import lift_query_limit
from models import database
from models.decimals import json_default

CHUNK_ROWS = 2000  # rows a fetch; a written piece of body holds as many
FIRST_ROWS = 200  # the first fetch: small, so the first piece is written at once
NDJSON = "application/x-ndjson"


def chunks(query, size: int | None = None) -> Iterator[list]:
    """The rows of ``query`` as peewee gives them (dicts, tuples or models), in lists of
    at most ``size`` (the first of ``FIRST_ROWS``), read from the database as they are taken."""
    size = size or CHUNK_ROWS
    if isinstance(database.obj, PostgresqlDatabase) and database.in_transaction():
        yield from _server_side(query, size)
        return
    cursor = database.execute(query)  # SQLite steps the statement as rows are fetched
    wrapper = query._get_cursor_wrapper(cursor)  # peewee's own conversion of a row (Decimals, models …)
    try:
        while batch := cursor.fetchmany(size if wrapper.initialized else min(FIRST_ROWS, size)):
            yield _converted(wrapper, batch)
    finally:
        cursor.close()


def _server_side(query, size: int) -> Iterator[list]:
    """PostgreSQL: the rows stay on the server (``DECLARE … CURSOR`` in the request's
    transaction) and come ``size`` a ``FETCH``."""
    sql, params = query.sql()
    name = f"ogi_{uuid.uuid4().hex}"
    cursor = database.execute_sql(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
    wrapper = query._get_cursor_wrapper(cursor)
    try:
        while True:
            cursor.execute(f"FETCH FORWARD {size if wrapper.initialized else min(FIRST_ROWS, size)} FROM {name}")
            batch = cursor.fetchall()
            if not batch:
                return
            yield _converted(wrapper, batch)
    finally:
        with contextlib.suppress(Exception):  # a transaction that failed took the cursor with it
            cursor.execute(f"CLOSE {name}")
        cursor.close()


def _converted(wrapper, batch: list) -> list:
    if not wrapper.initialized:
        wrapper.initialize()  # from the description of the statement that gave the rows
        wrapper.initialized = True
    return [wrapper.process_row(row) for row in batch]


def started(pieces: Iterator) -> Iterator:
    """``pieces`` with its first one made now (its query run under the time limit, so a
    failure is an error response), and the time limit lifted for the rest. Nothing is
    read for a HEAD request."""
    if request.method == "HEAD":
        close = getattr(pieces, "close", None)
        if close:
            close()
        return iter(())
    first = next(pieces, None)
    lift_query_limit()
    return pieces if first is None else itertools.chain([first], pieces)


def ndjson_lines(pieces: Iterable[list[dict]]) -> Iterator[bytes]:
    """One JSON object a line (numbers exact, as the JSON list writes them), a piece of
    body per list of records."""
    dump = orjson.dumps
    options = orjson.OPT_NAIVE_UTC | orjson.OPT_APPEND_NEWLINE
    for piece in pieces:
        if piece:
            yield b"".join(dump(record, default=json_default, option=options) for record in piece)


def streamed(body: Iterator[bytes], content_type: str, headers: dict | None = None) -> Response:
    """A response whose body is written as ``body`` makes it, in the request's context,
    its snapshot open until the last piece is sent (``RequestBody``). It offers no ranges."""
    return Response(RequestBody(body), content_type=content_type, headers=headers)


heartbeat: Callable[[], None] | None = None  # under gunicorn: the worker's notify (api/gunicorn_conf.py)


class RequestBody:
    """A streamed body that the request lasts as long as.

    Flask ends a request (its teardown: the snapshot ended, a server connection closed)
    when the view's response is handed to the server, before a streamed body is made;
    ``stream_with_context`` only pushes the request's context again. Here the request
    holds its snapshot while its body is made (``api.caching.hold_for_body``, which the
    teardown respects) and ends when the body does: made to the end, closed by the server
    (a client that left), or never begun (HEAD). After each piece, gunicorn's arbiter is
    told the worker is alive, so a long body that keeps going is not taken for a stuck
    worker (OGI_TIMEOUT bounds the time between two pieces, not the whole body)."""

    def __init__(self, body: Iterator[bytes]):
        self.app_context, self.request_context = _cv_app.get(), _cv_request.get()
        self.body, self.running, self.ended = body, None, False
        hold_for_body()

    def __iter__(self) -> Iterator[bytes]:
        running = self._run()
        self.running = weakref.ref(running)  # not a cycle: a body dropped unclosed ends as it is freed
        return running

    def _run(self) -> Iterator[bytes]:
        try:
            while True:
                # the request's context around the making of each piece, not held between two:
                # a body left half made (a client gone, a test) ends cleanly whenever it is closed
                with self.app_context, self.request_context:
                    piece = next(self.body, None)
                if piece is None:
                    return
                yield piece
                if heartbeat:
                    heartbeat()
        finally:
            self._end()

    def _end(self) -> None:
        """The request ends: its teardown (snapshot ended, connection closed) runs as its
        context is popped, the body no longer holding it."""
        if self.ended:
            return
        self.ended = True
        with self.app_context, self.request_context:
            release_for_body()
            close = getattr(self.body, "close", None)
            if close:
                close()

    def close(self) -> None:
        running = self.running() if self.running else None
        if running is not None:
            running.close()
        self._end()  # never begun (HEAD): the request ends now

def records_of(chunked_rows: Iterable[list], records: Callable[[list], list[dict]]) -> Iterator[list[dict]]:
    """Records made a chunk of rows at a time (``records`` may fetch what a chunk shares at once)."""
    for rows in chunked_rows:
        yield records(rows)
