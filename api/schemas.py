"""Response schemas: what each endpoint returns, and so what the OpenAPI document says."""
from marshmallow import Schema, fields

from api.base import Number
from api.lists import list_schema


class Headline(Schema):
    requests_received = Number(allow_none=True, metadata={"description": "requests/new_received/total"})
    requests_handled = Number(allow_none=True, metadata={"description": "requests/total_processed/total"})
    requests_withheld = Number(allow_none=True, metadata={
        "description": "requests/denied.*/total summed (不予公开); null if any is null"})
    reconsideration_total = Number(allow_none=True, metadata={"description": "review_litigation/review/total"})
    litigation_total = Number(allow_none=True, metadata={
        "description": "review_litigation/litigation_direct/total + litigation_after_review/total; null if either is"})


class AgencyYear(Schema):
    year = fields.Integer(required=True)
    report_id = fields.Integer(required=True)
    layout = fields.String(required=True)
    revision = fields.Integer(required=True)
    headline = fields.Nested(Headline, required=True)
    cells = fields.Dict(keys=fields.String(), values=Number(allow_none=True), required=True, metadata={
        "description": "The codebook cells the headline numbers are made of, by table/row/column key (as in a "
                       "finding's cells), with their values (null: not printed or not read)."})


class Agency(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    region = fields.String(allow_none=True, required=True, metadata={
        "description": "Administrative divisions read from the name (e.g. 淮安市洪泽区); null if it names none."})
    years = fields.List(fields.Integer(), required=True, metadata={"description": "Years with a report."})


class AgencyDetail(Agency):
    reports = fields.List(fields.Nested(AgencyYear), required=True, metadata={
        "description": "Per year, the current report and its headline numbers."})


class Report(Schema):
    id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    agency_name = fields.String(required=True)
    region = fields.String(allow_none=True, required=True)
    year = fields.Integer(required=True)
    layout = fields.String(required=True)
    revision = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    title = fields.String(allow_none=True, required=True)
    document_number = fields.String(allow_none=True, required=True)
    published_on = fields.Date(allow_none=True, required=True, metadata={"description": "Date signed."})
    source_name = fields.String(required=True)
    source_format = fields.String(required=True)
    sha256 = fields.String(required=True)
    findings_count = fields.Integer(required=True, metadata={"description": "Number of findings."})
    findings = fields.Integer(required=True, metadata={
        "description": "Deprecated alias of findings_count (kept in /v1; in a report's detail, findings is the list "
                       "of findings).", "deprecated": True})
    loaded_at = fields.DateTime(required=True)
    retracted_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When the report was retracted (it is then never current), or null."})


class Contact(Schema):
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)


STATUS = ("reported (a number printed), blank, placeholder (/, -, — or 无 printed), ambiguous (printed but cannot "
          "be placed), missing (not in the file), invalid (a number too long to be a count or amount), split (cut "
          "from digits printed run together), ocr (a number read by OCR from a page image, at or above the "
          "confidence threshold), or illegible (printed in a page image, but OCR could not read it with "
          "confidence: null; raw holds what was read, an ocr.low_confidence finding names it).")
CONFIDENCE = ("OCR's confidence in what it read, 0 to 1 (three places), for a cell read from a page image; null "
              "for a cell read from text, or one of an image with nothing to read.")


class PageBox(Schema):
    """Where on a page image a cell was read, in pixels of the page as it was read by OCR
    (GET /v1/reports/{id}/pages/{page}.png serves that image at that size)."""
    page = fields.Integer(required=True, metadata={"description": "Page (1-based; a frame of a multi-page image)."})
    x0 = fields.Integer(required=True, metadata={"description": "Left edge, px from the page's left."})
    y0 = fields.Integer(required=True, metadata={"description": "Top edge, px from the page's top."})
    x1 = fields.Integer(required=True, metadata={"description": "Right edge, px."})
    y1 = fields.Integer(required=True, metadata={"description": "Bottom edge, px."})
    width = fields.Integer(required=True, metadata={"description": "The page image's width, px."})
    height = fields.Integer(required=True, metadata={"description": "The page image's height, px."})
    unit = fields.String(required=True, metadata={"enum": ["px"]})


def _box() -> fields.Nested:
    return fields.Nested(PageBox, allow_none=True, required=True, metadata={
        "description": "Where on a page image the cell was read (OCR), or null for a cell read from text."})


class CellValue(Schema):
    value = Number(allow_none=True, required=True)
    raw = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"description": STATUS})
    note = fields.String(allow_none=True, required=True)
    location = fields.String(allow_none=True, required=True)
    confidence = Number(allow_none=True, required=True, metadata={"description": CONFIDENCE})
    box = _box()


class Label(Schema):
    key = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)


class ColumnLabel(Label):
    unit = fields.String(allow_none=True)


class TableRow(Label):
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(CellValue), required=True,
                        metadata={"description": "By column key; only the row's columns."})


