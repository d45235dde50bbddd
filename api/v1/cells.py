"""Cells in tidy long form: one record per (report, table, row, column).

A cell read by OCR has its ``confidence`` and ``box`` (an object in JSON; in CSV the
box's text form, ``page x0 y0 x1 y1 width height``)."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

import marshmallow as ma
from marshmallow import Schema
from peewee import Tuple, fn
from webargs.fields import DelimitedList

from api import schemas
from api.base import Blueprint
from api.filters import CELL_FILTERS, REPORT_FILTERS, apply_filters
from api.jsonstat import COLUMN_WITH_UNIT, DIMENSIONS, dataset
from api.jsonstat import OFFERED as jsonstat_doc
from api.lists import list_fields, list_format, order, respond
from api.paging import CursorField, Walk, Walker
from api.rollups import rollup_can_answer, rollup_count
from api.v1.common import CSV_DOC, JSONSTAT_NOTE, gone, list_args, not_modified
from loaders.document import box_document
from models import Agency, Cell, Report, database
from models.codebook import codebook, column_units
from models.decimals import json_number

blp = Blueprint("cells", __name__, url_prefix="/v1/cells", description="Every printed number, one record per cell.")

SORT = {"report_id": Report.id, "agency_id": Agency.id, "agency_name": Agency.name, "region": Agency.region,
        "year": Report.year, "layout": Report.layout, "table": Cell.table_key, "row": Cell.row_key,
        "column": Cell.column_key, "value": Cell.value, "status": Cell.status, "raw": Cell.raw, "note": Cell.note,
        "location": Cell.location, "confidence": Cell.confidence}
FIELDS = {**SORT, "box": Cell.box}  # the box is served, not sorted by
LANGUAGES = ("zh", "en")
CellArgs = list_args("CellArgs", CELL_FILTERS, SORT, jsonstat=True, item=schemas.Cell, labels=DelimitedList(
    ma.fields.String(validate=ma.validate.OneOf(LANGUAGES)), load_default=[],
    metadata={"description": "Add the codebook's labels of each cell's table, row and column in these languages "
                             "(zh: as printed, en), comma-separated: fields table_zh, row_zh, column_zh, table_en, "
                             "row_en, column_en."}))
COLUMNS = [name for name in schemas.Cell().fields if name not in schemas.CELL_LABELS]
WALK = Walker("cells", (Cell.report, Cell.id), lambda row: (row["report_id"], row["_id"]), "reports", REPORT_FILTERS)


def cells_query():
    """Each record as the columns of one row, named as served (and the cell's id, the
    key of a cursor walk, as ``_id``: not served)."""
    return (Cell.select(*[expr.alias(name) for name, expr in FIELDS.items()], Cell.id.alias("_id"))
            .join(Report).join(Agency).dicts())


def with_boxes(records: list[dict]) -> list[dict]:
    """Records as JSON serves them: each box an object."""
    for record in records:
        record["box"] = box_document(record["box"])
    return records


@blp.route("")
@blp.arguments(CellArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.CellList)
@blp.doc(**CSV_DOC, **jsonstat_doc)
@not_modified(blp)
@gone(blp)
def list_cells(args):
    """List cells

    Current revisions unless ``revisions=all`` or a ``report`` is named. ``row``
    takes a key, a group (``denied``) or a prefix (``denied.*``)."""
    return cells_page(args)


list_cells.__doc__ += JSONSTAT_NOTE


def with_labels(records: list[dict], languages: list[str]) -> list[dict]:
    """Records with their unit (from the column's key: 万元 or 元 for money, count
    otherwise) and the codebook's labels of their table, row and column in ``languages``."""
    units = column_units()
    for record in records:
        record["unit"] = units.get(record["column"], "count")
    if not languages:
        return records
    tables = codebook().tables
    for record in records:
        table = tables[record["table"]]
        row, column = table.rows.get(record["row"]), table.columns.get(record["column"])
        for lang in languages:
            record[f"table_{lang}"] = getattr(table, lang)
            record[f"row_{lang}"] = getattr(row, lang) if row else None
            record[f"column_{lang}"] = getattr(column, lang) if column else None
    return records


