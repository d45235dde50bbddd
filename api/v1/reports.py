"""Reports: metadata, the three tables as printed, findings, prose, and the source file."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import PurePath
from typing import NoReturn
from urllib.parse import quote

from flask import Response, current_app, request, url_for
from flask_smorest import abort
from marshmallow import Schema
from peewee import JOIN, fn
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from api import schemas
from api.auth import SECURITY, require_key
from api.base import Blueprint
from api.errors import PROBLEM, ProblemSchema
from api.filters import FILTERS, REPORT_FILTERS, SEARCH_HOW, apply_filters, search_field
from api.lists import json_response, list_fields, order, respond
from api.paging import Walker, paging_fields, project
from api.v1.common import CSV_DOC, fields_args, finding_record, gone, list_args, not_found, not_modified
from api.v1.jobs import RETRY_AFTER, job_record
from loaders import uploads
from loaders.bounded import parse_bounded as parse_upload  # in a child process, under time and memory limits
from loaders.detect import image_kind
from loaders.document import box_document
from loaders.errors import LoadError
from loaders.limits import Limits
from loaders.sections import NUMERALS
from loaders.store import UNCHANGED, retract_report
from models import Agency, Cell, Finding, Report, Section, SourceFile, WriteEvent
from models.audit import Actor, retract_refusal
from models.codebook import codebook
from models.schema import touch_data_version
from models.search import query_tokens, report_hits

blp = Blueprint("reports", __name__, url_prefix="/v1/reports", description="Annual reports, one per agency, "
                "year and revision.")

SORT = {"id": Report.id, "agency_id": Agency.id, "agency_name": Agency.name, "region": Agency.region,
        "year": Report.year, "layout": Report.layout, "revision": Report.revision, "is_current": Report.is_current,
        "title": Report.title, "document_number": Report.document_number, "published_on": Report.published_on,
        "source_name": Report.source_name, "source_format": Report.source_format, "sha256": Report.source,
        "loaded_at": Report.loaded_at}
ReportArgs = list_args("ReportArgs", REPORT_FILTERS, [*SORT, "findings_count", "findings"], item=schemas.Report,
                       q=search_field(
    "A substring of the agency name (as ever), or full text: the agency's name, the report's title or one of its "
    "sections holds every word of it. Ranked by relevance (best first, unless sorted). " + SEARCH_HOW
    + " /v1/sections?q= finds the sections themselves, with the passage."))
WALK = Walker("reports", (Report.id,), lambda r: (r.id,), "reports", REPORT_FILTERS)
ReportFields = fields_args("ReportFields", schemas.ReportDetail)
COLUMNS = ["id", "agency_id", "agency_name", "region", "year", "layout", "revision", "is_current", "title",
           "document_number", "published_on", "source_name", "source_format", "sha256", "findings_count", "findings",
           "loaded_at"]
log = logging.getLogger("ogi.write")
MEDIA_TYPES = {"text": "text/plain", "markdown": "text/markdown", "html": "text/html", "pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
IMAGE_TYPES = {kind: f"image/{kind}" for kind in ("png", "jpeg", "tiff", "bmp", "gif", "webp")}  # format "image"


def utc(moment: datetime) -> datetime:
    """Stored times are UTC without a zone; served with it (RFC 3339)."""
    return moment.replace(tzinfo=UTC)


def summary(r: Report, findings: int) -> dict:
    return {"id": r.id, "agency_id": r.agency.id, "agency_name": r.agency.name, "region": r.agency.region,
            "year": r.year, "layout": r.layout, "revision": r.revision, "is_current": r.is_current, "title": r.title,
            "document_number": r.document_number, "published_on": r.published_on, "source_name": r.source_name,
            "source_format": r.source_format, "sha256": r.sha256, "findings_count": findings, "findings": findings,
            "loaded_at": utc(r.loaded_at), "retracted_at": utc(r.retracted_at) if r.retracted_at else None}


def _records(reports: list[Report]) -> list[dict]:
    return [summary(r, r.n_findings) for r in reports]


@blp.route("")
@blp.arguments(ReportArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.ReportList)
@blp.doc(**CSV_DOC)
@not_modified(blp)
@gone(blp)
def list_reports(args):
    """List reports

    Current revisions unless ``revisions=all``; filter by agency, region, year,
    layout or report id. ``q`` searches agency names and the reports' prose, best
    match first (``/v1/sections?q=`` gives the matching sections and passages)."""
    n_findings = fn.COUNT(Finding.id)
    query = (Report.select(Report, Agency, n_findings.alias("n_findings")).join(Agency)
             .switch(Report).join(Finding, JOIN.LEFT_OUTER).group_by(Report.id, Agency.id))
    walk = WALK.start(args)
    query = apply_filters(query, args, tuple(n for n in REPORT_FILTERS if n != "q"), walk)
    query, default = _search(query, args.get("q"))
    counts = {"findings_count": n_findings, "findings": n_findings}
    return respond(order(query, args, {**SORT, **counts}, default), args, _records, COLUMNS, walk=walk)


def _search(query, q: str | None):
    """``q`` on reports: the agency name's substring (its first meaning, kept) or a
    full-text match, ranked; the query and its default order."""
    if q is None:
        return query, [Report.id]
    condition = FILTERS["q"].condition(q)
    toks = query_tokens(q)
    if not toks:  # punctuation alone: the substring only
        return query.where(condition), [Report.id]
    found = report_hits(toks).alias("found")
    query = query.switch(Report).join(found, JOIN.LEFT_OUTER, on=(found.c.report_id == Report.id))
    return query.where(condition | found.c.report_id.is_null(False)), [fn.MAX(found.c.score).desc(nulls="LAST"),
                                                                       Report.id]


def tables(report: Report) -> list[dict]:
    """The report's cells as its three tables: rows × columns in codebook order."""
    cells = {}
    for c in report.cells.order_by(Cell.id):
        cells.setdefault(c.table_key, {}).setdefault(c.row_key, {})[c.column_key] = {
            "value": c.value, "raw": c.raw, "status": c.status, "note": c.note, "location": c.location,
            "confidence": c.confidence, "box": box_document(c.box)}
    out = []
    for table in codebook().tables.values():
        rows = cells.get(table.key, {})
        used = {col for row in rows.values() for col in row}
        out.append({
            "key": table.key, "zh": table.zh, "en": table.en,
            "columns": [{"key": c.key, "zh": c.zh, "en": c.en, "unit": c.unit}
                        for c in table.columns.values() if c.key in used],
            "rows": [{"key": r.key, "zh": r.zh, "en": r.en, "cells": rows[r.key]}
                     for r in table.rows.values() if r.key in rows],
        })
    return out


