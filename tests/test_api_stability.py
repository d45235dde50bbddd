"""The /v1 stability promise: nothing that /v1 offers is taken away or renamed.

tests/fixtures/api_v1_contract.json records every path, query parameter, enum value
and response field of /v1 as first published, and the codebook's keys. New ones may
be added; a change that removes or renames any of them fails here, and belongs in /v2."""
import json
from pathlib import Path

CONTRACT = Path(__file__).parent / "fixtures" / "api_v1_contract.json"


def contract(spec: dict, codebook: dict) -> dict:
    schemas = spec["components"]["schemas"]
    out = {"paths": {}, "schemas": {name: sorted(s.get("properties", {})) for name, s in schemas.items()},
           "codebook": {t: {"rows": sorted(v["rows"]), "columns": sorted(v["columns"])}
                        for t, v in codebook["tables"].items()}}
    for path, item in spec["paths"].items():
        op = item.get("get", {})  # the GETs' parameters (a POST read, /v1/cells/query, takes a body)
        out["paths"][path] = {
            p["name"]: sorted(map(str, p["schema"].get("items", p["schema"]).get("enum", [])))
            for p in op.get("parameters", []) + item.get("parameters", [])
        }
    return out


def missing(old, new, where=""):
    """What ``old`` has that ``new`` lacks."""
    if isinstance(old, dict):
        return [m for k, v in old.items() for m in (missing(v, new[k], f"{where}/{k}") if k in new
                                                     else [f"{where}/{k}"])]
    return [f"{where}: {x}" for x in old if x not in new]


def test_nothing_published_in_v1_is_gone(client):
    current = contract(client.get("/v1/openapi.json").json, client.get("/v1/codebook").json)
    published = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert missing(published, current) == []


def test_a_removal_is_reported():
    published = {"paths": {"/v1/cells": {"status": ["blank", "reported"]}}, "schemas": {"Cell": ["row", "value"]}}
    current = {"paths": {"/v1/cells": {"status": ["reported"]}}, "schemas": {"Cell": ["row", "value", "new"]}}
    assert missing(published, current) == ["/paths//v1/cells/status: blank"]


if __name__ == "__main__":  # record the contract: only when /v1 is first published
    import tempfile

    from api import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/contract.sqlite3"})
    with app.test_client() as c:
        CONTRACT.write_text(json.dumps(contract(c.get("/v1/openapi.json").json, c.get("/v1/codebook").json),
                                       ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
