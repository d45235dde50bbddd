"""API keys for the write API: ``Authorization: Bearer <key>``. Reading stays open.

A key is never taken from the URL (where proxies, browsers and logs keep it): a
request with one there is refused with 400, and the access log hides it."""
from __future__ import annotations

from flask import Response, g, request
from flask_smorest import abort

from api.errors import problem
from models import ApiKey
from models.apikey import KEY_PATTERN

SECURITY = [{"bearerAuth": []}]
SCHEME = {"type": "http", "scheme": "bearer", "description": "A key made with `ogi keys create NAME --agency …`; "
          "it may write the reports of its scope (agencies, regions, or all with --admin). Never in the URL."}
# CORS of the write endpoints (flask-cors resource options): a browser's preflight may
# ask for POST and DELETE with the key's header and a body's Content-Type
WRITE_PATHS = r"^/v1/reports(/\d+)?$"
WRITE_CORS = {"origins": "*", "methods": ["GET", "HEAD", "POST", "DELETE", "OPTIONS"],
              "allow_headers": ["Authorization", "Content-Type", "X-Request-ID", "If-None-Match"],
              "expose_headers": ["ETag", "Link", "X-Total-Count", "Content-Disposition", "Location", "Retry-After",
                                 "X-Request-ID"],
              "max_age": 600}
# query parameters that would carry a secret: refused, and hidden in the access log
SECRET_PARAMS = {"api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "authorization", "bearer",
                 "password", "secret"}


def is_secret(name: str, value: str) -> bool:
    return name.lower() in SECRET_PARAMS or bool(KEY_PATTERN.search(value))


def refuse_keys_in_url() -> Response | None:
    """A key in the query string is refused (it is not read): keys go in the header."""
    bad = sorted({name for name, value in request.args.items(multi=True) if is_secret(name, value)})
    if not bad:
        return None
    return problem(400, "API keys are not accepted in the URL: send Authorization: Bearer <key> (a key that was "
                   "sent in a URL may have been recorded on the way: revoke it with ogi keys revoke)",
                   [{"name": name, "reason": "a secret in the URL; use the Authorization header"} for name in bad])


def require_key() -> ApiKey:
    """The caller's live key, or a 401 problem."""
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        abort(401, message="this needs an API key: Authorization: Bearer <key>",
              headers={"WWW-Authenticate": 'Bearer realm="ogi-api"'})
    key = ApiKey.find(token.strip())
    if key is None:
        abort(401, message="unknown or revoked API key",
              headers={"WWW-Authenticate": 'Bearer realm="ogi-api", error="invalid_token"'})
    g.api_key = key
    return key
