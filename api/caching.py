"""HTTP caching: an ETag on every GET, made from the data version (changed by every
write), the code version and the request, checked before the view runs, so an
unchanged answer costs one key lookup and a 304.

An ETag names one body: a GET reads the data version and everything it answers in
one snapshot (``begin_snapshot``: a read-only transaction from before the ETag is made
until the response is sent, a streamed one included: ``hold_for_body``), so a load
committing meanwhile changes neither, and a list's ``meta.total`` is counted in the
snapshot its page is read from.

Answers are kept too (``ResponseCache``): a GET answered 200 with a whole body is
kept, in its process, under its ETag (data version, code version, URL, Accept) and the
request headers that the answer's own headers depend on (Accept-Encoding, Origin, the
URL the server is reached at); the same request under the same data version is then
answered from it, before the view runs. A write changes the data version in its own
transaction, so an answer kept under an earlier version is never served again, and the
version a request reads is the one of the snapshot it would be answered from."""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request
from peewee import InterfaceError, OperationalError, SqliteDatabase

from api import metrics
from api.observability import NO_DATABASE, access_fields, log_request, logged_path, redacted_query
from api.observability import request_id as make_request_id
from loaders import PARSER_VERSION
from models import database
from models.db import read_snapshot
from models.schema import data_changed_at

log = logging.getLogger(__name__)
UNCACHED = {"jobs.get_job"}  # a job changes without a write to the data: no ETag, never cached
# answers that tell of files on disk (the bulk files made on first request, their sizes): never kept
NOT_KEPT_BLUEPRINTS = {"catalog", "bulk"}


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


DATA_VERSION = "SELECT value FROM meta WHERE key = 'data_version'"


def data_version() -> str:
    """The data version, read in the request's snapshot (one indexed row: no model query)."""
    row = database.execute_sql(DATA_VERSION).fetchone()
    return row[0] if row else "empty"


class ResponseCache:
    """Whole answers (status, headers, body), least recently used first out, at most
    ``max_bytes`` of bodies, none larger than ``max_body``. Safe across threads."""

    def __init__(self, max_bytes: int, max_body: int):
        self.max_bytes, self.max_body = max_bytes, max_body
        self.entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> tuple[int, list, bytes] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, status: int, headers: list, body: bytes) -> None:
        if len(body) > self.max_body:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.bytes -= len(old[2])
            self.entries[key] = (status, headers, body)
            self.bytes += len(body)
            while self.bytes > self.max_bytes and self.entries:
                self.bytes -= len(self.entries.popitem(last=False)[1][2])


# in the request's WSGI environ (g may outlive a request)
CACHE_KEY, CACHE_HIT, VERSION = "ogi.cache_key", "ogi.cache_hit", "ogi.data_version"


def kept_answer() -> bool:
    """Whether this request is answered from the ResponseCache (its headers final)."""
    return request.environ.get(CACHE_HIT, False)