def _report(report_id: int) -> Report:
    return (Report.select(Report, Agency).join(Agency).where(Report.id == report_id).first()
            or abort(404, message=f"no report {report_id}"))


@blp.route("/<int(max=2147483647):report_id>")
@blp.arguments(ReportFields, location="query", as_kwargs=False)
@blp.response(200, schemas.ReportDetail)
@not_found(blp)
@not_modified(blp)
def get_report(args, report_id):
    """One report: metadata, tables, findings and prose sections

    ``fields`` picks what to return (``fields=id,year,tables``)."""
    return json_response(project([report_document(_report(report_id))], args.get("fields"))[0])


def report_document(r: Report) -> dict:
    findings = [finding_record(f, r.agency.id, r.agency.name, r.year) for f in r.findings.order_by(Finding.id)]
    revisions = (Report.select(Report.id, Report.revision, Report.is_current, Report.loaded_at)
                 .where(Report.agency == r.agency, Report.year == r.year).order_by(Report.revision))
    return {
        **summary(r, len(findings)),
        "source_encoding": r.source_encoding, "parser_version": r.parser_version,
        "contact": {"phone": r.contact_phone, "address": r.contact_address, "email": r.contact_email,
                    "postcode": r.contact_postcode},
        "revisions": [{"id": v.id, "revision": v.revision, "is_current": v.is_current, "loaded_at": utc(v.loaded_at)}
                      for v in revisions],
        "tables": tables(r),
        "findings": findings,
        "sections": [{"number": s.number, "numeral": NUMERALS[s.number - 1], "title": s.title, "text": s.text}
                     for s in r.sections.order_by(Section.number)],
    }


