"""Bulk files: each resource as one CSV and as NDJSON, the cells as Parquet, and the
Frictionless data package describing the CSV files. What they hold is in ``api/bulk.py``.

CSV and NDJSON are made as they are sent (``api.streaming``): the first rows at once,
memory flat, no ranges offered. Parquet is a file on disk, served with byte ranges
(``Range`` → 206, or 416 when none of it can be served)."""
from __future__ import annotations

import os
from pathlib import Path

import marshmallow as ma
from flask import current_app, g, request, send_file, url_for
from flask_smorest import abort

from api import bulk, streaming
from api.base import Blueprint
from api.lists import json_response
from api.v1.common import not_found, not_modified
from models.schema import data_version

blp = Blueprint("bulk", __name__, url_prefix="/v1/bulk",
                description="The whole current data set as files: CSV, Parquet and a Frictionless data package.")

NAMES = list(bulk.RESOURCES)
NAME_PARAMETER = [{"in": "path", "name": "name", "required": True, "description": "The resource.",
                   "schema": {"type": "string", "enum": NAMES}}]
CSV_DOC = {"parameters": NAME_PARAMETER,
           "responses": {"200": {"description": "The resource as UTF-8 CSV, streamed.",
                                 "content": {"text/csv": {"schema": {"type": "string"}}}}}}
NDJSON_DOC = {"parameters": NAME_PARAMETER,
              "responses": {"200": {"description": "The resource as NDJSON (one JSON object a line, its fields "
                                                   "named as in the CSV; numbers exact), streamed.",
                                    "content": {streaming.NDJSON: {"schema": {"type": "string"}}}}}}
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
    resource, pieces = _rows(name, args.get("year"))
    return streaming.streamed((text.encode() for text in bulk.csv_chunks(resource, chunks=pieces)),
                              "text/csv; charset=utf-8", {"Content-Disposition": f"attachment; filename={name}.csv"})


@blp.route("/<name>.ndjson")
@blp.arguments(BulkArgs, location="query", as_kwargs=False)
@blp.doc(**NDJSON_DOC)
@not_found(blp)
@not_modified(blp)
def get_ndjson(args, name):
    """A resource as one NDJSON file

    The rows of the CSV file, one JSON object a line, numbers as exact JSON numbers."""
    resource, pieces = _rows(name, args.get("year"))
    return streaming.streamed(streaming.ndjson_lines(bulk.ndjson_records(resource, pieces)), streaming.NDJSON,
                              {"Content-Disposition": f"attachment; filename={name}.ndjson"})


def _rows(name: str, year: int | None):
    """The resource and its chunks of rows, the first read now (under the query time limit)."""
    if name not in bulk.RESOURCES:
        abort(404, message=f"no bulk resource {name!r}: one of {', '.join(NAMES)}")
    resource = bulk.RESOURCES[name]
    if year is not None and not resource.by_year:
        abort(400, message=f"{name} cannot be chosen by year", invalid_params=[
            {"name": "year", "reason": f"not a filter of {name}"}])
    return resource, streaming.started(resource.chunks(year))


@blp.route("/cells.parquet")
@blp.doc(responses={"200": {"description": "All current cells as Parquet (zstd; value and confidence as "
                            "float64, each the printed number exactly, null where a float64 cannot hold every "
                            "digit; value_text the exact text of every value; box as its text). Byte ranges "
                            "are served (Range, If-Range).",
                            "content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}},
                    "206": {"description": "The byte range asked for (Content-Range).",
                            "content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}}},
                    "416": {"description": "No byte of the range asked for is in the file."}})
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
    size = os.fstat(handle.fileno()).st_size  # send_file knows no size of an open file, so would serve no range
    response = send_file(handle, mimetype=PARQUET, as_attachment=True, download_name="cells.parquet", etag=False,
                         last_modified=g.get("last_modified"), conditional=False)
    response.content_length = size
    if g.get("etag"):
        response.set_etag(g.etag)  # If-Range compares with it
    # Range: 206 with Content-Range; 416 (Content-Range: bytes */size) when none of it is in the file
    return response.make_conditional(request, accept_ranges=True, complete_length=size)


@blp.route("/datapackage.json")
@blp.doc(responses={"200": {"description": "A Frictionless Data Package (v1) descriptor.",
                            "content": {"application/json": {"schema": {"type": "object"}}}}})
@not_modified(blp)
def get_datapackage():
    """The Frictionless data package

    The CSV resources with their table schemas: fields, types, keys and the
    foreign keys between them."""
    return json_response(bulk.datapackage(lambda name: url_for("bulk.get_csv", name=name, _external=True)))
