"""Every seed parses to its hand-read golden exactly (the shared check_golden.py)."""
import json

import pytest

from loaders.document import parse_file
from tests.conftest import SEEDS, check_golden, golden_path


@pytest.mark.parametrize("source", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_matches_golden(source, tmp_path, capsys):
    parsed = tmp_path / "parsed.json"
    parsed.write_text(json.dumps(parse_file(source).document(), ensure_ascii=False), encoding="utf-8")
    status = check_golden.main(str(golden_path(source)), str(parsed))
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.strip().endswith(" 0 failed")


def test_there_are_five_seeds():
    assert len(SEEDS) == 5