@blp.route("/<int(max=2147483647):report_id>/source")
@blp.doc(responses={"200": {"description": "The file as it was loaded, byte for byte.", "content": {
    media: {"schema": {"type": "string", "format": "binary"}} for media in [*MEDIA_TYPES.values(),
                                                                            *IMAGE_TYPES.values()]}}})
@not_found(blp)
@not_modified(blp)
def get_source(report_id):
    """The original file of a report"""
    r = _report(report_id)
    filename = PurePath(r.source_name.replace("\\", "/")).name or f"report-{r.id}"
    content, content_type = source_file(r)
    return Response(content, content_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def source_file(r: Report) -> tuple[bytes, str]:
    """A report's file as loaded, and its content type (with the charset of a text)."""
    content = bytes(SourceFile.get(SourceFile.sha256 == r.sha256).content)
    media = (IMAGE_TYPES.get(image_kind(content)) if r.source_format == "image" else
             MEDIA_TYPES.get(r.source_format)) or "application/octet-stream"
    charset = f"; charset={r.source_encoding}" if media.startswith("text/") and r.source_encoding else ""
    return content, media + charset


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/<int(max=2147483647):report_id>/tables.xlsx")
@blp.doc(responses={"200": {"description": "An Excel workbook: a sheet per table, as printed; cells of findings "
                            "filled and commented; a sheet of findings.",
                            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
@not_found(blp)
@not_modified(blp)
def get_xlsx(report_id):
    """A report's tables as an Excel workbook"""
    from api.xlsx import workbook

    r = _report(report_id)
    return Response(workbook(report_document(r)), content_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=report-{r.id}-{r.year}.xlsx"})


PNG = "image/png"


@blp.route("/<int(max=2147483647):report_id>/pages/<int(min=1, max=100000):page>.png")
@blp.doc(responses={"200": {"description": "The page as a PNG of exactly the size the boxes of its cells are "
                            "given in (box.width × box.height): a box drawn on it falls where the cell was read.",
                            "content": {PNG: {"schema": {"type": "string", "format": "binary"}}}}})
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM, description="No such report, or no cell of it "
                  "was read by OCR on this page (only pages read by OCR have an image), or the file has no such "
                  "page.")
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM, description="The page image would be over "
                  "60 million pixels: not rendered.")
@not_modified(blp)
def get_page(report_id, page):
    """A page of a report read by OCR, as an image

    Page ``page`` of the report's file (a PDF page rendered, or an image file's
    frame), at the pixel size its cells' ``box`` is given in, so boxes can be drawn
    on it. Only for pages on which a cell was read by OCR."""
    from api.pages import FORMATS, TooLarge, page_box, render_png

    r = _report(report_id)
    box = page_box(r.id, page)
    if box is None or r.source_format not in FORMATS:
        abort(404, message=f"report {r.id} has no cell read by OCR on page {page}")
    content = bytes(SourceFile.get(SourceFile.sha256 == r.sha256).content)
    try:
        png = render_png(content, r.source_format, page, box.width, box.height)
    except TooLarge as e:
        abort(422, message=f"page {page} of report {r.id}: {e}")
    if png is None:
        abort(404, message=f"report {r.id}'s file has no page {page}")
    return Response(png, content_type=PNG)


def _too_large(limit: int) -> NoReturn:
    abort(413, message=f"the upload is larger than the limit of {limit:,} bytes (OGI_MAX_UPLOAD_MB): "
          "nothing was stored")


def _body() -> bytes:
    """The request body, whole: over the upload limit is 413 however it is sent
    (Content-Length or chunked); a body that ends before its Content-Length, or whose
    chunks break off, is 400. Either way nothing is stored."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None:  # werkzeug stops a chunked body at the limit without a word: one byte more tells
        request.max_content_length = limit + 1
    try:
        data = request.get_data()  # kept, for the form parser of a multipart upload
    except RequestEntityTooLarge:
        _too_large(limit)
    except HTTPException:  # ClientDisconnected: the body broke off
        abort(400, message="the request body ended before it was whole: nothing was stored")
    except Exception as e:  # noqa: BLE001 - the server could not frame the body (a broken chunk)
        log.warning("unreadable request body: %s", type(e).__name__)
        abort(400, message="the request body could not be read (broken framing): nothing was stored")
    if limit is not None and len(data) > limit:
        _too_large(limit)
    if request.content_length is not None and len(data) != request.content_length:
        abort(400, message=f"the request body has {len(data):,} bytes, not the {request.content_length:,} of its "
              "Content-Length: nothing was stored")
    return data


def _uploaded() -> tuple[bytes, str]:
    """The file of an upload: the ``file`` part of a multipart form, or the raw body
    (named by ``?filename=``)."""
    data = _body()
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            abort(400, message="a multipart upload needs its file in a part named 'file'",
                  invalid_params=[{"name": "file", "reason": "missing"}])
        return part.read(), PurePath((part.filename or "upload").replace("\\", "/")).name or "upload"
    name = PurePath(request.args.get("filename", "upload").replace("\\", "/")).name or "upload"
    return data, name


def _parse(data: bytes, name: str):
    """The upload parsed, or 422 with the one-line reason: never a 500, whatever the file."""
    source = f"upload:{name}"
    try:
        return parse_upload(data, source, Limits.from_env())
    except LoadError as e:
        abort(422, message=str(e))
    except Exception as e:  # noqa: BLE001 - a file the parser does not survive is still the file's problem
        log.exception("upload could not be parsed")
        abort(422, message=f"{source}: internal error: the file could not be read ({type(e).__name__})")


def _refuse(key, why: str, report: Report | None = None, **where) -> NoReturn:
    """403, recorded as a refused write."""
    uploads.refuse(key, why, report, **where)
    abort(403, message=why)


UPLOAD_DOC = {
    "security": SECURITY,
    "requestBody": {"required": True, "description": "A report file (text, markdown, HTML, PDF or Word), as the "
                    "part 'file' of a multipart form or as the raw body (name it with ?filename=).", "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    "parameters": [{"in": "query", "name": "filename", "required": False, "description": "The file's name, for a "
                    "raw body.", "schema": {"type": "string", "maxLength": 255, "pattern": "^[^\\x00]*$"}}],
}


@blp.route("", methods=["POST"])
@blp.doc(**UPLOAD_DOC)
@blp.response(201, schemas.ReportDetail, description="Stored: a new report or a new revision.")
@blp.alt_response(200, schema=schemas.ReportDetail, description="This file is stored already: that report.")
@blp.alt_response(202, schema=schemas.Job, description="A file that takes long (one that holds images, read by "
                  "OCR, or one over OGI_UPLOAD_SYNC_MAX_BYTES) is a job: its state is at the URL in Location "
                  "(GET /v1/jobs/{job_id}); ask again after Retry-After seconds.", headers={
                      "Location": {"description": "The job: /v1/jobs/{job_id}.", "schema": {"type": "string"}},
                      "Retry-After": {"description": "Seconds before asking.", "schema": {"type": "integer"}}})
@blp.alt_response(400, schema=ProblemSchema, content_type=PROBLEM, description="The body broke off, or the "
                  "multipart form has no part 'file'; a key in the URL.")
@blp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM, description="No valid API key.")
@blp.alt_response(403, schema=ProblemSchema, content_type=PROBLEM, description="The report's agency is not in the "
                  "key's scope: why.")
@blp.alt_response(413, schema=ProblemSchema, content_type=PROBLEM, description="The file is too large (however "
                  "it is sent).")
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM, description="Not a readable report: why.")
def upload_report():
    """Upload a report

    Parses and stores the file (one transaction), as ``ogi load`` does, if the
    report's agency (as parsed) is in the key's scope. The write is recorded in the
    report's history. A file that takes long (one that holds images, read by OCR at
    seconds a page; or one over ``OGI_UPLOAD_SYNC_MAX_BYTES``, default 1 MiB) is
    not parsed in the request: the answer is 202 with a job, parsed and stored by a
    worker with the same checks (out of scope: the job fails with the reason)."""
    key = require_key()
    if key.scoped.empty:  # refused before the file is read, let alone parsed
        _refuse(key, f"{key.label} may write {key.scoped.describe()}: the upload was not read")
    data, name = _uploaded()
    if uploads.takes_long(data, current_app.config["UPLOAD_SYNC_MAX_BYTES"]):
        job = uploads.enqueue(data, name, key)
        if current_app.config["JOBS_IN_PROCESS"]:
            uploads.start_in_process()
        log.info("upload queued", extra={"fields": {"key_id": key.id, "key_name": key.name, "job": job.id}})
        return json_response(job_record(job), {"Location": url_for("jobs.get_job", job_id=job.id),
                                               "Retry-After": str(RETRY_AFTER)}, 202)
    parsed = _parse(data, name)
    try:
        uploads.check_scope(parsed, key)
    except uploads.Refused as e:
        abort(403, message=str(e))
    result = uploads.store_upload(parsed, key)
    status = 200 if result.outcome == UNCHANGED else 201
    return json_response(report_document(_report(result.report_id)), {
        "Location": url_for("reports.get_report", report_id=result.report_id)}, status)


@blp.route("/<int(max=2147483647):report_id>", methods=["DELETE"])
@blp.doc(security=SECURITY)
@blp.response(204, description="Retracted.")
@blp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM, description="No valid API key.")
@blp.alt_response(403, schema=ProblemSchema, content_type=PROBLEM, description="The report is not in the key's "
                  "scope, or the operator loaded it and the key is not an admin key: why.")
@not_found(blp)
def retract(report_id):
    """Retract a report

    The report stays, with its revision history, but is never current again; if it
    was, the latest earlier revision becomes current. The key's scope must cover the
    report's agency; a report the operator loaded takes an admin key. Recorded in
    the report's history."""
    key = require_key()
    report = _report(report_id)
    if why := retract_refusal(key, report):
        _refuse(key, why, report)
    was_retracted = report.retracted_at is not None
    retract_report(report, actor=Actor.of_key(key))
    if was_retracted:
        touch_data_version()  # the history changed
    log.info("report retracted", extra={"fields": {"key_id": key.id, "key_name": key.name, "report": report.id}})
    return Response(status=204)


HISTORY_SORT = {"id": WriteEvent.id, "at": WriteEvent.at, "action": WriteEvent.action}
HistoryArgs = Schema.from_dict({**list_fields(HISTORY_SORT), **paging_fields(schemas.WriteEvent)}, name="HistoryArgs")
HISTORY_WALK = Walker("history", (WriteEvent.id,), lambda e: (e.id,), "events")
HISTORY_COLUMNS = list(schemas.WriteEvent().fields)


def event_record(e: WriteEvent) -> dict:
    return {"id": e.id, "at": utc(e.at), "action": e.action, "actor": e.actor, "key_id": e.api_key_id,
            "via": e.via, "report_id": e.report_id, "sha256": e.sha256, "detail": e.detail}


@blp.route("/<int(max=2147483647):report_id>/history")
@blp.arguments(HistoryArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.WriteEventList)
@blp.doc(**CSV_DOC)
@not_found(blp)
@not_modified(blp)
@gone(blp)
def get_history(args, report_id):
    """A report's history: who wrote what, and when

    Every write to the reports of this agency and year, any revision (``report_id``
    says which): stored (created, revised, unchanged), retracted, or refused, by a
    key (its id and name, never the key) through the API or by the operator (``ogi
    load``); ``unrecorded`` for what was stored before writes were recorded. Oldest
    first unless sorted."""
    r = _report(report_id)
    query = WriteEvent.select().where(WriteEvent.agency_name == r.agency.name, WriteEvent.year == r.year)
    return respond(order(query, args, HISTORY_SORT, [WriteEvent.id]), args,
                   lambda events: [event_record(e) for e in events], HISTORY_COLUMNS, walk=HISTORY_WALK.start(args))
