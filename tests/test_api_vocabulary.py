"""One vocabulary: a name means the same thing in every resource.

A field name holds either the things it names (a list or a map: ``findings``, ``cells``,
``reports``, ``tables``) or one kind of scalar, in every schema of /v1; a count of
things is ``<things>_count``. Names first published with another meaning are kept in
/v1 as aliases marked ``deprecated`` (README, "One vocabulary"), and are left out of
this check; so are the schemas of other standards (JSON-stat, RFC 9457 problems)."""
from collections import defaultdict

FOREIGN = {"JsonStatDataset", "Problem", "CellQuery", "CellQueryPaging"}  # other standards; request arguments
DEPRECATED_ALIASES = {  # (schema, field): what replaces it
    ("Report", "findings"): "findings_count",
    ("Aggregate", "cells"): "cells_count",
    ("Aggregate", "values"): "values_count",
    ("Indicator", "reports"): "reports_count",
    ("IndicatorDefinition", "numerator"): "numerator_cells",
    ("IndicatorDefinition", "denominator"): "denominator_cells",
}


def kind(prop: dict) -> str:
    """collection (a list or a map of things) or the scalar type."""
    if "$ref" in prop or "allOf" in prop:
        return "collection"
    types = prop.get("type", "any")
    types = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    if types in (["array"], ["object"]) or (prop.get("additionalProperties") is not None):
        return "collection"
    return "|".join(types)


def test_a_field_name_has_one_meaning(client):
    schemas = client.get("/v1/openapi.json").json["components"]["schemas"]
    meanings = defaultdict(lambda: defaultdict(set))
    for name, schema in schemas.items():
        if name in FOREIGN:
            continue
        for field, prop in schema.get("properties", {}).items():
            if (name, field) in DEPRECATED_ALIASES:
                continue
            meanings[field][kind(prop)].add(name)
    assert {field: dict(kinds) for field, kinds in meanings.items()
            if len(set(kinds) - {"any"}) > 1 and field != "id"} == {}
    # ``id`` is each resource's own identifier: an integer, or a job's 32 hex digits
    assert set(meanings["id"]) == {"integer", "string"} and meanings["id"]["string"] == {"Job"}


def test_every_alias_is_marked_and_served_with_its_new_name(client):
    schemas = client.get("/v1/openapi.json").json["components"]["schemas"]
    for (schema, old), new in DEPRECATED_ALIASES.items():
        assert schemas[schema]["properties"][old]["deprecated"] is True
        assert new in schemas[schema]["properties"]
    report = client.get("/v1/reports?limit=1").json["data"][0]
    assert report["findings"] == report["findings_count"]
    [total] = client.get("/v1/aggregates?row=granted&column=total").json["data"]
    assert (total["cells"], total["values"]) == (total["cells_count"], total["values_count"]) == (5, 5)
    [rate] = client.get("/v1/indicators?indicator=disclosure_rate").json["data"]
    assert rate["reports"] == rate["reports_count"] == 5
    definition = next(d for d in client.get("/v1/indicators/definitions").json if d["key"] == "disclosure_rate")
    assert definition["numerator"] == definition["numerator_cells"]
    assert definition["denominator"] == definition["denominator_cells"]


def test_headline_numbers_name_their_codebook_cells(client):
    agency = client.get("/v1/agencies?limit=1").json["data"][0]
    [year, *_] = client.get(f"/v1/agencies/{agency['id']}").json["reports"]
    cells = year["cells"]
    assert year["headline"]["requests_received"] == cells["requests/new_received/total"]
    assert year["headline"]["requests_handled"] == cells["requests/total_processed/total"]
    denied = [v for k, v in cells.items() if k.startswith("requests/denied.")]
    assert len(denied) == 8 and year["headline"]["requests_withheld"] == sum(denied)
