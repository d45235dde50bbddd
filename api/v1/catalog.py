"""Catalogs for open-data portals: DCAT-AP 3 at /v1/catalog (JSON-LD, Turtle or RDF/XML),
DCAT-US 1.1 at /data.json. What they say is made in ``api/catalog.py``."""
from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, request, url_for

from api import catalog
from api.base import Blueprint
from api.lists import json_response
from api.v1.common import not_modified

blp = Blueprint("catalog", __name__, url_prefix="", description="Catalogs for open-data portals to harvest.")
JSONLD = "application/ld+json"
# What /v1/catalog offers: media type -> form (catalog.FORMS), the first the default
# (no Accept, */*, or nothing offered is acceptable). application/json is the JSON-LD.
OFFERS = {JSONLD: "jsonld", "application/json": "jsonld", "text/turtle": "turtle", "application/rdf+xml": "rdfxml"}
CatalogArgs = ma.Schema.from_dict({"format": ma.fields.String(
    validate=ma.validate.OneOf(list(catalog.FORMS)),
    metadata={"description": "The form, overriding Accept: jsonld (application/ld+json), turtle (text/turtle) or "
                             "rdfxml (application/rdf+xml)."})}, name="CatalogArgs")


def chosen(args: dict) -> tuple[str, str]:
    """The form and media type of the answer: ``format=`` if given, else the best the
    request's ``Accept`` takes of ``OFFERS`` (by its q-values), else JSON-LD."""
    if args.get("format"):
        return args["format"], catalog.FORMS[args["format"]][0]
    media = request.accept_mimetypes.best_match(list(OFFERS)) or JSONLD
    return OFFERS[media], media


@blp.route("/v1/catalog")
@blp.arguments(CatalogArgs, location="query", as_kwargs=False)
@blp.doc(responses={"200": {
    "description": "A dcat:Catalog (DCAT-AP 3): JSON-LD with its context inline (application/json is the same), "
                   "Turtle or RDF/XML, by Accept or ``format``; the same graph in each.",
    "content": {media: {"schema": {"type": "object" if form == "jsonld" else "string"}}
                for media, form in OFFERS.items()}}})
@not_modified(blp)
def get_catalog(args):
    """The catalog (DCAT-AP 3)

    The corpus as a dataset, a dataset per year (members of a dataset series), the
    API as a data service, and their distributions: JSON API, CSV, the data package
    and Parquet. JSON-LD unless ``Accept`` prefers ``text/turtle`` or
    ``application/rdf+xml``, or ``format`` names one."""
    form, media = chosen(args)
    body = catalog.serialise(catalog.dcat_graph(), form)
    if form == "jsonld":
        response = json_response(body)
        response.content_type = media
        return response
    return Response(body, content_type=f"{media}; charset=utf-8")


@blp.route("/data.json")
@blp.doc(responses={"200": {"description": "A DCAT-US 1.1 (Project Open Data) catalog.",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
@not_modified(blp)
def get_data_json():
    """The catalog (DCAT-US 1.1, data.json)

    The same datasets as /v1/catalog, for CKAN's data.json harvester."""
    return json_response(catalog.data_json())


RESOURCES = ("agencies", "reports", "cells", "aggregates", "findings", "indicators", "codebook", "sections")


@blp.route("/v1/", strict_slashes=False)
@blp.doc(responses={"200": {"description": "The API's resources, documentation and catalogs, and its version.",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
@not_modified(blp)
def get_root():
    """The API root

    Where everything is: each resource's list, the OpenAPI document and its
    documentation, the catalogs and the bulk files; and the API's version."""
    base = url_for("catalog.get_root", _external=True).rstrip("/")
    root = base.removesuffix("/v1")
    return json_response({
        "version": current_app.config["API_VERSION"],
        "resources": {name: f"{base}/{name}" for name in RESOURCES},
        "openapi": f"{base}/openapi.json", "documentation": f"{root}/docs",
        "catalog": {"dcat_ap": f"{base}/catalog", "data_json": f"{root}/data.json"},
        "bulk": {"datapackage": f"{base}/bulk/datapackage.json", "cells_parquet": f"{base}/bulk/cells.parquet"},
    })