class Table(Label):
    columns = fields.List(fields.Nested(ColumnLabel), required=True)
    rows = fields.List(fields.Nested(TableRow), required=True)


class Finding(Schema):
    id = fields.Integer(required=True)
    report_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    agency_name = fields.String(required=True)
    year = fields.Integer(required=True)
    rule = fields.String(required=True)
    table = fields.String(allow_none=True, required=True)
    row = fields.String(allow_none=True, required=True)
    column = fields.String(allow_none=True, required=True)
    cells = fields.List(fields.String(), required=True, metadata={"description": "table/row/column of each cell."})
    expected = Number(allow_none=True, required=True, metadata={"description": "The side the rule computes."})
    printed = Number(allow_none=True, required=True, metadata={"description": "The side the report prints."})
    message = fields.String(required=True)
    location = fields.String(allow_none=True, required=True)


class Revision(Schema):
    id = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    loaded_at = fields.DateTime(required=True)


class Section(Schema):
    number = fields.Integer(required=True)
    numeral = fields.String(required=True)
    title = fields.String(required=True)
    text = fields.String(required=True)


class ReportDetail(Report):
    source_encoding = fields.String(allow_none=True, required=True)
    parser_version = fields.String(required=True)
    contact = fields.Nested(Contact, required=True)
    revisions = fields.List(fields.Nested(Revision), required=True, metadata={
        "description": "Every revision of this agency and year."})
    tables = fields.List(fields.Nested(Table), required=True, metadata={
        "description": "The three tables as printed: rows × columns in codebook order."})
    findings = fields.List(fields.Nested(Finding), required=True)
    sections = fields.List(fields.Nested(Section), required=True)


class Cell(Schema):
    report_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    agency_name = fields.String(required=True)
    region = fields.String(allow_none=True, required=True)
    year = fields.Integer(required=True)
    layout = fields.String(required=True)
    table = fields.String(required=True)
    row = fields.String(required=True)
    column = fields.String(required=True)
    value = Number(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"description": STATUS})
    raw = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)
    location = fields.String(allow_none=True, required=True)
    confidence = Number(allow_none=True, required=True, metadata={"description": CONFIDENCE})
    box = _box()
    unit = fields.String(required=True, metadata={
        "description": "The value's unit, from its column: 万元 or 元 for money (as the column prints it), count "
                       "for anything else.", "enum": ["count", "万元", "元"]})
    table_zh = fields.String(metadata={"description": "With labels=zh: the table's label as printed."})
    row_zh = fields.String(allow_none=True, metadata={"description": "With labels=zh: the row's label."})
    column_zh = fields.String(allow_none=True, metadata={"description": "With labels=zh: the column's label."})
    table_en = fields.String(metadata={"description": "With labels=en: the table's English label."})
    row_en = fields.String(allow_none=True, metadata={"description": "With labels=en: the row's English label."})
    column_en = fields.String(allow_none=True, metadata={"description": "With labels=en: the column's English label."})


CELL_LABELS = ("table_zh", "row_zh", "column_zh", "table_en", "row_en", "column_en")  # only when asked


class ReportGroups(Schema):
    """The fields a grouped list returns for the report groups it is grouped by."""
    agency_id = fields.Integer(metadata={"description": "With group_by=agency."})
    agency_name = fields.String(metadata={"description": "With group_by=agency."})
    region = fields.String(allow_none=True, metadata={"description": "With group_by=region."})
    year = fields.Integer(metadata={"description": "With group_by=year."})
    layout = fields.String(metadata={"description": "With group_by=layout."})


class Aggregate(ReportGroups):
    table = fields.String(metadata={"description": "With group_by=table."})
    row = fields.String(metadata={"description": "With group_by=row."})
    column = fields.String(metadata={"description": "With group_by=column."})
    value = Number(allow_none=True, required=True, metadata={
        "description": "The metric over the group's non-null values; null when it has none."})
    cells_count = fields.Integer(required=True, metadata={"description": "Cells in the group, null ones included."})
    values_count = fields.Integer(required=True, metadata={"description": "Cells in the group with a value."})
    cells = fields.Integer(required=True, metadata={"description": "Deprecated alias of cells_count.",
                                                    "deprecated": True})
    values = fields.Integer(required=True, metadata={"description": "Deprecated alias of values_count.",
                                                     "deprecated": True})
    unit = fields.String(allow_none=True, required=True, metadata={
        "description": "The value's unit: 万元 or 元 for money (as the column prints it), count for anything else "
                       "(and for metric=count). A sum, average, min or max over cells of more than one unit is "
                       "refused (400) unless grouped by column."})


AgencyList = list_schema("AgencyList", Agency)
ReportList = list_schema("ReportList", Report)
CellList = list_schema("CellList", Cell)
AggregateList = list_schema("AggregateList", Aggregate)
FindingList = list_schema("FindingList", Finding)


