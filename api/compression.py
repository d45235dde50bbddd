"""Compression of responses (flask-compress): br or zstd when the client offers them in
``Accept-Encoding``, gzip otherwise (the client's q-values first; among equals br, zstd,
gzip for a whole body, zstd, gzip, br for a stream), for the text media types (JSON and
problem+json, JSON-LD, CSV, NDJSON, the OpenAPI document, the explorer's and the docs'
pages) above ``COMPRESS_MIN_SIZE`` bytes; ``Vary: Accept-Encoding`` on every response.

- A streamed body (CSV lists, bulk files, NDJSON) stays streamed: compressed chunk by
  chunk as the generator yields (flask-compress's streaming path, gzip included here),
  never gathered whole; marked ``direct_passthrough`` so that nothing after (the access
  log's length) reads it through.
- A compressed representation has its own strong ETag (flask-compress appends
  ``:gzip``, ``:br`` or ``:zstd``); ``api.caching`` answers 304 to either tag.
- Error bodies (problem+json) are compressed too (flask-compress alone leaves non-2xx
  alone); a 206 (a byte range of the identity body) never is, and a compressed 200 does
  not advertise ``Accept-Ranges`` (ranges are of the identity representation).
- Conditional requests on the API are answered before the view (``api.caching``); on
  static files (Swagger UI's, the explorer's), after compression, by flask-compress."""
from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

from api import caching
from api.errors import PROBLEM

MEDIA_TYPES = [
    "application/json", PROBLEM, "application/ld+json", "application/vnd.oai.openapi+json",
    "text/csv", "application/x-ndjson", "text/turtle", "application/rdf+xml",
    "text/html", "text/css", "text/javascript", "application/javascript", "text/plain", "text/markdown",
    "image/svg+xml",
]
ALGORITHMS = ["br", "zstd", "gzip"]  # the server's order when the client likes several equally (br: smallest)
# a stream's first compressed bytes leave after ~64 KB of input with gzip, ~128 KB with zstd, ~400 KB with
# br (window 2^18: 4 MB, its default, holds back the first 4 MB whole); so br only when it is all that is asked
STREAMING = ["zstd", "gzip", "br"]
STATIC = ["static", "swagger_ui_static", "explorer.static"]  # files: their 304s are flask-compress's


def init_app(app: Flask) -> None:
    """Register after ``api.caching`` runs its after_request (so: before it is registered),
    so that the ETag it sets is the one made per encoding."""
    for key, value in {
        "COMPRESS_REGISTER": False,  # compress_response below wraps flask-compress's after_request
        "COMPRESS_MIMETYPES": MEDIA_TYPES,
        "COMPRESS_ALGORITHM": ALGORITHMS,
        "COMPRESS_ALGORITHM_STREAMING": STREAMING,
        "COMPRESS_MIN_SIZE": 500,
        "COMPRESS_LEVEL": 6, "COMPRESS_BR_LEVEL": 4, "COMPRESS_BR_WINDOW": 18, "COMPRESS_ZSTD_LEVEL": 3,
        "COMPRESS_STREAMING_ENDPOINT_CONDITIONAL": STATIC,
    }.items():
        app.config.setdefault(key, value)
    compress = Compress(app)
    app.extensions["ogi_compress"] = compress

    @app.after_request
    def compress_response(response: Response) -> Response:
        if caching.kept_answer():  # a kept answer (api.caching), compressed already if it was to be
            return response
        if response.status_code == 206 or "Content-Range" in response.headers:
            response.vary.add("Accept-Encoding")
            return response
        already, status = "Content-Encoding" in response.headers, response.status_code
        if status >= 300 and response.mimetype == PROBLEM and not response.is_streamed:
            response.status_code = 200  # flask-compress compresses 2xx only: an error body is worth it too
            try:
                response = compress.after_request(response)
            finally:
                response.status_code = status
        else:
            response = compress.after_request(response)
        if not already and "Content-Encoding" in response.headers:
            response.headers.pop("Accept-Ranges", None)
            if response.is_streamed:
                response.direct_passthrough = True  # compressed bytes: nothing may iterate them before sending
        return response
