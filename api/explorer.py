"""The explorer: HTML pages rendered on the server, for people rather than programs.

``/`` searches agencies; ``/agencies/<id>`` shows an agency's years with trend charts
(SVG drawn on the server); ``/reports/<id>`` lays out a report's three tables as
printed, with the cells of its findings highlighted and the source file beside them;
for a report read by OCR, the page images with each cell's box (a number links to its
box, shown and labelled with its status and confidence by CSS ``:target``).
No script and no CDN: everything is in the HTML and one stylesheet served here. Each
page carries schema.org ``Dataset`` markup. The pages read the same functions as the
JSON API, so they show the same numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Blueprint, Flask, Response, abort, render_template, request, url_for
from peewee import fn
from werkzeug.exceptions import HTTPException

from api import catalog
from api.charts import line_chart
from api.filters import FILTERS
from api.indicators import INDICATORS, indicators_query
from api.v1.agencies import agency_document
from api.v1.common import named_cells
from api.v1.reports import report_document, source_file
from loaders.document import number
from models import Agency, Report
from models.codebook import codebook

bp = Blueprint("explorer", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/explorer")
PAGE = 50
TEXT_SOURCES = ("text", "markdown")
TREND_INDICATORS = ("disclosure_rate", "withholding_rate", "unable_rate")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["number"] = _number


@bp.errorhandler(HTTPException)
def error_page(error: HTTPException):
    """The pages' errors as a page (the API's are problem+json)."""
    return render_template("error.html", error=error, markup=None), error.code or 500


def _number(value) -> str:
    if value is None:
        return ""
    return f"{number(value if isinstance(value, Decimal) else Decimal(str(value))):,}"


@bp.route("/")
def home():
    q = request.args.get("q", "").strip()[:200].replace("\x00", "")
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)  # beyond the end: an empty page
    agencies = Agency.select(Agency, fn.COUNT(Report.id).alias("reports"), fn.MIN(Report.year).alias("first"),
                             fn.MAX(Report.year).alias("last")).join(Report).where(
        Report.is_current == True).group_by(Agency.id)  # noqa: E712
    if q:
        agencies = agencies.where(FILTERS["q"].condition(q) | Agency.region.startswith(q))
    total = agencies.count()
    rows = list(agencies.order_by(Agency.name, Agency.id).paginate(page, PAGE))
    held = catalog.holdings()
    years = (min(held.years), max(held.years)) if held.years else None
    markup = catalog.schema_org("Government information disclosure annual reports (政府信息公开工作年度报告)",
                                "Every number of the annual reports of Chinese agencies on government information "
                                "disclosure, as data.", url_for("explorer.home", _external=True), years)
    return render_template("home.html", q=q, agencies=rows, total=total, page=page, pages=-(-total // PAGE),
                           held=held, markup=markup)


@bp.route("/agencies/<int(max=2147483647):agency_id>")
def agency(agency_id):
    found = Agency.get_or_none(Agency.id == agency_id) or abort(404)
    document = agency_document(found)
    rates = _rates(found.id)
    years = document["years"]
    requests_chart = line_chart("Requests by year", [
        ("received (本年新收)", {r["year"]: r["headline"]["requests_received"] for r in document["reports"]}),
        ("handled (办理结果总计)", {r["year"]: r["headline"]["requests_handled"] for r in document["reports"]}),
    ])
    rates_chart = line_chart("Rates by year", [
        (INDICATORS[key].en, {year: rates.get((year, key)) for year in years}) for key in TREND_INDICATORS
    ], percent=True)
    markup = catalog.schema_org(f"{found.name} 政府信息公开工作年度报告", f"The annual reports of {found.name} on "
                                "government information disclosure, as data.",
                                url_for("explorer.agency", agency_id=found.id, _external=True),
                                (years[0], years[-1]) if years else None, about=found.name)
    return render_template("agency.html", agency=document, rates=rates, requests_chart=requests_chart,
                           rates_chart=rates_chart, indicators=[INDICATORS[k] for k in TREND_INDICATORS],
                           markup=markup)


def _rates(agency_id: int) -> dict[tuple[int, str], float | None]:
    args = {"agency": [str(agency_id)], "group_by": ["year"], "indicator": list(TREND_INDICATORS)}
    query, _, order = indicators_query(args)
    return {(row["year"], row["indicator"]): (None if row["value"] is None else float(row["value"]))
            for row in query.order_by(*order).dicts()}


@bp.route("/reports/<int(max=2147483647):report_id>")
def report(report_id):
    found = Report.get_or_none(Report.id == report_id) or abort(404)
    document = report_document(found)
    flagged = _flagged(document["findings"])
    grids = [grid for table in document["tables"] for grid in printed(table, found.layout, flagged)]
    current = None if found.is_current else Report.get_or_none(
        Report.agency == found.agency, Report.year == found.year, Report.is_current == True)  # noqa: E712
    markup = catalog.schema_org(document["title"] or f"{found.agency.name} {found.year}",
                                f"{found.agency.name}: annual report on government information disclosure, "
                                f"{found.year}, as data.", url_for("explorer.report", report_id=found.id,
                                                                   _external=True),
                                (found.year, found.year), about=found.agency.name)
    return render_template("report.html", report=document, grids=grids, flagged=flagged, current=current,
                           source_lines=_source_lines(found), ocr_pages=ocr_pages(document), markup=markup)


@bp.route("/reports/<int(max=2147483647):report_id>/source")
def report_source(report_id):
    """The source file for the report page's frame: inline, and sandboxed (an HTML
    source's scripts never run, its links go nowhere)."""
    found = Report.get_or_none(Report.id == report_id) or abort(404)
    content, content_type = source_file(found)
    return Response(content, content_type=content_type, headers={
        "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff"})


