"""The README's examples run as written.

Every block of the README that calls the API (``curl … http://127.0.0.1:8000…``) is
run with bash, as a user would paste it, against a real ``ogi serve`` of the seeds (the
address replaced by the test server's); ``$KEY`` is an admin key made with ``ogi keys
create``, and the files the examples upload are in the working folder. curl fails on
any HTTP error (``--fail-with-body``), so an example that answers 4xx/5xx — a URL with
raw Chinese that the server refuses, a parameter that no longer exists — fails here.
Python blocks that call the API (they import something and name the address) run
with this interpreter the same way."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import FIXTURES
from tests.test_cli import ogi
from tests.test_serve import served

README = Path(__file__).parent.parent / "README.md"
BASE = "http://127.0.0.1:8000"
CURL = re.compile(r"\bcurl\b.*" + re.escape(BASE))
PRELUDE = 'set -euo pipefail\ncurl() { command curl -sS --fail-with-body --max-time 60 "$@"; }\n'


def code_blocks() -> list[tuple[int, list[str]]]:
    """The README's indented code blocks, with their first line number."""
    out, current, start = [], [], 0
    for number, line in enumerate([*README.read_text(encoding="utf-8").splitlines(), "end"], start=1):
        if line.startswith("    ") or (current and not line.strip()):  # a blank line inside a block
            if not current:
                start = number
            current.append(line[4:])
        elif current:
            while not current[-1].strip():
                current.pop()
            out.append((start, current))
            current = []
    return out


def blocks() -> list[tuple[int, list[str]]]:
    """The shell blocks that call the API (their ``ogi`` lines left out: the server is set up)."""
    return [(start, [x for x in lines if not x.lstrip().startswith("ogi ")]) for start, lines in code_blocks()
            if any(CURL.search(x) for x in lines) and not python(lines)]


def python(lines: list[str]) -> bool:
    return any(re.match(r"(import|from) \w+", x) for x in lines)


def python_blocks() -> list[tuple[int, list[str]]]:
    """The Python blocks that call the API."""
    return [(start, lines) for start, lines in code_blocks() if python(lines) and any(BASE in x for x in lines)]


def test_the_readme_has_api_examples():
    found = blocks()
    assert len(found) >= 5
    for start, lines in found:
        for line in lines:  # gunicorn refuses raw UTF-8 in a request line: examples percent-encode
            url = re.search(re.escape(BASE) + r"\S*", line)
            assert url is None or url.group().isascii(), f"README line {start}: {line}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    with served(folder, workers=2, ready="/v1/codebook") as running:
        made = ogi("keys", "create", "readme", "--admin", db_url=running.db_url)
        assert made.returncode == 0, made.stderr
        work = folder / "work"
        work.mkdir()
        shutil.copy(FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf", work / "report.pdf")
        Image.new("L", (850, 1100), 255).save(work / "scan.pdf", resolution=100)  # a page that is an image: a job
        yield running, made.stdout.split(": ", 1)[1].strip(), work


@pytest.mark.parametrize("start, lines", blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_each_example_runs_as_written(server, start, lines):
    running, key, work = server
    script = PRELUDE + "\n".join(lines).replace(BASE, running.base)
    run = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True, timeout=300,
                         env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "KEY": key, "HOME": str(work)})
    assert run.returncode == 0, f"README line {start}:\n{script}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"


@pytest.mark.parametrize("start, lines", python_blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_each_python_example_runs_as_written(server, start, lines):
    running, key, work = server
    script = "\n".join(lines).replace(BASE, running.base)
    run = subprocess.run([sys.executable, "-c", script], cwd=work, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "KEY": key, "HOME": str(work)})
    assert run.returncode == 0, f"README line {start}:\n{script}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
