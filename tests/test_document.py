"""The report document of the seeds: values, statuses, findings and prose, beyond the goldens."""
from decimal import Decimal

from loaders.document import parse_file
from tests.conftest import seed


def cells(source):
    return {f"{c['table']}/{c['row']}/{c['column']}": c for c in parse_file(source).document()["cells"]}


def test_money_keeps_decimals_and_integers_stay_integers():
    c = cells(seed("004"))
    assert c["disclosure/procurement/procurement_amount"]["value"] == Decimal("249887966.42")  # exact, not a float
    assert c["requests/granted/total"]["value"] == 142
    assert isinstance(c["requests/granted/total"]["value"], int)


def test_blank_cells_are_null_with_status_blank():
    c = cells(seed("000"))
    review = [c[f"review_litigation/review/{col}"] for col in ("upheld", "corrected", "other", "pending", "total")]
    assert [(x["value"], x["status"]) for x in review] == [(None, "blank")] * 5
    assert c["review_litigation/litigation_direct/total"] == {
        "table": "review_litigation", "row": "litigation_direct", "column": "total", "value": 0, "raw": "0",
        "status": "reported", "note": None, "location": "line 88"}


def test_ambiguous_row_is_null_with_a_finding():
    doc = parse_file(seed("004")).document()
    forward = [c for c in doc["cells"] if c["row"] == "carried_forward"]
    assert [(c["value"], c["status"]) for c in forward] == [(None, "ambiguous")] * 7
    [finding] = [f for f in doc["findings"] if f["rule"] == "parse.ambiguous"]
    assert finding["row"] == "carried_forward" and finding["location"] == "line 121"


def test_identity_findings_carry_expected_and_printed():
    doc = parse_file(seed("002")).document()
    balance = [f for f in doc["findings"] if f["rule"] == "requests.balance"]
    assert [(f["column"], f["expected"], f["printed"]) for f in balance] == [("natural_person", 0, 6)]
    assert balance[0]["cells"] == [
        "requests/new_received/natural_person", "requests/carried_over/natural_person",
        "requests/total_processed/natural_person", "requests/carried_forward/natural_person"]
    row_totals = {f["row"]: (f["expected"], f["printed"]) for f in doc["findings"] if f["rule"] == "requests.row_total"}
    assert row_totals == {"granted": (1, 0), "denied.third_party_rights": (1, 0),
                          "unable.not_held": (4, 0), "total_processed": (6, 0)}


def test_outcomes_sum_uses_the_single_other_row_of_the_2019_layout():
    doc = parse_file(seed("003")).document()
    assert doc["layout"] == "2019"
    rows = {c["row"] for c in doc["cells"] if c["table"] == "requests"}
    assert "other" in rows and "other.other" not in rows
    outcomes = {f["column"]: (f["expected"], f["printed"])
                for f in doc["findings"] if f["rule"] == "requests.outcomes_sum"}
    assert outcomes == {"natural_person": (1, 0), "total": (1, 0)}


def test_identity_skips_null_cells():
    doc = parse_file(seed("004")).document()  # carried_forward is null: no balance check
    assert not [f for f in doc["findings"] if f["rule"] == "requests.balance"]


def test_seed_003_reads_the_2019_layout_in_a_2023_report():
    doc = parse_file(seed("003")).document()
    assert (doc["year"], doc["layout"]) == (2023, "2019")


def test_sections_are_kept_with_their_prose():
    doc = parse_file(seed("001")).document()
    assert [s["numeral"] for s in doc["sections"]] == list("一二三四五六")
    assert doc["sections"][4]["title"] == "存在的主要问题及改进情况"
    assert "主动公开的政府信息与公众需求还存在一些差距" in doc["sections"][4]["text"]
    assert doc["sections"][5]["text"].startswith("无")


def test_every_cell_says_where_it_was_read():
    doc = parse_file(seed("001")).document()
    assert all(c["location"].startswith("line ") for c in doc["cells"])
