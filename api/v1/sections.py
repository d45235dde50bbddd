"""Sections: the reports' numbered prose sections, searched in full text."""
from __future__ import annotations

from peewee import SQL

from api import schemas
from api.base import Blueprint
from api.filters import SEARCH_HOW, apply_filters, search_field
from api.lists import order, respond
from api.paging import Walker
from api.v1.common import CSV_DOC, gone, list_args, not_modified
from loaders.sections import NUMERALS
from models import Agency, Report, Section
from models.search import hits, passage, query_tokens, score_value

blp = Blueprint("sections", __name__, url_prefix="/v1/sections",
                description="The reports' prose sections (一 to 六), searched in full text.")

SECTION_FILTERS = ("agency", "region", "year", "year_from", "year_to", "layout", "report", "updated_since")
SORT = {"id": Section.id, "report_id": Report.id, "agency_id": Agency.id, "agency_name": Agency.name,
        "region": Agency.region, "year": Report.year, "number": Section.number, "title": Section.title}
SectionArgs = list_args("SectionArgs", SECTION_FILTERS, SORT, q=search_field(
    "Full-text search in the sections' titles and text: only the sections that hold every word, ranked by "
    "relevance (best first, unless sorted), each with the passage around its first match. " + SEARCH_HOW
    + " A query with no letter, digit or CJK character finds nothing."))
COLUMNS = list(schemas.SectionHit().fields)
LIST_WALK = Walker("sections", (Section.id,), lambda s: (s.id,), "reports", SECTION_FILTERS)
SEARCH_WALK = Walker("sections-search")  # ranked: its pages are offsets under the data version (any write: 410)


def section_record(s: Section, q: str | None) -> dict:
    text, marked = passage(s.text, q)
    r = s.report
    return {"id": s.id, "report_id": r.id, "agency_id": r.agency.id, "agency_name": r.agency.name,
            "region": r.agency.region, "year": r.year, "revision": r.revision, "is_current": r.is_current,
            "number": s.number, "numeral": NUMERALS[s.number - 1], "title": s.title, "passage": text,
            "passage_html": marked, "score": score_value(s.hit.score) if q is not None else None}


@blp.route("")
@blp.arguments(SectionArgs, location="query", as_kwargs=False)
@blp.response(200, schemas.SectionList)
@blp.doc(**CSV_DOC)
@not_modified(blp)
@gone(blp)
def list_sections(args):
    """List or search sections

    With ``q``: the sections whose title or text holds every word of it, best
    first, each with its ``passage`` (about 120 characters around the first match,
    cut at a sentence start when one is near; … where cut) and the same as HTML in
    ``passage_html`` (escaped, each match in ``<mark>``), and a ``score`` (higher is
    better; it ranks the results of one query, and means nothing across queries or
    databases). Without ``q``: every section, its passage the start of its text.
    Filter by agency, region, year, layout or report; current revisions unless
    ``revisions=all``."""
    q = args.get("q")
    query = (Section.select(Section.id, Section.report, Section.number, Section.title, Section.text, Report.id,
                            Report.year, Report.revision, Report.is_current, Agency.id, Agency.name,
                            Agency.region)
             .join(Report).join(Agency))
    default = [Section.id]
    if q is not None:
        toks = query_tokens(q)
        if toks:
            found = hits(toks, body_only=True).alias("hits")
            query = (query.switch(Section).join(found, on=(found.c.section_id == Section.id), attr="hit")
                     .select_extend(found.c.score))
            default = [found.c.score.desc(), Section.id]
        else:  # nothing to look for (punctuation alone): nothing found
            query = query.where(SQL("1 = 0"))
    walk = (SEARCH_WALK if q is not None else LIST_WALK).start(args)
    query = apply_filters(query, args, SECTION_FILTERS, walk if walk is not None and walk.walker.order else None)
    return respond(order(query, args, SORT, default), args, lambda rows: [section_record(s, q) for s in rows],
                   COLUMNS, walk=walk)