class Indicator(ReportGroups):
    indicator = fields.String(required=True, metadata={"description": "The indicator's key (see definitions)."})
    value = fields.Float(allow_none=True, required=True, metadata={
        "description": "numerator / denominator, rounded to 6 places; null below the minimum denominator."})
    numerator = Number(allow_none=True, required=True, metadata={
        "description": "The numerator summed over the reports taking part; null if none does."})
    denominator = Number(allow_none=True, required=True, metadata={
        "description": "The denominator summed over the reports taking part; null if none does."})
    reports_count = fields.Integer(required=True, metadata={
        "description": "Reports taking part: those that print every cell of numerator and denominator."})
    reports = fields.Integer(required=True, metadata={"description": "Deprecated alias of reports_count.",
                                                      "deprecated": True})
    excluded = fields.Integer(required=True, metadata={
        "description": "Reports of the group left out: a cell of the indicator has no value."})


class IndicatorDefinition(Schema):
    key = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    definition = fields.String(required=True)
    numerator_cells = fields.List(fields.String(), required=True,
                                  metadata={"description": "Cells (table/row/column) summed."})
    denominator_cells = fields.Raw(required=True, metadata={
        "description": "Cells (table/row/column) summed, or \"reports\": the number of reports taking part."})
    numerator = fields.List(fields.String(), required=True, metadata={
        "description": "Deprecated alias of numerator_cells.", "deprecated": True})
    denominator = fields.Raw(required=True, metadata={
        "description": "Deprecated alias of denominator_cells.", "deprecated": True})
    min_denominator = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "ratio (0 to 1), or what the value counts."})


IndicatorList = list_schema("IndicatorList", Indicator)


class WriteEvent(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True, metadata={"description": "When (UTC)."})
    action = fields.String(required=True, metadata={
        "description": "created (a new report), revised (a new revision), unchanged (this file was stored "
                       "already; or a report retracted already), retracted, or refused (out of the key's scope).",
        "enum": ["created", "revised", "unchanged", "retracted", "refused"]})
    actor = fields.String(required=True, metadata={
        "description": "The key's name; operator for ogi load; unrecorded for what was stored before writes "
                       "were recorded."})
    key_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The key's id (never the key); null for the operator."})
    via = fields.String(required=True, metadata={"description": "api, cli (ogi load), or unknown."})
    report_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The revision written, retracted or (refused) that the write would have replaced."})
    sha256 = fields.String(allow_none=True, required=True, metadata={"description": "The file written or refused."})
    detail = fields.String(allow_none=True, required=True, metadata={
        "description": "Why a write was refused, or what an unchanged one met."})


WriteEventList = list_schema("WriteEventList", WriteEvent)


class Job(Schema):
    id = fields.String(required=True, metadata={"description": "The job's id (32 hex digits, not guessable)."})
    status = fields.String(required=True, metadata={
        "description": "queued (waiting for a worker), running, done (the report stored, or found stored "
                       "already) or failed (nothing stored: see error).",
        "enum": ["queued", "running", "done", "failed"]})
    created_at = fields.DateTime(required=True, metadata={"description": "When it was uploaded (UTC)."})
    started_at = fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When a worker took it (the last time, if its worker stopped and another took it)."})
    finished_at = fields.DateTime(allow_none=True, required=True)
    source_name = fields.String(required=True, metadata={"description": "upload:<the file's name>."})
    size = fields.Integer(required=True, metadata={"description": "The file's size in bytes."})
    sha256 = fields.String(required=True, metadata={"description": "The file's SHA-256."})
    report = fields.String(allow_none=True, required=True, metadata={
        "description": "When done: the URL of the stored report (/v1/reports/{id})."})
    outcome = fields.String(allow_none=True, required=True, metadata={
        "description": "When done: loaded (a new report), revised (a new revision) or unchanged (this file was "
                       "stored already).", "enum": ["loaded", "revised", "unchanged", None]})
    error = fields.String(allow_none=True, required=True, metadata={
        "description": "When failed: the one-line reason."})


class SectionHit(Schema):
    id = fields.Integer(required=True, metadata={"description": "The section's id."})
    report_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    agency_name = fields.String(required=True)
    region = fields.String(allow_none=True, required=True)
    year = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    number = fields.Integer(required=True, metadata={"description": "1 to 6."})
    numeral = fields.String(required=True, metadata={"description": "一 to 六."})
    title = fields.String(required=True)
    passage = fields.String(required=True, metadata={
        "description": "About 120 characters of the text around the first match of q (its start without q), "
                       "white space squeezed, … where cut."})
    passage_html = fields.String(required=True, metadata={
        "description": "The passage as HTML: escaped, each match of q in <mark>…</mark>."})
    score = Number(allow_none=True, required=True, metadata={
        "description": "Relevance to q, higher is better (bm25 on SQLite, ts_rank on PostgreSQL, six significant "
                       "digits): it ranks the results of one query only. Null without q."})


SectionList = list_schema("SectionList", SectionHit)
