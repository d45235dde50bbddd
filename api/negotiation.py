"""Content negotiation: an ``Accept`` that nothing an endpoint offers satisfies is a
406 problem that names what is offered, before the view runs.

What an endpoint offers is, in this order of sources:

- what its operation's success responses document in the OpenAPI document (the
  ``content`` of its 2xx responses: ``text/csv`` on the lists, ``application/ld+json``
  on the catalog, ``image/png`` on page images, …), so a media type documented on an
  operation (``@blp.doc(responses={"200": {"content": {TYPE: …}}})``) is offered with
  no other change;
- ``DEFAULT``: JSON and problem+json, offered by every endpoint it checks;
- ``EXTRA``: media types of endpoints outside the document (the explorer's pages, the
  docs), by endpoint or blueprint name, and the ``offers(...)`` decorator on a view.

Media type parameters in ``Accept`` are not compared (``text/csv;header=present`` asks
for CSV). Endpoints that none of these name (static files, health, metrics) are not checked. A
request that names its format (``format=csv``) has chosen: its ``Accept`` is not
checked. ``*/*`` (browsers, curl), no ``Accept`` at all, or one with no valid media
range are always served."""
from __future__ import annotations

from collections.abc import Callable

from apispec import BasePlugin
from flask import Flask, current_app, request
from flask_smorest.spec.plugins import FlaskPlugin
from werkzeug.datastructures import MIMEAccept

from api.errors import PROBLEM, problem

DEFAULT = ("application/json", PROBLEM)
EXTRA: dict[str, tuple[str, ...]] = {
    "explorer": ("text/html",),  # the explorer's pages (blueprint)
    "api-docs.openapi_swagger_ui": ("text/html",),  # /docs
    "api-docs.openapi_json": ("application/vnd.oai.openapi+json",),  # /v1/openapi.json
}
UNCHECKED = {"static", "swagger_ui_static", "explorer.static", "explorer.report_source"}  # files of any type
OFFERS_ATTRIBUTE = "_ogi_offers"


def offers(*media_types: str) -> Callable:
    """Declare on a view media types it answers beyond its documented ones."""
    def mark(view):
        setattr(view, OFFERS_ATTRIBUTE, (*getattr(view, OFFERS_ATTRIBUTE, ()), *media_types))
        return view
    return mark


def documented(spec: dict, path: str, method: str) -> tuple[str, ...]:
    """The media types of the 2xx responses of one operation of ``spec``."""
    operation = (spec.get("paths", {}).get(path) or {}).get(method.lower()) or {}
    found: list[str] = []
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        if "$ref" in response:  # #/components/responses/NAME
            response = spec.get("components", {}).get("responses", {}).get(response["$ref"].rsplit("/", 1)[1], {})
        found += [t for t in response.get("content") or {} if t not in found]
    return tuple(found)


def offer_table(app: Flask) -> dict[tuple[str, str], tuple[str, ...]]:
    """(endpoint, method) → the media types offered; only the endpoints checked."""
    spec = app.extensions["ogi_api"].spec.to_dict()
    table = {}
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if rule.endpoint in UNCHECKED:
            continue
        view = app.view_functions.get(rule.endpoint)
        extra = (*EXTRA.get(rule.endpoint, ()), *EXTRA.get(blueprint, ()), *getattr(view, OFFERS_ATTRIBUTE, ()))
        for method in rule.methods - {"OPTIONS"}:
            declared = documented(spec, FlaskPlugin.flaskpath2openapi(rule.rule), method) + extra
            if declared or rule.endpoint in EXTRA or blueprint in EXTRA:
                table[(rule.endpoint, method)] = tuple(dict.fromkeys((*declared, *DEFAULT)))
    return table


def offered() -> tuple[str, ...] | None:
    """What the current request's endpoint offers; None when it is not checked."""
    table = current_app.extensions.get("ogi_offers")
    if table is None:
        table = current_app.extensions["ogi_offers"] = offer_table(current_app)
    return table.get((request.endpoint, request.method if request.method != "HEAD" else "GET"))


def refuse_unacceptable():
    """before_request: 406 when the request's Accept matches nothing offered."""
    if request.method == "OPTIONS" or "format" in request.args or not request.endpoint:
        return None
    accept = MIMEAccept([(value.split(";")[0].strip(), q) for value, q in request.accept_mimetypes
                         if "/" in value])  # text/csv;header=present is text/csv
    if not accept:  # absent, empty, or no media range in it: anything goes
        return None
    types = offered()
    if types is None or accept.best_match(types) is not None:
        return None
    return problem(406, f"cannot answer with any media type of Accept: {request.headers.get('Accept')}; "
                        f"this resource is offered as {', '.join(types)}")


def init_app(app: Flask) -> None:
    app.before_request(refuse_unacceptable)


class OpenAPIPlugin(BasePlugin):
    """Every operation documents the 406 it answers for an ``Accept`` it cannot serve."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault(406, "NOT_ACCEPTABLE")
