"""List responses: ``{"data": [...], "meta": {total, limit, offset, next}}`` with RFC 8288
``Link`` headers, or the same page as CSV (``format=csv`` or ``Accept: text/csv``),
streamed, UTF-8, with a BOM for Excel on ``bom=1``."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from urllib.parse import urlencode

import marshmallow as ma
import orjson
from flask import Response, request, stream_with_context
from flask_smorest import abort
from marshmallow import Schema, fields

from api.paging import Walk, project
from models.decimals import json_default, plain

DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000


def list_fields(sortable: Iterable[str], jsonstat: bool = False) -> dict[str, ma.fields.Field]:
    """The paging, sorting and format parameters every list endpoint takes (with
    ``jsonstat``: the format ``jsonstat`` too)."""
    sortable = list(sortable)
    formats = ["json", "csv", "jsonstat"] if jsonstat else ["json", "csv"]
    return {
        "limit": fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT),
                                metadata={"description": f"Records per page (default {DEFAULT_LIMIT}, "
                                                         f"at most {MAX_LIMIT})."}),
        "offset": fields.Integer(validate=ma.validate.Range(0, 2**31 - 1), metadata={"description": (
            "Records to skip (offset paging, kept for compatibility; default 0). Without offset and sort a "
            "list pages by cursor: see cursor.")}),
        "sort": SortField(sortable, metadata={
            "description": "Fields to sort by, comma-separated; a leading - sorts descending. One of: "
                           + ", ".join(sortable) + ".",
            "pattern": f"^-?({'|'.join(sortable)})(,-?({'|'.join(sortable)}))*$"}),
        "format": fields.String(validate=ma.validate.OneOf(formats), metadata={"description": (
            "json (default), csv" + (" or jsonstat (a JSON-stat 2.0 dataset of the page)" if jsonstat else "")
            + "; Accept: text/csv also asks for CSV.")}),
        "bom": fields.Boolean(load_default=False,
                              metadata={"description": "With CSV: start with a UTF-8 byte-order mark (for Excel)."}),
    }


class SortField(fields.String):
    def __init__(self, sortable: list[str], **kwargs):
        super().__init__(**kwargs)
        self.sortable = sortable

    def _deserialize(self, value, attr, data, **kwargs):
        out = []
        for item in super()._deserialize(value, attr, data, **kwargs).split(","):
            name = item.strip().lstrip("-")
            if name not in self.sortable:
                raise ma.ValidationError(f"cannot sort by {name!r}: one of {', '.join(self.sortable)}")
            out.append((name, item.strip().startswith("-")))
        return out


class MetaSchema(Schema):
    total = fields.Integer(required=True, metadata={"description": "Records matching the filters."})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True, metadata={"description": (
        "Records before this page: the offset asked for, or with a cursor the records the walk's earlier "
        "pages returned.")})
    next = fields.String(allow_none=True, required=True, metadata={"description": (
        "URL of the next page, or null: with offset paging its offset; otherwise its cursor (a walk).")})


def list_schema(name: str, item: type[Schema]) -> type[Schema]:
    return Schema.from_dict({"data": fields.List(fields.Nested(item), required=True),
                             "meta": fields.Nested(MetaSchema, required=True)}, name=name)


def order(query, args: dict, columns: dict, default: list):
    """ORDER BY the requested fields (``columns`` maps a field name to its expression),
    nulls last either way (as SQLite and PostgreSQL would not agree otherwise)."""
    sort = args.get("sort")
    if not sort:
        return query.order_by(*default)
    return query.order_by(*[columns[name].desc(nulls="LAST") if desc else columns[name].asc(nulls="LAST")
                            for name, desc in sort], *default)


def refuse_ungrouped_sort(args: dict, columns: dict) -> None:
    """A grouped list sorts only by what it returns: 400 for a field ``group_by`` left out."""
    from flask_smorest import abort

    for name, _ in args.get("sort") or []:
        if name not in columns:
            abort(400, message=f"cannot sort by {name!r}: not grouped by it",
                  invalid_params=[{"name": "sort", "reason": f"{name!r} is not in group_by"}])


def wants_csv(args: dict) -> bool:
    if args.get("format"):
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def _page_url(offset: int | None = None, cursor: str | None = None) -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "cursor")]
    params += [("offset", str(offset))] if offset is not None else [("cursor", cursor)] if cursor else []
    return f"{request.base_url}?{urlencode(params)}" if params else request.base_url


def respond(query, args: dict, records: Callable[[list], list[dict]], csv_columns: list[str],
            total: int | None = None, jsonstat: Callable[[list[dict], dict], dict] | None = None,
            walk: Walk | None = None):
    """One page of ``query`` as the list envelope (JSON) or CSV; ``records`` turns the
    page's rows into records (in one go, so it can fetch what they share at once).
    ``total``, when the caller knows it more cheaply, saves counting the query;
    ``jsonstat`` makes the page and its meta a JSON-stat dataset (``format=jsonstat``).
    ``walk`` (``api.paging``): the page of a cursor walk, or None for offset paging.
    A dict row's keys that start with ``_`` (a key column) are not served."""
    limit = args["limit"]
    if total is None:
        total = query.order_by().count()
    cursor = None
    if walk is not None and walk.walker.order:  # keyset: one row more tells whether there is a next page
        offset = walk.offset
        rows = list(walk.page(query, args).limit(limit + 1))
        has_next = len(rows) > limit
        rows = rows[:limit]
    else:
        offset = walk.offset if walk is not None else args.get("offset") or 0
        rows = list(query.limit(limit).offset(offset))
        has_next = offset + limit < total
    if walk is not None and has_next and rows:
        cursor = walk.next(rows[-1], len(rows))
    for row in rows:
        if isinstance(row, dict):
            for name in [k for k in row if k.startswith("_")]:
                del row[name]
    names = args.get("fields")
    if names and args.get("format") == "jsonstat":
        abort(400, message="fields does not apply to format=jsonstat (a dataset has its dimensions)",
              invalid_params=[{"name": "fields", "reason": "not with format=jsonstat"}])
    page = project(records(rows), names)
    next_url = (_page_url(cursor=cursor) if cursor else None) if walk is not None else \
        (_page_url(offset + limit) if has_next else None)
    links = [f'<{_page_url(0 if walk is None else None)}>; rel="first"']
    if walk is None and offset:
        links.append(f'<{_page_url(max(offset - limit, 0))}>; rel="prev"')
    if next_url:
        links.append(f'<{next_url}>; rel="next"')
    headers = {"Link": ", ".join(links), "X-Total-Count": str(total)}
    if wants_csv(args):
        return csv_response(page, names or csv_columns, args.get("bom"), headers)
    meta = {"total": total, "limit": limit, "offset": offset, "next": next_url}
    if jsonstat and args.get("format") == "jsonstat":
        return json_response(jsonstat(page, meta), headers)
    return json_response({"data": page, "meta": meta}, headers)


def json_response(body, headers: dict | None = None, status: int = 200) -> Response:
    """JSON written by orjson: the view's records as they are (the schema on the view
    documents them; tests check the two agree). Times without a zone are UTC; a Decimal
    is an exact JSON number."""
    return Response(orjson.dumps(body, default=json_default, option=orjson.OPT_NAIVE_UTC), status=status,
                    headers=headers, mimetype="application/json")


def _flat(record: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[prefix + key] = ";".join(map(str, value))
        elif isinstance(value, bool):
            out[prefix + key] = "true" if value else "false"
        elif isinstance(value, Decimal):
            out[prefix + key] = plain(value)  # every digit, no exponent
        else:
            out[prefix + key] = value
    return out


def csv_response(records: Iterable[dict], columns: list[str], bom: bool, headers: dict) -> Response:
    def rows():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\r\n")
        yield ("\ufeff" if bom else "")
        writer.writeheader()
        for i, record in enumerate(records, start=1):
            writer.writerow(_flat(record))
            if i % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers,
                    content_type="text/csv; charset=utf-8")


