"""Catalogs for open-data portals: DCAT-AP 3 at /v1/catalog, DCAT-US 1.1 at /data.json.
What they say is made in ``api/catalog.py``."""
from __future__ import annotations

from flask import current_app, url_for

from api import catalog
from api.base import Blueprint
from api.lists import json_response
from api.v1.common import not_modified

blp = Blueprint("catalog", __name__, url_prefix="", description="Catalogs for open-data portals to harvest.")
JSONLD = "application/ld+json"


@blp.route("/v1/catalog")
@blp.doc(responses={"200": {"description": "A dcat:Catalog (DCAT-AP 3), JSON-LD with its context inline.",
                            "content": {JSONLD: {"schema": {"type": "object"}}}}})
@not_modified(blp)
def get_catalog():
    """The catalog (DCAT-AP 3)

    The corpus as a dataset, a dataset per year (members of a dataset series), the
    API as a data service, and their distributions: JSON API, CSV, the data package
    and Parquet."""
    response = json_response(catalog.dcat_ap())
    response.content_type = JSONLD
    return response


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