def _source_lines(r: Report) -> list[str] | None:
    """A text source's lines (the cells' locations point at them), or None."""
    if r.source_format not in TEXT_SOURCES:
        return None
    content, _ = source_file(r)
    return content.decode(r.source_encoding or "utf-8", errors="replace").splitlines()


# --- tables as printed --------------------------------------------------------------

@dataclass
class Cell:
    text: str = ""
    header: bool = False
    colspan: int = 1
    rowspan: int = 1
    classes: list[str] = field(default_factory=list)
    title: str | None = None
    href: str | None = None
    key: str | None = None  # table/row/column, for a value cell
    id: str | None = None  # an element id, for a cell read by OCR (its box links back)
    notes: list[int] = field(default_factory=list)  # numbers of its findings


@dataclass
class Grid:
    key: str
    caption: str
    head: list[list[Cell]]
    body: list[list[Cell]]


def _flagged(findings: list[dict]) -> dict[str, list[tuple[int, dict]]]:
    """Cell key → the findings (numbered from 1, as listed on the page) that name it."""
    out: dict[str, list[tuple[int, dict]]] = {}
    for n, finding in enumerate(findings, 1):
        for key in named_cells(finding):
            out.setdefault(key, []).append((n, finding))
    return out


def _value_cell(table: str, row: str, column: str, cell: dict | None, flagged: dict) -> Cell:
    key = f"{table}/{row}/{column}"
    if cell is None:
        return Cell(classes=["none"])
    text = _number(cell["value"]) if cell["value"] is not None else (cell["raw"] or "")
    out = Cell(text=text, key=key, classes=["value", cell["status"]], title=cell["status"])
    if cell.get("note"):
        out.title = f"{cell['status']}; note: {cell['note']}"
    line = re.fullmatch(r"line (\d+)", cell.get("location") or "")
    if line:
        out.href = f"#L{line[1]}"
    if cell.get("box"):  # read from a page image: the number leads to its box
        out.href, out.id = f"#{box_id(key)}", f"cell-{_id(key)}"
        out.title = f"{out.title}; {_ocr_words(cell)}"
    if key in flagged:
        out.classes.append("finding")
        out.notes = [n for n, _ in flagged[key]]
        out.title = "\n".join(f"[{n}] {f['message']}" for n, f in flagged[key])
    return out


def printed(table: dict, layout: str, flagged: dict) -> list[Grid]:
    """A table of the report document as grids laid out as the national format prints
    them: table 二 in blocks of rows sharing columns, table 三 with its applicant
    header groups, table 四 as its one wide row."""
    if table["key"] == "review_litigation":
        return [_wide(table, flagged)]
    blocks: list[list[dict]] = []
    for row in table["rows"]:
        columns = [c for c in table["columns"] if c["key"] in row["cells"]]
        if blocks and [c["key"] for c in columns] == blocks[-1][0]["_columns"]:
            blocks[-1].append(row)
        else:
            blocks.append([{**row, "_columns": [c["key"] for c in columns]}])
    by_key = {c["key"]: c for c in table["columns"]}
    rows_by_key = codebook().tables[table["key"]].rows
    columns_by_key = codebook().tables[table["key"]].columns
    grids = []
    for n, block in enumerate(blocks):
        columns = [by_key[k] for k in block[0]["_columns"]]
        groups = [columns_by_key[c["key"]].group for c in columns]
        head = [[Cell("", header=True, colspan=2, rowspan=2 if any(groups) else 1)]]
        second: list[Cell] = []
        i = 0
        while i < len(columns):
            group = groups[i]
            if group:
                span = 1
                while i + span < len(columns) and groups[i + span] == group:
                    span += 1
                head[0].append(Cell(group, header=True, colspan=span))
                second += [Cell(c["zh"], header=True) for c in columns[i:i + span]]
                i += span
            else:
                head[0].append(Cell(columns[i]["zh"] + (f"（{columns[i]['unit']}）" if columns[i].get("unit") else ""),
                                    header=True, rowspan=2 if any(groups) else 1))
                i += 1
        if second:
            head.append(second)
        body = []
        groups_of_rows = [rows_by_key[r["key"]].group for r in block]
        for at, row in enumerate(block):
            group = groups_of_rows[at]
            line: list[Cell] = []
            if group and (at == 0 or groups_of_rows[at - 1] != group):  # a run of rows of one group
                span = next((n for n, g in enumerate(groups_of_rows[at:]) if g != group), len(block) - at)
                line.append(Cell(group, header=True, rowspan=span, classes=["group"]))
            if group:
                line.append(Cell(row["zh"], header=True))
            else:
                line.append(Cell(row["zh"], header=True, colspan=2))
            line += [_value_cell(table["key"], row["key"], c["key"], row["cells"].get(c["key"]), flagged)
                     for c in columns]
            body.append(line)
        caption = table["zh"] + (f"（{n + 1}）" if len(blocks) > 1 else "")
        grids.append(Grid(table["key"], caption, head, body))
    return grids


