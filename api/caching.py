"""HTTP caching: an ETag on every GET, made from the data version (changed by every
write), the code version and the request, checked before the view runs, so an
unchanged answer costs one key lookup and a 304."""
from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, g, request

from api.observability import NO_DATABASE
from loaders import PARSER_VERSION
from models.schema import data_version


def _etag() -> str:
    key = "|".join((data_version(), PARSER_VERSION, current_app.config["API_VERSION"], request.full_path,
                    request.headers.get("Accept", "")))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def init_app(app: Flask) -> None:
    @app.before_request
    def not_modified():
        if request.method not in ("GET", "HEAD") or request.endpoint in NO_DATABASE:
            return None
        g.etag = _etag()
        if request.if_none_match.contains(g.etag):
            return Response(status=304)
        return None

    @app.after_request
    def cache_headers(response: Response) -> Response:
        if request.method in ("GET", "HEAD") and "etag" in g and response.status_code in (200, 304):
            response.set_etag(g.etag)
            response.headers["Cache-Control"] = f"public, max-age={app.config['CACHE_MAX_AGE']}"
            response.vary.add("Accept")
        return response
