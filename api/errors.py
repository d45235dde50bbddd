"""One error shape: RFC 9457 problem details (``application/problem+json``).

Every error status the API answers carries it: a bad parameter names the parameter
in ``invalid_params`` (the RFC's own example extension); an unexpected failure is a
500 problem without internals."""
from __future__ import annotations

import logging

from flask import Flask, Response, current_app, json, request
from marshmallow import Schema, fields
from peewee import DatabaseError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from models.decimals import NumberOutOfBounds

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


class InvalidParamSchema(Schema):
    name = fields.String(required=True, metadata={"description": "The query parameter."})
    reason = fields.String(required=True)


class ProblemSchema(Schema):
    type = fields.String(metadata={
        "description": "A URI for the kind of problem; about:blank when only the status says it."})
    title = fields.String(metadata={"description": "The HTTP status phrase."})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong, for a person."})
    instance = fields.String(metadata={"description": "The request path."})
    invalid_params = fields.List(fields.Nested(InvalidParamSchema),
                                 metadata={"description": "Each parameter that was refused, and why."})


def problem(status: int, detail: str | None = None, invalid_params: list[dict] | None = None,
            headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": _title(status), "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if invalid_params:
        body["invalid_params"] = invalid_params
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers, mimetype=PROBLEM)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _invalid_params(messages: dict) -> list[dict]:
    """webargs' {"query": {"row": ["…"]}} as [{"name": "row", "reason": "…"}]."""
    out = []
    for where, location in messages.items():
        if isinstance(location, list):  # the location as a whole: a body that is not JSON
            out.append({"name": where, "reason": " ".join(map(str, location))})
            continue
        for name, reasons in (location or {}).items():
            if isinstance(reasons, dict):  # a list field: {index: [reasons]}
                reasons = [r for rs in reasons.values() for r in rs]
            out.append({"name": name, "reason": " ".join(map(str, reasons))})
    return out


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    if error.code == 304:
        return error.get_response()
    if "messages" in data:  # argument validation (webargs)
        params = _invalid_params(data["messages"])
        names = ", ".join(p["name"] for p in params)
        return problem(400, f"invalid query parameter: {names}", params)
    detail = data.get("message") or (error.description if error.code != 500 else None)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}  # Allow on a 405
    return problem(error.code or 500, detail, data.get("invalid_params"), headers | (data.get("headers") or {}))


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if isinstance(error, DatabaseError):  # e.g. PostgreSQL's "cannot execute INSERT in a read-only transaction"
        from api.observability import refused_write

        if (refused := refused_write(error)) is not None:
            return refused
    log.exception("unhandled error on %s", request.path)
    return problem(500, InternalServerError.description)


def refuse_nul_bytes():
    """A NUL byte in a parameter is never meaningful (and PostgreSQL refuses it in text)."""
    bad = sorted({name for name, value in request.args.items(multi=True) if "\x00" in name + value})
    if bad:
        return problem(400, f"invalid query parameter: {', '.join(bad)}",
                       [{"name": name, "reason": "contains a NUL byte"} for name in bad])
    return None


def handle_database_error(error: Exception) -> Response:
    """The database does not answer: 503, to be tried again. A database error while
    it does answer is a bug: 500."""
    from api.limits import timed_out
    from api.observability import database_answers

    if timed_out(error):
        limit = current_app.config["QUERY_TIMEOUT_MS"] / 1000
        return problem(503, f"the query took longer than {limit:g} s: narrow it with filters or a smaller limit")
    if database_answers():
        return handle_unexpected(error)
    log.warning("database unavailable on %s: %s", request.path, error)
    return problem(503, "the database does not answer; try again shortly", headers={"Retry-After": "5"})


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(InterfaceError, handle_database_error)
    app.register_error_handler(NumberOutOfBounds, handle_number_out_of_bounds)
    app.register_error_handler(Exception, handle_unexpected)


def handle_number_out_of_bounds(error: Exception) -> Response:
    """A value too long to be a count or amount reached the store (the loader makes such
    a number null first): the write is refused whole, and says which value."""
    return problem(422, str(error))
