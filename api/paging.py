"""Cursor paging and field selection for the lists.

A list walked without ``offset`` and without ``sort`` pages by **keyset**: each page's
``meta.next`` (and ``Link rel=next``) carries an opaque ``cursor`` that holds the last
key of the page (in the list's default order), the **snapshot** the walk began at and a
digest of its filters. The walk returns the rows of that snapshot: every row that was
there when it began exactly once, in order, and nothing loaded since.

- Report-based lists (reports, cells, findings): reports loaded later have higher ids,
  so the snapshot is the highest report id ``r``: a row is in it when its report's id is
  at most ``r`` and (with ``revisions=current``) that report was current then — current
  now, or superseded since by a revision with an id above ``r`` (found per page from
  the reports above ``r``: ``superseded``). A retraction since the walk began of a report
  of the snapshot that its filters select cannot be honoured (it changes which revision
  was current): 410, start again from the first page. Retractions are never undone, so
  the snapshot counts the retracted reports its filters select (``x``), and a page that
  counts more knows: exact, in the page's own read snapshot, whatever the clocks.
- Findings: as reports, and only the findings up to the highest finding id. Storing a
  report remakes the cross-year findings of its agency's neighbouring years (reports of
  the snapshot): a walk that this touches (its filters select a finding remade) is 410.
- Agencies and a report's history only grow: the snapshot is the highest id.
- Aggregates and indicators are computed per request: their cursor is an offset under
  the data version; a write since makes it 410.

A cursor is checked (a keyed digest; a cursor is not an authorization, so the key is
not secret): a malformed or altered one is a 400, a cursor of other filters or another
list a 400. Base32, so it never looks like an API key in a URL."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import marshmallow as ma
from flask import request
from flask_smorest import abort
from peewee import Tuple, fn

VERSION = 1
PAGING = frozenset({"cursor", "limit", "offset", "format", "bom", "fields"})  # what a page may change
_KEY = b"ogi-api cursor v1"  # a checksum's key, not a secret: a cursor grants nothing
_MAC = 10


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    list: str
    key: tuple | None  # the last key of the previous page (None: offset pages)
    offset: int  # records the walk returned before this page
    snapshot: dict
    filters: str


def encode(cursor: Cursor) -> str:
    payload = json.dumps([VERSION, cursor.list, cursor.key and list(cursor.key), cursor.offset, cursor.snapshot,
                          cursor.filters], separators=(",", ":")).encode()
    mac = hmac.new(_KEY, payload, hashlib.sha256).digest()[:_MAC]
    return base64.b32encode(payload + mac).decode().rstrip("=").lower()


def decode(text: str) -> Cursor:
    try:
        raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except ValueError as e:
        raise CursorError("not a cursor (not base32)") from e
    payload, mac = raw[:-_MAC], raw[-_MAC:]
    if len(raw) <= _MAC or not hmac.compare_digest(mac, hmac.new(_KEY, payload, hashlib.sha256).digest()[:_MAC]):
        raise CursorError("not a cursor this API made, or altered")
    try:
        version, name, key, offset, snapshot, filters = json.loads(payload)
    except ValueError as e:
        raise CursorError("not a cursor this API made") from e
    if version != VERSION:
        raise CursorError("a cursor of another version of the API")
    if not (isinstance(name, str) and isinstance(filters, str) and _natural(offset) and isinstance(snapshot, dict)
            and all(_natural(v) or isinstance(v, str) for v in snapshot.values())
            and (key is None or isinstance(key, list) and key and all(_natural(v) for v in key))):
        raise CursorError("not a cursor this API made")
    return Cursor(name, tuple(key) if key is not None else None, offset, snapshot, filters)


def _natural(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


class CursorField(ma.fields.String):
    """``cursor``: a page's position in a walk, from ``meta.next``."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"minLength": 1, "maxLength": 2000, "description": (
            "Where a walk goes on: the opaque value in meta.next (and Link rel=next). "
            "Cursor paging follows the list's default order (not with sort or offset); a walk returns the "
            "rows there were when it began, each once. 400: a malformed cursor, or one of other filters; "
            "410: the data changed in a way the walk cannot honour (a retraction): start again from the "
            "first page."), "pattern": "^[a-z2-7]+$"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= len(text) <= 2000:
            raise ma.ValidationError("not a cursor (its length): start from the first page")
        try:
            return decode(text)
        except CursorError as e:
            raise ma.ValidationError(f"{e}: start from the first page") from e


