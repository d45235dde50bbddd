"""The codebook: every table, row and column key with its labels, and the rules."""
from __future__ import annotations

from dataclasses import asdict
from functools import cache

from marshmallow import Schema, fields

from api.base import Blueprint
from api.filters import ROW_GROUPS
from api.lists import json_response
from api.v1.common import not_modified
from loaders.records import RULES, STATUSES
from models.codebook import LAYOUTS, codebook

blp = Blueprint("codebook", __name__, url_prefix="/v1/codebook", description="Keys, labels, layouts and rules.")


class CodebookSchema(Schema):
    layouts = fields.List(fields.String(), required=True)
    tables = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True, metadata={
        "description": "By table key: zh, en, section, rows and columns (each with zh, en, aliases, layouts …)."})
    row_groups = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True, metadata={
        "description": "Row group keys accepted by the row filter, and the rows each stands for."})
    identities = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
    rules = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"description": "Every finding rule, and what it means."})
    statuses = fields.List(fields.String(), required=True, metadata={"description": "Cell statuses."})


def _plain(item) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(item).items() if k != "key"}


@blp.route("")
@blp.response(200, CodebookSchema)
@not_modified(blp)
def get_codebook():
    """The codebook"""
    return json_response(codebook_document())


@cache
def codebook_document() -> dict:
    cb = codebook()
    return {
        "layouts": list(LAYOUTS),
        "tables": {t.key: {"zh": t.zh, "en": t.en, "section": t.section,
                           "rows": {r.key: _plain(r) for r in t.rows.values()},
                           "columns": {c.key: _plain(c) for c in t.columns.values()}}
                   for t in cb.tables.values()},
        "row_groups": ROW_GROUPS,
        "identities": {i.key: _plain(i) for i in cb.identities.values()},
        "rules": RULES,
        "statuses": list(STATUSES),
    }
