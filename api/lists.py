"""List responses: ``{"data": [...], "meta": {total, limit, offset, next}}`` with RFC 8288
``Link`` headers, or the same records streamed as CSV (``format=csv`` or ``Accept:
text/csv``; UTF-8, with a BOM for Excel on ``bom=1``) or NDJSON (``format=ndjson`` or
``Accept: application/x-ndjson``: one JSON object a line, as the JSON page's records).
A streamed form reads its rows a chunk at a time and writes them as they come
(``api.streaming``), so it may ask for up to ``STREAM_MAX_LIMIT`` records at once; a
JSON page holds at most ``MAX_LIMIT``."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from operator import itemgetter
from urllib.parse import urlencode

import marshmallow as ma
import orjson
from flask import Response, request
from flask_smorest import abort
from marshmallow import Schema, fields
from peewee import Field, FloatField, IntegerField, ModelDictCursorWrapper, _StringField
from werkzeug.datastructures import MIMEAccept

from api import streaming
from api.paging import Walk, project
from models.decimals import json_default, plain

DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
STREAM_MAX_LIMIT = 1_000_000  # records one CSV or NDJSON answer may hold (streamed)
STREAMED = {"csv": "text/csv", "ndjson": streaming.NDJSON}  # format: media type


def list_fields(sortable: Iterable[str], jsonstat: bool = False) -> dict[str, ma.fields.Field]:
    """The paging, sorting and format parameters every list endpoint takes (with
    ``jsonstat``: the format ``jsonstat`` too)."""
    sortable = list(sortable)
    formats = ["json", "csv", "ndjson", "jsonstat"] if jsonstat else ["json", "csv", "ndjson"]
    return {
        "limit": fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, STREAM_MAX_LIMIT),
                                metadata={"description": f"Records per page (default {DEFAULT_LIMIT}). A JSON page "
                                          f"holds at most {MAX_LIMIT:,} (a larger limit gives pages of {MAX_LIMIT:,}: "
                                          f"meta.limit says so); CSV and NDJSON are streamed and take up to "
                                          f"{STREAM_MAX_LIMIT:,}."}),
        "offset": fields.Integer(validate=ma.validate.Range(0, 2**31 - 1), metadata={"description": (
            "Records to skip (offset paging, kept for compatibility; default 0). Without offset and sort a "
            "list pages by cursor: see cursor.")}),
        "sort": SortField(sortable, metadata={
            "description": "Fields to sort by, comma-separated; a leading - sorts descending. One of: "
                           + ", ".join(sortable) + ".",
            "pattern": f"^-?({'|'.join(sortable)})(,-?({'|'.join(sortable)}))*$"}),
        "format": fields.String(validate=ma.validate.OneOf(formats), metadata={"description": (
            "json (default), csv, ndjson (one JSON object a line)"
            + (" or jsonstat (a JSON-stat 2.0 dataset of the page)" if jsonstat else "")
            + "; Accept: text/csv or application/x-ndjson also asks for CSV or NDJSON. CSV and NDJSON are "
              "streamed: the first records come at once, however many are asked for.")}),
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


def list_format(args: dict) -> str:
    """The form asked for: ``format=``, else the best of ``Accept`` (JSON when none fits;
    media type parameters aside: ``text/csv;header=present`` asks for CSV)."""
    if args.get("format"):
        return args["format"]
    accept = MIMEAccept([(value.split(";")[0].strip(), q) for value, q in request.accept_mimetypes])
    best = accept.best_match(["application/json", *STREAMED.values()])
    return next((name for name, media in STREAMED.items() if media == best), "json")


def wants_csv(args: dict) -> bool:
    return list_format(args) == "csv"


def _page_url(offset: int | None = None, cursor: str | None = None) -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "cursor")]
    params += [("offset", str(offset))] if offset is not None else [("cursor", cursor)] if cursor else []
    return f"{request.base_url}?{urlencode(params)}" if params else request.base_url


def respond(query, args: dict, records: Callable[[list], list[dict]], csv_columns: list[str],
            total: int | Callable[[list | None], int] | None = None,
            jsonstat: Callable[[list[dict], dict], dict] | None = None, walk: Walk | None = None,
            page_rows: Callable[[int], list[dict]] | None = None):
    """One page of ``query`` as the list envelope (JSON), or streamed as CSV or NDJSON;
    ``records`` turns rows into records (a page, or a streamed chunk, in one go, so it can
    fetch what they share at once).
    ``total``, when the caller knows it more cheaply, saves counting the query; a
    callable is asked once the page is read, with the page's rows when they are all the
    rows of a walk (its first page, and no next), else None;
    ``jsonstat`` makes the page and its meta a JSON-stat dataset (``format=jsonstat``).
    ``walk`` (``api.paging``): the page of a cursor walk, or None for offset paging.
    ``page_rows(n)``, for a JSON page of a walk, reads its first ``n`` rows (as
    ``fetch_dicts`` of the walk's page would: the caller's faster way to the same rows).
    A dict row's keys that start with ``_`` (a key column) are not served.

    CSV and NDJSON stream up to ``STREAM_MAX_LIMIT`` rows of one snapshot in one
    response (in a walk, those of its snapshot: after the cursor given, if one is); the
    ``Link`` to their next page is by offset (a row's key is known only once it is sent)."""
    form = list_format(args)
    limit = args["limit"] if form in STREAMED else min(args["limit"], MAX_LIMIT)
    names = args.get("fields")
    if names and form == "jsonstat":
        abort(400, message="fields does not apply to format=jsonstat (a dataset has its dimensions)",
              invalid_params=[{"name": "fields", "reason": "not with format=jsonstat"}])
    if total is None:
        total = query.order_by().count()
    keyset = walk is not None and walk.walker.order
    offset = walk.offset if walk is not None else args.get("offset") or 0
    if form in STREAMED and callable(total):
        total = total(None)
    if form in STREAMED:  # the rows read and written a chunk at a time, the first chunk now
        page_query = walk.page(query, args).limit(limit) if keyset else query.limit(limit).offset(offset)
        links = [f'<{_page_url(0)}>; rel="first"']  # the next page by offset: its key is known only at the end
        if offset:
            links.append(f'<{_page_url(max(offset - limit, 0))}>; rel="prev"')
        if offset + limit < total:
            links.append(f'<{_page_url(offset + limit)}>; rel="next"')
        headers = {"Link": ", ".join(links), "X-Total-Count": str(total)}
        rows = streaming.started(streaming.chunks(page_query))

        def shaped(chunk: list) -> list[dict]:
            return project(records(_unkeyed(chunk)), names)

        if form == "csv":
            return csv_response(streaming.records_of(rows, shaped), names or csv_columns, args.get("bom"), headers)
        return ndjson_response(streaming.records_of(rows, shaped), headers)
    cursor = None
    if keyset:  # one row more tells whether there is a next page
        rows = page_rows(limit + 1) if page_rows else fetch_dicts(walk.page(query, args).limit(limit + 1))
        has_next = len(rows) > limit
        rows = rows[:limit]
        if callable(total):
            total = total(rows if not walk.resumed and not has_next else None)
    else:
        if callable(total):
            total = total(None)
        rows = fetch_dicts(query.limit(limit).offset(offset))
        has_next = offset + limit < total
    if walk is not None and has_next and rows:
        cursor = walk.next(rows[-1], len(rows))
    page = project(records(_unkeyed(rows)), names)
    next_url = (_page_url(cursor=cursor) if cursor else None) if walk is not None else \
        (_page_url(offset + limit) if has_next else None)
    links = [f'<{_page_url(0 if walk is None else None)}>; rel="first"']
    if walk is None and offset:
        links.append(f'<{_page_url(max(offset - limit, 0))}>; rel="prev"')
    if next_url:
        links.append(f'<{next_url}>; rel="next"')
    headers = {"Link": ", ".join(links), "X-Total-Count": str(total)}
    meta = {"total": total, "limit": limit, "offset": offset, "next": next_url}
    if jsonstat and args.get("format") == "jsonstat":
        return json_response(jsonstat(page, meta), headers)
    return json_response({"data": page, "meta": meta}, headers)


# a field's conversion that leaves a value of this type as it is (int(5) is 5, str("a") is "a")
_UNCHANGED = {_StringField.adapt: str, IntegerField.adapt: int, FloatField.adapt: float}


def fetch_dicts(query) -> list:
    """The rows of ``query``, as iterating it gives them: for a ``.dicts()`` query of a
    model, the same dicts (the same keys in the same order, each value converted by its
    field as peewee does), made in one go: a field whose conversion leaves a value of
    the type the database gave as it is (a string field's string, an integer field's
    int) is not called for it. Any other query: ``list(query)``."""
    wrapper = query.execute()
    if type(wrapper) is not ModelDictCursorWrapper or wrapper.initialized or wrapper.populated:
        return list(wrapper)
    raw = wrapper.cursor.fetchall()
    wrapper.cursor.close()
    if not raw:
        return []
    wrapper.initialize()
    names, converters = wrapper.unique_columns, wrapper.converters
    order = [*wrapper.no_convert, *wrapper.convert]  # peewee's key order: unconverted columns first
    keys = [names[i] for i in order]
    converted = []
    for i in wrapper.convert:
        convert = converters[i]
        field = getattr(convert, "__self__", None)
        kind = None
        if isinstance(field, Field) and getattr(convert, "__func__", None) is Field.python_value:
            kind = _UNCHANGED.get(type(field).adapt)
        converted.append((names[i], convert, kind))
    values = itemgetter(*order) if len(order) > 1 else lambda row: (row[order[0]],)
    rows = []
    for row in raw:
        record = dict(zip(keys, values(row), strict=True))
        for key, convert, kind in converted:
            value = record[key]
            if kind is None:
                record[key] = convert(value)
            elif value is not None and type(value) is not kind:
                record[key] = convert(value)
        rows.append(record)
    return rows


def _unkeyed(rows: list) -> list:
    """Rows without their key columns (a dict row's keys that start with ``_``)."""
    if not rows or not isinstance(rows[0], dict):
        return rows
    names = [k for k in rows[0] if k.startswith("_")]  # the rows of one query: the same keys
    for row in rows:
        for name in names:
            del row[name]
    return rows


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


def csv_rows(pieces: Iterable[list[dict]], columns: list[str], bom: bool = False) -> Iterator[bytes]:
    """The records as UTF-8 CSV (header first), a piece of body per list of records."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writeheader()
    for piece in pieces:
        writer.writerows(map(_flat, piece))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no records: the header
        yield buffer.getvalue().encode()


def csv_response(pieces: Iterable[list[dict]], columns: list[str], bom: bool, headers: dict) -> Response:
    """Lists of records as CSV, streamed (each written as it comes)."""
    return streaming.streamed(csv_rows(pieces, columns, bom), "text/csv; charset=utf-8", headers)


def ndjson_response(pieces: Iterable[list[dict]], headers: dict) -> Response:
    """Lists of records as NDJSON (one JSON object a line, as in the JSON page), streamed."""
    return streaming.streamed(streaming.ndjson_lines(pieces), streaming.NDJSON, headers)
