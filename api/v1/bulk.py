"""Bulk files: each resource as one CSV, the cells as Parquet, and the Frictionless
data package describing the CSV files. What they hold is in ``api/bulk.py``."""
from __future__ import annotations

from pathlib import Path

import marshmallow as ma
from flask import Response, current_app, send_file, stream_with_context, url_for
from flask_smorest import abort

from api import bulk
from api.base import Blueprint
from api.lists import json_response
from api.v1.common import not_found, not_modified
from models.schema import data_version

blp = Blueprint("bulk", __name__, url_prefix="/v1/bulk",
                description="The whole current data set as files: CSV, Parquet and a Frictionless data package.")

NAMES = list(bulk.RESOURCES)
CSV_DOC = {"parameters": [{"in": "path", "name": "name", "required": True, "description": "The resource.",
                           "schema": {"type": "string", "enum": NAMES}}],
           "responses": {"200": {"description": "The resource as UTF-8 CSV, streamed.",
                                 "content": {"text/csv": {"schema": {"type": "string"}}}}}}
PARQUET = "application/vnd.apache.parquet"
BulkArgs = ma.Schema.from_dict({"year": ma.fields.Integer(validate=ma.validate.Range(1990, 2100), metadata={
    "description": "Only the rows of reports on this year (reports, cells, findings)."})}, name="BulkArgs")


@blp.route("/<name>.csv")
@blp.arguments(BulkArgs, location="query", as_kwargs=False)
@blp.doc(**CSV_DOC)
@not_found(blp)
@not_modified(blp)
def get_csv(args, name):
    """A resource as one CSV file

    Every row of agencies, reports, cells or findings (current revisions), in id
    order; its fields are described in datapackage.json."""
    if name not in bulk.RESOURCES:
        abort(404, message=f"no bulk resource {name!r}: one of {', '.join(NAMES)}")
    resource = bulk.RESOURCES[name]
    if args.get("year") is not None and not resource.by_year:
        abort(400, message=f"{name} cannot be chosen by year", invalid_params=[
            {"name": "year", "reason": f"not a filter of {name}"}])
    return Response(stream_with_context(bulk.csv_chunks(resource, args.get("year"))),
                    content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


@blp.route("/cells.parquet")
@blp.doc(responses={"200": {"description": "All current cells as Parquet (zstd; value and confidence as "
                            "decimal(38,10), exact; box as its text).",
                            "content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}}})
@not_modified(blp)
def get_parquet():
    """The cells as one Parquet file

    Made on the first request after the data changes, then served from a file
    (``OGI_EXPORT_DIR``)."""
    folder = Path(current_app.config["EXPORT_DIR"])
    target = folder / f"cells-{data_version()}.parquet"
    try:
        handle = target.open("rb")  # once open, a worker making a newer file cannot take it away
    except FileNotFoundError:
        bulk.write_parquet(bulk.RESOURCES["cells"], target)
        handle = target.open("rb")
        for old in folder.glob("cells-*.parquet"):
            if old != target:
                old.unlink(missing_ok=True)
    return send_file(handle, mimetype=PARQUET, as_attachment=True, download_name="cells.parquet", etag=False)


@blp.route("/datapackage.json")
@blp.doc(responses={"200": {"description": "A Frictionless Data Package (v1) descriptor.",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
@not_modified(blp)
def get_datapackage():
    """The Frictionless data package

    The CSV resources with their table schemas: fields, types, keys and the
    foreign keys between them."""
    return json_response(bulk.datapackage(lambda name: url_for("bulk.get_csv", name=name, _external=True)))