def _cache_key() -> tuple | None:
    """What a kept answer to this request is kept under, or None if it may not be kept:
    a request with a range, credentials or a cookie is always answered by its view."""
    environ = request.environ
    if "HTTP_RANGE" in environ or "HTTP_AUTHORIZATION" in environ or "HTTP_COOKIE" in environ:
        return None
    # the URL it is reached at (the links it writes: request.url_root, from these), Accept-Encoding, Origin
    return (g.etag, environ.get("HTTP_ACCEPT_ENCODING", ""), environ.get("HTTP_ORIGIN"),
            environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME"))


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
        version = request.environ[VERSION] = data_version()
        g.etag, g.last_modified = _etag(version), data_changed_at(version)
        for tag in representations(g.etag):
            if request.if_none_match.contains_weak(tag):  # RFC 9110: If-None-Match compares weakly
                g.etag_matched = tag  # the 304 names the representation the client holds
                return Response(status=304)
        if not request.if_none_match and request.if_modified_since and g.last_modified \
                and g.last_modified <= request.if_modified_since:  # only without If-None-Match (RFC 9110 13.1.3)
            return Response(status=304)
        cache = app.extensions.get("ogi_responses")
        key = request.environ[CACHE_KEY] = cache and _cache_key()  # the request's own (g may outlive it)
        kept = key and cache.get(key)
        if kept:
            request.environ[CACHE_HIT] = True  # its headers are final: the hooks that made them leave it alone
            status, headers, body = kept
            return Response(body, status=status, headers=headers)
        return None

    @app.after_request
    def cache_headers(response: Response) -> Response:
        if kept_answer():
            return response
        if (request.method in ("GET", "HEAD") and "etag" in g and response.status_code in (200, 304)
                and request.endpoint not in UNCACHED):
            response.set_etag(g.get("etag_matched", g.etag) if response.status_code == 304 else g.etag)
            if g.get("last_modified"):
                response.last_modified = g.last_modified
            response.headers["Cache-Control"] = f"public, max-age={app.config['CACHE_MAX_AGE']}"
            response.vary.add("Accept")
        return response


def init_response_cache(app: Flask) -> None:
    """Keep whole answers (``ResponseCache``): ``RESPONSE_CACHE_MB`` of bodies a process
    (``OGI_RESPONSE_CACHE_MB``; 0: none), no body larger than an eighth of it.
    Registered before ``api.compression``, so that its after_request runs after
    compression's (an answer is kept as sent, compressed) and before the limiter's and
    the access log's, whose headers are each request's own."""
    size = app.config.get("RESPONSE_CACHE_MB", 64)
    if not size:
        return
    app.extensions["ogi_responses"] = ResponseCache(int(size * 1024 * 1024), int(size * 1024 * 1024) // 8)

    @app.after_request
    def keep(response: Response) -> Response:
        key = request.environ.get(CACHE_KEY)
        if (key and not kept_answer() and request.method == "GET" and response.status_code == 200
                and not response.is_streamed and not response.direct_passthrough
                and request.blueprint not in NOT_KEPT_BLUEPRINTS):
            cache, headers, body = app.extensions["ogi_responses"], list(response.headers.items()), response.get_data()
            cache.put(key, response.status_code, headers, body)
            if KeptAnswers.serves(app):  # the same answer before Flask
                cache.put(("wsgi", request.environ[VERSION], *_request_key(request.environ)), response.status,
                          (headers, request.endpoint, logged_path(request.path),
                           redacted_query(request.query_string)), body)
        return response

    app.wsgi_app = KeptAnswers(app, app.wsgi_app)


def limited(app: Flask) -> bool:
    limiter = app.extensions.get("ogi_limiter")
    return bool(limiter and limiter.enabled)


WSGI_REQUEST = ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING", "HTTP_ORIGIN", "wsgi.url_scheme",
                "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")
# requests Flask answers itself: conditional (a 304 to make), a range, credentials, a cookie
WSGI_PASS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE", "HTTP_AUTHORIZATION", "HTTP_COOKIE")


def _request_key(environ: dict) -> tuple:
    """Everything of a GET that its answer may depend on, as the server gave it (the URL,
    Accept, Accept-Encoding, Origin, the address it is reached at)."""
    return tuple(environ.get(name) for name in WSGI_REQUEST)


class KeptAnswers:
    """The app's WSGI callable, answering a kept answer before Flask runs.

    An answer Flask made and kept (``ResponseCache``) is also kept under the data
    version and the request as the server gave it (``_request_key``). A GET or HEAD
    the same in all of these, unconditional and without credentials, is then answered
    here: the data version read (one indexed row, outside a transaction: the answer of
    that version is the answer now), the kept status, headers and body sent, with the
    request's own ``X-Request-ID``, its access log line and its metrics as Flask's hooks
    would have made them. Anything else, and any request while rate limits are on (the
    limiter counts each request), goes to Flask. SQLite only (whose connection stays
    open in its worker); on PostgreSQL Flask answers from the ResponseCache."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    @staticmethod
    def serves(app: Flask) -> bool:
        return isinstance(app.extensions.get("ogi_db"), SqliteDatabase) and not limited(app)

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or any(name in environ for name in WSGI_PASS) or not self.serves(self.app):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        version = self._version()
        kept = version and self.app.extensions["ogi_responses"].get(("wsgi", version, *_request_key(environ)))
        if not kept:
            return self.wsgi_app(environ, start_response)
        status, (headers, endpoint, path, query), body = kept
        request_id = make_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(status, [*headers, ("X-Request-ID", request_id)])
        code = int(status.split(" ", 1)[0])
        log_request(access_fields(request_id, method, path, query, code, environ.get("REMOTE_ADDR")), started,
                    len(body))
        metrics.observe(method, endpoint, code, started)
        return [body] if method == "GET" else []

    def _version(self) -> str | None:
        db = self.app.extensions["ogi_db"]
        try:
            db.connect(reuse_if_open=True)
            if db.in_transaction():  # a streamed body still reads: Flask decides
                return None
            row = db.execute_sql(DATA_VERSION).fetchone()
        except (OperationalError, InterfaceError):  # Flask answers it (503)
            return None
        return row[0] if row else "empty"
