"""Findings: broken identities and what the loader could not read."""
from __future__ import annotations

from api import schemas
from api.base import Blueprint
from api.filters import FINDING_FILTERS, apply_filters
from api.lists import order, respond
from api.paging import Walker
from api.v1.common import CSV_DOC, finding_record, gone, list_args, not_modified
from models import Agency, Finding, Report

blp = Blueprint("findings", __name__, url_prefix="/v1/findings",
                description="Identities the printed numbers break, and what could not be read.")

SORT = {"id": Finding.id, "report_id": Report.id, "agency_id": Agency.id, "agency_name": Agency.name,
        "year": Report.year, "rule": Finding.rule, "table": Finding.table_key, "row": Finding.row_key,
        "column": Finding.column_key, "expected": Finding.expected, "printed": Finding.printed}
FindingArgs = list_args("FindingArgs", FINDING_FILTERS, SORT, item=schemas.Finding)
WALK = Walker("findings", (Finding.id,), lambda f: (f.id,), "findings", FINDING_FILTERS)
COLUMNS = list(schemas.Finding().fields)


def _records(findings: list[Finding]) -> list[dict]:
    return [finding_record(f, f.report.agency.id, f.report.agency.name, f.report.year) for f in findings]


@blp.route("")
@blp.arguments(FindingArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.FindingList)
@blp.doc(**CSV_DOC)
@not_modified(blp)
@gone(blp)
def list_findings(args):
    """List findings

    Filter by ``rule``, agency, region, year or report; current revisions unless
    ``revisions=all``."""
    query = Finding.select(Finding, Report.id, Report.year, Agency.id, Agency.name).join(Report).join(Agency)
    walk = WALK.start(args)
    query = apply_filters(query, args, FINDING_FILTERS, walk)
    return respond(order(query, args, SORT, [Finding.id]), args, _records, COLUMNS, walk=walk)
