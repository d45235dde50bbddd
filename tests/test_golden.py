"""Every seed and every corpus report parses to its hand-read golden exactly
(the shared check_golden.py)."""
import pytest

from loaders.document import dumps, parse_file
from tests.conftest import CORPUS, SEEDS, check_golden, golden_path


@pytest.mark.parametrize("source", SEEDS + CORPUS, ids=lambda p: p.name)
def test_matches_golden(source, tmp_path, capsys):
    parsed = tmp_path / "parsed.json"
    parsed.write_text(dumps(parse_file(source).document()), encoding="utf-8")
    status = check_golden.main(str(golden_path(source)), str(parsed))
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.strip().endswith(" 0 failed")


def test_the_fixtures_are_all_there():
    assert len(SEEDS) == 5
    assert [p.suffix for p in CORPUS] == [".html", ".pdf", ".txt", ".txt"]  # 022, 031: crawler dumps
