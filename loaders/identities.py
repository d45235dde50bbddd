"""The accounting identities of the codebook, checked on the printed numbers.

Each identity is evaluated per column or per row; an instance in which any cell is
null is skipped (a null is not a zero). A broken instance becomes a finding with the
cells involved, the expected value (the side the rule computes) and the printed one.
Printed values are never changed.

Sums are Decimal, in the store's context for sums (``models.decimals.SUMS``: as many
digits as a sum takes), so no sum is ever rounded (a default context would round past
28 digits)."""
from __future__ import annotations

from decimal import Decimal

from loaders.records import OCR, CellRecord, FindingRecord
from models.codebook import codebook
from models.decimals import SUMS

Values = dict[tuple[str, str, str], Decimal | None]


_ZERO = Decimal(0)


def _sum(numbers) -> Decimal:
    total = _ZERO
    add = SUMS.add  # the store's context for sums: as many digits as it takes
    for n in numbers:
        total = add(total, n)
    return total


def _check(rule: str, table: str, scope: dict, left: list, right: list, values: Values,
           expected_label: str, printed_label: str) -> FindingRecord | None:
    involved = left + right
    get = values.get
    numbers = [get(k) for k in involved]
    if any(n is None for n in numbers):
        return None
    expected = _sum(numbers[:len(left)])
    printed = _sum(numbers[len(left):])
    if expected == printed:
        return None
    where = ", ".join(f"{k} {v}" for k, v in scope.items())
    message = f"{rule} ({where}): {expected_label} = {_fmt(expected)}, but {printed_label} = {_fmt(printed)}"
    return FindingRecord(rule, message, table, scope.get("row"), scope.get("column"),
                         ["/".join(k) for k in involved], expected, printed)


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else str(d)


def _present_rows(values: Values, table: str) -> list[str]:
    return list(dict.fromkeys(r for t, r, _ in values if t == table))


def requests_balance(values: Values) -> list[FindingRecord]:
    out = []
    for column in codebook().tables["requests"].columns:
        left = [("requests", "new_received", column), ("requests", "carried_over", column)]
        right = [("requests", "total_processed", column), ("requests", "carried_forward", column)]
        out.append(_check("requests.balance", "requests", {"column": column}, left, right,
                          values, "new_received + carried_over", "total_processed + carried_forward"))
    return out


def requests_outcomes_sum(values: Values) -> list[FindingRecord]:
    rows = _present_rows(values, "requests")
    outcomes = rows[rows.index("granted"):rows.index("total_processed")] if "granted" in rows else []
    out = []
    for column in codebook().tables["requests"].columns:
        out.append(_check("requests.outcomes_sum", "requests", {"column": column},
                          [("requests", r, column) for r in outcomes], [("requests", "total_processed", column)],
                          values, "the outcome rows summed", "total_processed"))
    return out


def _row_total(rule: str, table: str, values: Values) -> list[FindingRecord]:
    parts = [c for c in codebook().tables[table].columns if c != "total"]
    label = " + ".join(parts)
    return [
        _check(rule, table, {"row": row}, [(table, row, c) for c in parts], [(table, row, "total")],
               values, label, "total")
        for row in _present_rows(values, table)
    ]


def requests_row_total(values: Values) -> list[FindingRecord]:
    return _row_total("requests.row_total", "requests", values)


def review_row_total(values: Values) -> list[FindingRecord]:
    return _row_total("review_litigation.row_total", "review_litigation", values)


CHECKS = {
    "requests.balance": requests_balance,
    "requests.outcomes_sum": requests_outcomes_sum,
    "requests.row_total": requests_row_total,
    "review_litigation.row_total": review_row_total,
}
# cross_year.carry compares two reports: it is checked where both are stored, not here.
assert set(CHECKS) == {k for k, i in codebook().identities.items() if not i.soft}, "an identity has no check"


def check_identities(cells: list[CellRecord]) -> list[FindingRecord]:
    """The identities the cells break. A finding among numbers read by OCR names those
    cells and their confidence: one of them may be misread, not misprinted."""
    values: Values = {(c.table, c.row, c.column): c.value for c in cells}
    findings = [f for check in CHECKS.values() for f in check(values) if f is not None]
    read = {c.key: c for c in cells if c.status == OCR}
    for f in findings:
        if named := [read[k] for k in f.cells if k in read]:
            shown = ", ".join(f"{c.key} ({c.confidence})" for c in sorted(named, key=lambda c: c.confidence or 0))
            f.message += f"; read by OCR (confidence): {shown}"
    return findings