def _wide(table: dict, flagged: dict) -> Grid:
    """Table 四 as printed: reconsideration, then litigation (direct; after
    reconsideration), five columns each, in one row."""
    rows = {r["key"]: r for r in table["rows"]}
    groups = [(rows[k], codebook().tables[table["key"]].rows[k]) for k in rows]
    head = [[], [], []]
    for row, definition in groups:
        if definition.group:
            continue
        head[0].append(Cell(row["zh"], header=True, colspan=len(table["columns"]), rowspan=2))
    litigation = [(row, d) for row, d in groups if d.group]
    if litigation:
        head[0].append(Cell(litigation[0][1].group, header=True, colspan=len(table["columns"]) * len(litigation)))
        head[1] = [Cell(row["zh"], header=True, colspan=len(table["columns"])) for row, _ in litigation]
    head[2] = [Cell(c["zh"], header=True) for _ in groups for c in table["columns"]]
    body = [[_value_cell(table["key"], row["key"], c["key"], row["cells"].get(c["key"]), flagged)
             for row, _ in groups for c in table["columns"]]]
    return Grid(table["key"], table["zh"], [h for h in head if h], body)


# --- pages read by OCR ---------------------------------------------------------------

@dataclass
class Box:
    """A cell's box on a page image, placed in percentages of the image, and the words
    shown beside it when it is chosen."""

    id: str
    cell_id: str
    status: str
    style: str
    label_style: str
    label: str


@dataclass
class OcrPage:
    number: int
    width: int
    height: int
    boxes: list[Box]


def _id(key: str) -> str:
    return key.replace("/", "-")  # keys hold letters, digits, _ and . only


def box_id(key: str) -> str:
    return f"ocr-{_id(key)}"


def _percent(part: int, whole: int) -> str:
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.001'))}%"


def _ocr_words(cell: dict) -> str:
    """What OCR made of a cell: ``ocr, confidence 0.999``; ``illegible, read '0' with confidence 0.981``."""
    confidence = "no confidence" if cell["confidence"] is None else f"confidence {number(cell['confidence'])}"
    read = f", read {cell['raw']!r} with" if cell["status"] == "illegible" and cell["raw"] else ","
    return f"{cell['status']}{read} {confidence}"


def ocr_pages(document: dict) -> list[OcrPage]:
    """The pages of a report on which cells were read by OCR, each with its cells' boxes."""
    pages: dict[int, OcrPage] = {}
    for table in document["tables"]:
        for row in table["rows"]:
            for column, cell in row["cells"].items():
                box = cell.get("box")
                if not box:
                    continue
                page = pages.setdefault(box["page"], OcrPage(box["page"], box["width"], box["height"], []))
                key = f"{table['key']}/{row['key']}/{column}"
                w, h = box["width"], box["height"]
                style = (f"left:{_percent(box['x0'], w)};top:{_percent(box['y0'], h)};"
                         f"width:{_percent(box['x1'] - box['x0'], w)};height:{_percent(box['y1'] - box['y0'], h)}")
                # beside the box, on the side of the page with room: never past the image's edges
                across = (f"left:{_percent(box['x0'], w)}" if box["x0"] + box["x1"] < w
                          else f"right:{_percent(w - box['x1'], w)}")
                down = (f"top:{_percent(box['y1'], h)}" if box["y1"] * 20 < h * 17
                        else f"bottom:{_percent(h - box['y0'], h)}")
                value = "" if cell["value"] is None else f" · {_number(cell['value'])}"
                page.boxes.append(Box(box_id(key), f"cell-{_id(key)}", cell["status"], style, f"{across};{down}",
                                      f"{key}{value} · {_ocr_words(cell)}"))
    return [pages[n] for n in sorted(pages)]