def filters_digest(name: str, args: dict) -> str:
    """What the rows of a walk depend on: the list and every argument but the paging."""
    given = {k: v for k, v in args.items() if k not in PAGING and not k.startswith("_")}
    text = json.dumps([name, given], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _refuse(message: str, reason: str, status: int = 400):
    abort(status, message=message, invalid_params=[{"name": "cursor", "reason": reason}])


@dataclass(frozen=True)
class Walker:
    """How one list is walked by cursor: ``order`` its default order (ascending columns,
    unique together; empty: offset pages under the data version), ``key`` a row's values
    of them, ``snapshot`` what a walk's rows are: ``reports``, ``agencies``, ``events`` or
    ``version``; ``filters`` the report filters the list takes (to scope the retraction
    check)."""

    name: str
    order: tuple = ()
    key: Callable | None = None
    snapshot: str = "version"
    filters: tuple = field(default_factory=tuple)

    def start(self, args: dict) -> Walk | None:
        """This request's page of a walk, or None when it pages by offset (``offset``
        or ``sort`` given)."""
        cursor = args.get("cursor")
        if args.get("offset") is not None or args.get("sort"):
            if cursor is not None:
                what = "offset" if args.get("offset") is not None else "sort"
                _refuse(f"cursor and {what} do not go together: a cursor follows the list's default order from "
                        f"where its walk is; sort or page by offset without a cursor",
                        f"given with {what}")
            return None
        digest = filters_digest(self.name, args)
        if cursor is None:
            return Walk(self, self.take(args), None, 0, digest, resumed=False)
        if cursor.list != self.name:
            _refuse(f"this cursor is of another list ({cursor.list}): start from the first page",
                    "of another list")
        if cursor.filters != digest:
            _refuse("this cursor was made for other filters: a walk keeps its filters (and its revisions); "
                    "start from the first page to change them", "made for other filters")
        if (cursor.key is None) != (not self.order) or (cursor.key and len(cursor.key) != len(self.order)) \
                or set(cursor.snapshot) != set(self.take_keys()):
            _refuse("not a cursor of this list: start from the first page", "not a cursor of this list")
        walk = Walk(self, cursor.snapshot, cursor.key, cursor.offset, digest, resumed=True)
        walk.check(args)
        return walk

    def take_keys(self) -> tuple[str, ...]:
        return {"reports": ("r", "x"), "findings": ("r", "x", "f", "n"), "agencies": ("a",), "events": ("w",),
                "version": ("d",)}[self.snapshot]

    def take(self, args: dict) -> dict:
        """The snapshot of a walk that begins now (in this request's read transaction)."""
        from models import Agency, Report, WriteEvent
        from models.schema import data_version

        if self.snapshot in ("reports", "findings"):
            last = last_id(Report)
            out = {"r": last, "x": self.retracted(last, args) if current_only(args) else 0}
            if self.snapshot == "findings":
                from models import Finding

                out["f"] = last_id(Finding)
                out["n"] = self.findings(out, args)
            return out
        if self.snapshot == "agencies":
            return {"a": last_id(Agency)}
        if self.snapshot == "events":
            return {"w": last_id(WriteEvent)}
        return {"d": data_version()}

    def retracted(self, last: int, args: dict) -> int:
        """How many reports up to ``last`` that the filters select are retracted."""
        from api.filters import FILTERS, REPORT_FILTERS
        from models import Agency, Report

        query = Report.select(Report.id).join(Agency).where(Report.id <= last, Report.retracted_at.is_null(False))
        for name in self.filters:
            if args.get(name) is not None and name in REPORT_FILTERS:
                query = query.where(FILTERS[name].condition(args[name]))
        return query.count()

    def findings(self, snapshot: dict, args: dict) -> int:
        """How many findings up to the snapshot's last one, of its reports, the filters
        select (a load remakes the cross-year findings of the neighbouring years' reports:
        this count then changes, or findings of the snapshot's reports appear above it)."""
        from api.filters import FILTERS
        from models import Agency, Finding, Report

        query = Finding.select(Finding.id).join(Report).join(Agency).where(Finding.id <= snapshot["f"],
                                                                          Report.id <= snapshot["r"])
        for name in self.filters:
            if args.get(name) is not None:
                query = query.where(FILTERS[name].condition(args[name]))
        return query.count()


def last_id(model) -> int:
    """The highest id of ``model``'s rows (0 when none): the end of its primary key,
    read by a statement of its own (no peewee query built each request)."""
    from models import database

    meta = model._meta
    sql = f'SELECT MAX("{meta.primary_key.column_name}") FROM "{meta.table_name}"'
    return database.execute_sql(sql).fetchone()[0] or 0


def current_only(args: dict) -> bool:
    """Whether a list of report rows keeps current revisions (``apply_filters``' rule)."""
    return args.get("revisions", "current") == "current" and not args.get("report")


@dataclass
class Walk:
    walker: Walker
    snapshot: dict
    after: tuple | None
    offset: int
    digest: str
    resumed: bool

    def check(self, args: dict) -> None:
        """410 when the data changed in a way this walk cannot honour."""
        from models.schema import data_version

        if self.walker.snapshot == "version" and self.snapshot["d"] != data_version():
            abort(410, message="the data changed since this walk began (a load or a retraction): its pages would "
                  "not add up; start again from the first page", headers={"Link": f'<{first_url()}>; rel="first"'})
        if self.walker.snapshot == "findings" and (self.walker.findings(self.snapshot, args) != self.snapshot["n"] or
                                                   self._findings_added()):
            abort(410, message="findings of the reports this walk returns were made again since it began (storing a "
                  "report remakes the cross-year findings of its agency's neighbouring years); start again from the "
                  "first page", headers={"Link": f'<{first_url()}>; rel="first"'})
        if self.walker.snapshot in ("reports", "findings") and current_only(args) \
                and self.walker.retracted(self.snapshot["r"], args) != self.snapshot["x"]:
            abort(410, message="a report this walk returns rows of was retracted since it began, so which revision "
                  "is current changed under it; start again from the first page",
                  headers={"Link": f'<{first_url()}>; rel="first"'})

    def _findings_added(self) -> bool:
        from models import Finding

        return Finding.select().where(Finding.id > self.snapshot["f"], Finding.report <= self.snapshot["r"]).exists()

    def visible(self, query, args: dict):
        """Only the rows of the snapshot."""
        from models import Agency, Report, WriteEvent

        kind, snap = self.walker.snapshot, self.snapshot
        if kind == "agencies":
            return query.where(Agency.id <= snap["a"])
        if kind == "events":
            return query.where(WriteEvent.id <= snap["w"])
        if kind not in ("reports", "findings"):
            return query
        query = query.where(Report.id <= snap["r"])
        if kind == "findings":
            from models import Finding

            query = query.where(Finding.id <= snap["f"])
        if current_only(args):
            query = query.where((Report.is_current == True) | Report.id.in_(superseded(snap["r"])))  # noqa: E712
        return query

    def page(self, query, args: dict):
        """The rows of this page's part of the walk (limit not applied)."""
        query = self.visible(query, args)
        if self.after is not None:
            columns = self.walker.order
            query = query.where(Tuple(*columns) > Tuple(*self.after) if len(columns) > 1
                                else columns[0] > self.after[0])
        return query

    def next(self, last_row, returned: int) -> str:
        key = tuple(self.walker.key(last_row)) if self.walker.order else None
        return encode(Cursor(self.walker.name, key, self.offset + returned, self.snapshot, self.digest))


def superseded(snapshot: int):
    """The reports current at the snapshot that a revision loaded since superseded: for
    each agency-year with a report above ``snapshot``, its latest revision not retracted
    at or below it. Read from the reports above the snapshot (an id range: few while a
    load runs, none otherwise) and the (agency, year, revision) index."""
    from models import Report

    newer, older = Report.alias("newer"), Report.alias("older")
    changed = newer.select(newer.agency, newer.year).where(newer.id > snapshot)
    return (older.select(fn.MAX(older.id))
            .where(Tuple(older.agency, older.year).in_(changed), older.id <= snapshot, older.retracted_at.is_null())
            .group_by(older.agency, older.year))


def first_url() -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "offset")]
    from urllib.parse import urlencode

    return f"{request.base_url}?{urlencode(params)}" if params else request.base_url


