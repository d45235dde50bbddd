"""HTTP caching: an ETag on every GET, made from the data version (changed by every
write), the code version and the request, checked before the view runs, so an
unchanged answer costs one key lookup and a 304.

An ETag names one body: a GET reads the data version and everything it answers in
one snapshot (``begin_snapshot``: a read-only transaction from before the ETag is made
until the response is sent, a streamed one included: ``hold_for_body``), so a load
committing meanwhile changes neither, and a list's ``meta.total`` is counted in the
snapshot its page is read from."""
from __future__ import annotations

import hashlib
import logging

from flask import Flask, Response, current_app, g, request

from api.observability import NO_DATABASE
from loaders import PARSER_VERSION
from models import database
from models.db import read_snapshot
from models.schema import data_changed_at, data_version

log = logging.getLogger(__name__)
UNCACHED = {"jobs.get_job"}  # a job changes without a write to the data: no ETag, never cached


# POST endpoints that only read (their filters in a body): one snapshot too, held to the end of a streamed body
READS_BY_POST = {"cells.query_cells"}


def reads_in_snapshot() -> bool:
    return (request.method in ("GET", "HEAD") and request.endpoint not in NO_DATABASE
            or request.method == "POST" and request.endpoint in READS_BY_POST)


def begin_snapshot() -> None:
    """Start the request's read-only transaction (the connection is open)."""
    g.snapshot = read_snapshot()
    g.snapshot.__enter__()


def hold_for_body() -> None:
    """The response's body is streamed: the request's snapshot (and its connection)
    stay until the body is made (``api.streaming.RequestBody``), though Flask tears the
    request down when the view returns."""
    g.body_streaming = True


def release_for_body() -> None:
    g.body_streaming = False


def body_streaming() -> bool:
    """Whether a streamed body still holds the request's snapshot and connection."""
    return g.get("body_streaming", False)


def end_snapshot() -> None:
    """End the request's read-only transaction, if it has one: rolled back (it wrote
    nothing), whatever state an error left it in. Not while a streamed body still reads
    in it (``hold_for_body``): that body ends it."""
    if body_streaming():
        return
    snapshot = g.pop("snapshot", None)
    if snapshot is None or database.is_closed() or not database.in_transaction():
        return
    try:
        snapshot.__exit__(RuntimeError, None, None)  # pops it and rolls back
    except Exception as e:  # noqa: BLE001 - a connection that died: closed after the request anyway
        log.warning("could not end the read transaction: %s", e)


def _etag(version: str) -> str:
    key = "|".join((version, PARSER_VERSION, current_app.config["API_VERSION"], request.full_path,
                    request.headers.get("Accept", "")))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def representations(etag: str) -> list[str]:
    """The ETags of one body: as it is, and as each encoding ``api.compression`` may
    send it (flask-compress appends ``:gzip``, ``:br``, ``:zstd`` to a strong ETag)."""
    return [etag, *(f"{etag}:{algorithm}" for algorithm in current_app.config.get("COMPRESS_ALGORITHM", ()))]


def init_app(app: Flask) -> None:
    @app.before_request
    def not_modified():
        if request.method not in ("GET", "HEAD") or request.endpoint in NO_DATABASE or request.endpoint in UNCACHED:
            return None
        version = data_version()
        g.etag, g.last_modified = _etag(version), data_changed_at(version)
        for tag in representations(g.etag):
            if request.if_none_match.contains_weak(tag):  # RFC 9110: If-None-Match compares weakly
                g.etag_matched = tag  # the 304 names the representation the client holds
                return Response(status=304)
        if not request.if_none_match and request.if_modified_since and g.last_modified \
                and g.last_modified <= request.if_modified_since:  # only without If-None-Match (RFC 9110 13.1.3)
            return Response(status=304)
        return None

    @app.after_request
    def cache_headers(response: Response) -> Response:
        if (request.method in ("GET", "HEAD") and "etag" in g and response.status_code in (200, 304)
                and request.endpoint not in UNCACHED):
            response.set_etag(g.get("etag_matched", g.etag) if response.status_code == 304 else g.etag)
            if g.get("last_modified"):
                response.last_modified = g.last_modified
            response.headers["Cache-Control"] = f"public, max-age={app.config['CACHE_MAX_AGE']}"
            response.vary.add("Accept")
        return response
