"""/v1/indicators: each indicator worked out again from the seeds' goldens."""
import json
from fractions import Fraction

import pytest

from tests.conftest import SEEDS, golden_path

# The definitions as the README states them, written out again (not imported).
DENIED = [f"requests/denied.{k}/total" for k in ("state_secret", "prohibited_by_law", "security_stability",
                                                  "third_party_rights", "internal_affairs", "process_information",
                                                  "enforcement_files", "administrative_query")]
UNABLE = [f"requests/unable.{k}/total" for k in ("not_held", "needs_creation", "unclear")]
PROCESSED = ["requests/total_processed/total"]


def concluded(*rows):
    return [f"review_litigation/{r}/{c}" for r in rows for c in ("upheld", "corrected", "other")]


DEFINITIONS = {
    "disclosure_rate": (["requests/granted/total", "requests/partially_granted/total"], PROCESSED, 10),
    "withholding_rate": (DENIED, PROCESSED, 10),
    "unable_rate": (UNABLE, PROCESSED, 10),
    "review_correction_rate": (["review_litigation/review/corrected"], concluded("review"), 10),
    "litigation_correction_rate": (["review_litigation/litigation_direct/corrected",
                                    "review_litigation/litigation_after_review/corrected"],
                                   concluded("litigation_direct", "litigation_after_review"), 10),
    "requests_per_agency": (["requests/new_received/total"], None, 1),
}


def goldens():
    return [json.loads(golden_path(s).read_text(encoding="utf-8")) for s in SEEDS]


def expected(indicator: str, reports: list[dict], minimum: int | None = None) -> dict:
    numerator_cells, denominator_cells, least = DEFINITIONS[indicator]
    least = least if minimum is None else minimum
    num = den = taking_part = 0
    for golden in reports:
        cells = golden["cells"]
        needed = numerator_cells + (denominator_cells or [])
        if any(cells.get(k) is None for k in needed):
            continue
        taking_part += 1
        num += sum(cells[k] for k in numerator_cells)
        den += sum(cells[k] for k in denominator_cells) if denominator_cells else 1
    value = round(float(Fraction(num, den)), 6) if taking_part and den >= least and den > 0 else None
    return {"indicator": indicator, "value": value, "numerator": num if taking_part else None,
            "denominator": den if taking_part else None, "reports_count": taking_part, "reports": taking_part,
            "excluded": len(reports) - taking_part}


def indicators(client, query=""):
    response = client.get(f"/v1/indicators?{query}")
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_every_indicator_over_all_seeds(client):
    got = {d["indicator"]: d for d in indicators(client)}
    assert got == {key: expected(key, goldens()) for key in DEFINITIONS}
    assert got["disclosure_rate"]["value"] == round(164 / 236, 6)  # as worked out by hand from the goldens
    assert got["requests_per_agency"]["value"] == 237 / 5


def test_by_year_and_the_minimum_denominator(client):
    by_year = {}
    for golden in goldens():
        by_year.setdefault(golden["year"], []).append(golden)
    got = indicators(client, "group_by=year&indicator=disclosure_rate")
    assert [(d["year"], d["value"], d["denominator"]) for d in got] == [(2020, 0.705628, 231), (2022, None, 0),
                                                                        (2023, None, 5)]
    for d in got:
        assert {k: v for k, v in d.items() if k != "year"} == expected("disclosure_rate", by_year[d["year"]])
    # a smaller minimum gives 2023's value; a denominator of 0 stays null
    lowered = indicators(client, "group_by=year&indicator=disclosure_rate&min_denominator=5")
    assert [(d["year"], d["value"]) for d in lowered] == [(2020, 0.705628), (2022, None), (2023, 0.2)]


def test_reports_missing_a_cell_are_excluded_not_zero(client):
    got = indicators(client, "indicator=review_correction_rate&group_by=agency&min_denominator=1")
    excluded = [d["agency_name"] for d in got if d["excluded"]]
    lacking = [g["agency_any_of"] for g in goldens() if any(g["cells"].get(k) is None for k in concluded("review"))]
    assert len(excluded) == len(lacking) and all(name in names for name, names in zip(excluded, lacking, strict=True))
    assert excluded  # the seeds do have a report with a review cell printed blank
    for d in got:
        if d["excluded"]:
            assert (d["value"], d["numerator"], d["denominator"], d["reports"]) == (None, None, None, 0)


def test_filters_group_by_and_sort(client):
    got = indicators(client, "region=晋江市&year=2023&group_by=agency&indicator=requests_per_agency&sort=-value")
    assert [d["value"] for d in got] == sorted((d["value"] for d in got), reverse=True)
    assert len(got) == len([g for g in goldens() if g["year"] == 2023]) == 3


@pytest.mark.parametrize("query, parameter", [("indicator=nope", "indicator"), ("group_by=row", "group_by"),
                                              ("min_denominator=0", "min_denominator"), ("sort=year", "sort")])
def test_bad_parameters_are_named(client, query, parameter):
    response = client.get(f"/v1/indicators?{query}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert parameter in {p["name"] for p in response.json["invalid_params"]}


def test_definitions_are_served(client):
    definitions = {d["key"]: d for d in client.get("/v1/indicators/definitions").json}
    assert set(definitions) == set(DEFINITIONS)
    for key, (numerator, denominator, minimum) in DEFINITIONS.items():
        assert definitions[key]["numerator"] == numerator
        assert definitions[key]["denominator"] == (denominator or "reports")
        assert definitions[key]["min_denominator"] == minimum
        assert definitions[key]["definition"]