# ---- fields= ----------------------------------------------------------------------------------------

def field_names(schema: type[ma.Schema] | ma.Schema) -> list[str]:
    """The names ``fields=`` takes for records of ``schema``: its fields, and
    ``name.sub`` for each field of a nested object."""
    schema = schema() if isinstance(schema, type) else schema
    names = []
    for name, f in schema.fields.items():
        names.append(name)
        if isinstance(f, ma.fields.Nested) and not f.many:
            names += [f"{name}.{sub}" for sub in f.schema.fields]
    return names


class FieldsField(ma.fields.String):
    """``fields``: the record fields to return, in this order (JSON and CSV)."""

    def __init__(self, names: list[str], **kwargs):
        self.names = names
        one = "|".join(re.escape(n) for n in names)
        super().__init__(metadata={"minLength": 1, "maxLength": 2000, "pattern": f"^({one})(,({one}))*$",
                                   "description": (
            "Fields to return, comma-separated, in this order (JSON; CSV columns likewise); a.b picks a field of "
            "a nested object. One of: " + ", ".join(names) + ".")}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        out: list[str] = []
        text = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= len(text) <= 2000:
            raise ma.ValidationError("between 1 and 2000 characters")
        for name in (n.strip() for n in text.split(",")):
            if name not in self.names:
                raise ma.ValidationError(f"unknown field {name!r}: one of {', '.join(self.names)}")
            if name not in out:
                out.append(name)
        return out


def project(records: Iterable[dict], names: list[str] | None) -> list[dict]:
    """Each record with only the fields named, in that order (``a.b``: field b of object a)."""
    if not names:
        return records if isinstance(records, list) else list(records)
    out = []
    for record in records:
        picked: dict = {}
        for name in names:
            head, _, sub = name.partition(".")
            if not sub:
                picked[head] = record.get(head)
                continue
            value = record.get(head)
            if not isinstance(picked.get(head), dict):
                picked[head] = {}
            picked[head][sub] = value.get(sub) if isinstance(value, dict) else None
        out.append(picked)
    return out


def paging_fields(item: type[ma.Schema] | None) -> dict[str, ma.fields.Field]:
    """``cursor`` for every list, and ``fields`` for a list of ``item`` records."""
    out: dict[str, ma.fields.Field] = {"cursor": CursorField()}
    if item is not None:
        out["fields"] = FieldsField(field_names(item))
    return out