def cells_page(args: dict):
    walk = WALK.start(args)
    languages = [lang for lang in LANGUAGES if lang in args.get("labels", [])]
    form = list_format(args)
    shape = list if form == "csv" else with_boxes  # CSV: the box as its text

    def records(page: list[dict]) -> list[dict]:
        return with_labels(shape(page), languages)

    columns = COLUMNS + [f"{kind}_{lang}" for lang in languages for kind in ("table", "row", "column")]
    if by_report(args, walk, form):  # the same page, read by its own SQL
        return respond(None, args, records, columns, lambda whole: len(whole) if whole is not None else count(args),
                       walk=walk, page_rows=report_rows(args, walk))
    query = apply_filters(cells_query(), args, CELL_FILTERS, walk)
    # by the cell's report_id (the same order as the report's id): the index that starts with it gives the
    # order, so a page reads its rows in order and stops, sorting only within a report
    return respond(order(query, args, SORT, [Cell.report, Cell.id]), args, records, columns, count(args), jsonstat,
                   walk)


# ---- one report's cells (``report=``, nothing else filtered): a JSON page of a walk --------------------------

RECORD_KEYS = (*FIELDS, "_id")  # cells_query's columns, in its order
REPORT_KEYS = RECORD_KEYS[:6]  # a record's report and agency fields; the cell's follow
CELL_COLUMNS = (Cell.report, *list(FIELDS.values())[6:], Cell.id)
REPORT_COLUMNS = tuple(FIELDS[name] for name in REPORT_KEYS)


def by_report(args: dict, walk: Walk | None, form: str) -> bool:
    """Whether the page is a JSON page of a walk over the cells of named reports with no
    other filter (a report's cells): read by ``report_rows``, and the total is the
    page's length when the page is the whole walk (the page and the count read in one
    snapshot)."""
    return (walk is not None and form == "json" and bool(args.get("report"))
            and all(args.get(name) is None for name in CELL_FILTERS if name != "report"))


def report_rows(args: dict, walk: Walk) -> Callable[[int], list[dict]]:
    """The records of a ``by_report`` page, as ``fetch_dicts`` reads them from the query
    ``cells_page`` builds (cells joined to their report and agency, in the walk's order),
    read as the cells' own columns and each report's fields once (``report_sql``: the
    statements made once), each number as its JSON (``json_number``)."""

    def read(limit: int) -> list[dict]:
        reports = args["report"]
        cells_sql, reports_sql = report_sql(type(database.obj), len(reports), walk.after is not None)
        cursor = database.execute_sql(cells_sql, [*reports, walk.snapshot["r"], *(walk.after or ()), limit])
        rows = cursor.fetchall()
        cursor.close()
        if not rows:
            return []
        cursor = database.execute_sql(reports_sql, reports)
        heads = {head[0]: head for head in cursor.fetchall()}
        cursor.close()
        # a cell without its report (foreign keys forbid it) would not be joined
        return [cell_record(heads[row[0]], row) for row in rows if row[0] in heads]

    return read


def cell_record(head: tuple, row: tuple) -> dict:
    """A record as ``cells_query`` reads it (``RECORD_KEYS``, in its order) from its
    report's fields (``REPORT_COLUMNS``) and the cell's columns (``CELL_COLUMNS``), each
    number as its JSON."""
    return {"report_id": head[0], "agency_id": head[1], "agency_name": head[2], "region": head[3], "year": head[4],
            "layout": head[5], "table": row[1], "row": row[2], "column": row[3],
            "value": None if row[4] is None else json_number(row[4]), "status": row[5], "raw": row[6],
            "note": row[7], "location": row[8], "confidence": None if row[9] is None else json_number(row[9]),
            "box": row[10], "_id": row[11]}


