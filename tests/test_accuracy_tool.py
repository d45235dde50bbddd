"""benchmarks/accuracy.py counts cells correct, wrong, missing and unexpected."""
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, seed

ROOT = Path(__file__).resolve().parents[1]


def test_accuracy_counts(tmp_path):
    (tmp_path / "golden").mkdir()
    good, changed = seed("001"), tmp_path / "001_0eae8362f754cbc0.txt"
    shutil.copy(FIXTURES / "golden" / f"{good.stem}.json", tmp_path / "golden")
    # one value changed, one row cut short (7 cells ambiguous: null, so wrong against 0)
    text = good.read_text(encoding="utf-8").replace("规章\t0\t0\t0", "规章\t0\t5\t0")
    changed.write_text(text.replace("\t\t2. 重复申请\t0\t0\t0\t0\t0\t0\t0", "\t\t2. 重复申请\t0\t0"),
                       encoding="utf-8")
    (tmp_path / "notes.txt").write_text("no golden: skipped", encoding="utf-8")
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "accuracy.py"), str(tmp_path)],
                         capture_output=True, text=True, check=True)
    lines = run.stdout.splitlines()
    assert lines[1].split() == ["001_0eae8362f754cbc0.txt", "192", "8", "0", "0"]
    assert lines[-1].split() == ["total", "192", "8", "0", "0"]
    assert len(lines) == 3
