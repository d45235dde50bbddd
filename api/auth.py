"""API keys for the write API: ``Authorization: Bearer <key>``. Reading stays open."""
from __future__ import annotations

from flask import g, request
from flask_smorest import abort

from models import ApiKey

SECURITY = [{"bearerAuth": []}]
SCHEME = {"type": "http", "scheme": "bearer", "description": "A key made with `ogi keys create NAME`."}


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