@lru_cache(maxsize=512)
def report_sql(backend: type, reports: int, resumed: bool) -> tuple[str, str]:
    """The statements of a ``by_report`` page of ``reports`` report ids (``resumed``:
    after a cursor's key) on the current database (of type ``backend``): the cells'
    columns, with the conditions and order of the walk's page (``Walk.page``: the
    reports named, up to the snapshot's last, after the cursor's key; by report and
    cell id; parameters: the report ids, the snapshot's last report, the cursor's key
    when resumed, the limit), and the reports' fields (parameters: the report ids).
    Built once, each parameter a different number, which shows their order."""
    ids, last = list(range(1, reports + 1)), reports + 1
    after, limit = ((last + 1, last + 2), last + 3) if resumed else (None, last + 1)
    cells = Cell.select(*CELL_COLUMNS).where(Cell.report.in_(ids), Cell.report <= last)
    if after:
        cells = cells.where(Tuple(Cell.report, Cell.id) > Tuple(*after))
    cells_sql, params = cells.order_by(Cell.report, Cell.id).limit(limit).sql()
    if params != [*ids, last, *(after or ()), limit]:
        raise RuntimeError(f"the cells query's parameters are not in the order report_rows gives them: {params}")
    reports_sql, params = Report.select(*REPORT_COLUMNS).join(Agency).where(Report.id.in_(ids)).sql()
    if params != ids:
        raise RuntimeError(f"the reports query's parameters are not the report ids: {params}")
    return cells_sql, reports_sql


class CellQuery(CellArgs):
    """The arguments of GET /v1/cells as a JSON object: a list as a JSON array (or a
    comma-separated string), everything else as its JSON value."""

    @ma.pre_load
    def lists_as_text(self, data, **_kwargs):
        if not isinstance(data, dict):
            raise ma.ValidationError("the body is a JSON object of the arguments of GET /v1/cells")
        return {name: ",".join(map(_item, value)) if isinstance(self.fields.get(name), DelimitedList)
                and isinstance(value, list) and all(isinstance(v, str | int | float | Decimal)
                                                    and not isinstance(v, bool) for v in value) else value
                for name, value in data.items()}


def _item(value: str | int | float | Decimal) -> str:
    """A list item as its text (2020.0 is the integer 2020, as JSON Schema has it)."""
    whole = (isinstance(value, float) and value.is_integer()
             or isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value())
    return str(int(value)) if whole else str(value)


QueryPaging = Schema.from_dict({"cursor": CursorField(), "offset": list_fields([])["offset"]}, name="CellQueryPaging")


@blp.route("/query", methods=["POST"])
@blp.arguments(CellQuery, location="json", as_kwargs=False, description=(
    "The arguments of GET /v1/cells, as one JSON object (lists as arrays): for filter lists too long for a URL."),
    example={"agency": ["晋江市人民政府", "晋江市城市管理局"], "year": [2020, 2023], "row": ["granted"],
             "column": ["total"], "limit": 100})
@blp.arguments(QueryPaging, location="query", as_kwargs=False)
@blp.response(200, schemas.CellList)
@blp.doc(**CSV_DOC, **jsonstat_doc)
@gone(blp)
def query_cells(body, paging):
    """Query cells (the filters as a JSON body)

    The same filters, paging, sort, fields and formats as GET /v1/cells, and the same
    answer, with the arguments in a JSON body (lists as JSON arrays), for filter
    lists that would not fit in a URL (60 agency names). A read: no API key, no
    ETag, never cached. The next page: POST the same body to ``meta.next`` (it adds
    ``?cursor=``), or put that cursor in the body as ``cursor``."""
    args = {**body, **{k: v for k, v in paging.items() if v is not None}}
    return cells_page(args)  # in the request's one snapshot, as a GET (api.caching.READS_BY_POST)


def jsonstat(records: list[dict], meta: dict) -> dict:
    """A page of cells as a JSON-stat dataset: report × table × row × column."""
    dimensions = [DIMENSIONS[name] for name in ("report", "table", "row")] + [COLUMN_WITH_UNIT]
    return dataset(records, dimensions, "Cells of government information disclosure annual reports", meta,
                   status="status")


def count(args: dict) -> int:
    """The number of cells the filters select: from the rollup when it can tell, else
    counted over the cell index alone (agencies joined only when a filter needs them)."""
    if rollup_can_answer(args):
        return rollup_count(args)
    query = Cell.select(fn.COUNT(Cell.id)).join(Report)
    if any(args.get(name) is not None for name in ("agency", "q", "region")):
        query = query.join(Agency)
    return apply_filters(query, args, CELL_FILTERS).scalar()
