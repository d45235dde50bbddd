from decimal import Decimal

import pytest

from loaders.values import BLANK, NUMBER, PLACEHOLDER, TEXT, read_value


@pytest.mark.parametrize("printed, number, note", [
    ("0", Decimal(0), None),
    ("94335", Decimal(94335), None),
    ("249887966.42", Decimal("249887966.42"), None),
    ("-185", Decimal(-185), None),
    ("+1036", Decimal(1036), None),
    ("1,234,567", Decimal(1234567), None),
    ("２３", Decimal(23), None),
    ("22（其中修订16件）", Decimal(22), "(其中修订16件)"),
    ("251000元", Decimal(251000), "元"),
])
def test_numbers_as_printed(printed, number, note):
    v = read_value(printed)
    assert (v.kind, v.number, v.note, v.raw) == (NUMBER, number, note, printed)


@pytest.mark.parametrize("printed", ["/", "-", "—", "无", " / "])
def test_placeholders_are_null(printed):
    v = read_value(printed)
    assert (v.kind, v.number) == (PLACEHOLDER, None)


def test_blank_and_text():
    assert read_value("").kind == BLANK
    assert read_value("  ").kind == BLANK
    assert read_value("自然人").kind == TEXT
    assert read_value("2023年").kind == TEXT
