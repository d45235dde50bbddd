"""A few hundred generated reports, in every generated format with their damage,
parse to their goldens exactly (benchmarks/generate.py; the shared checker)."""
import json
import sys
from pathlib import Path

import pytest

from loaders.document import dumps, parse_file
from tests.conftest import check_golden

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.generate import FORMATS, generate  # noqa: E402

COUNT = 350


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    return out, generate(COUNT, out, seed=2026)


def test_every_generated_report_matches_its_golden(corpus, tmp_path, capsys):
    out, paths = corpus
    failures = []
    for path in paths:
        parsed = tmp_path / "parsed.json"
        parsed.write_text(dumps(parse_file(path).document()), encoding="utf-8")
        if check_golden.main(str(out / "golden" / f"{path.stem}.json"), str(parsed)) != 0:
            failures.append(path.name)
    report = capsys.readouterr().out
    assert failures == [], report[-3000:]


def test_the_corpus_has_what_it_says(corpus):
    out, paths = corpus
    goldens = [json.loads((out / "golden" / f"{p.stem}.json").read_text(encoding="utf-8")) for p in paths]
    assert {p.name.split("_")[2].split(".")[0] for p in paths} == set(FORMATS)
    assert {g["year"] for g in goldens} == set(range(2019, 2026))
    assert {g["layout"] for g in goldens} == {"2019", "2021"}
    broken = [g for g in goldens if g["findings_at_least"]]
    assert 0.03 < len(broken) / len(goldens) < 0.2  # a known share breaks an identity on purpose
    assert any(v is None for g in goldens for v in g["cells"].values())  # blanks are in it
    assert any("requests/other/total" in g["cells"] and g["layout"] == "2021" for g in goldens)


def test_generation_is_deterministic(tmp_path):
    first = generate(15, tmp_path / "a", seed=5)
    second = generate(15, tmp_path / "b", seed=5)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    third = generate(15, tmp_path / "c", seed=6)
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in third]
