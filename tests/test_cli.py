"""The ``ogi`` command, run as a user runs it."""
import json
import os
import subprocess
import sys
from pathlib import Path

from models import SCHEMA_VERSION, Report
from tests.conftest import FIXTURES, seed

OGI = str(Path(sys.executable).with_name("ogi"))


def ogi(*args, db_url=None):
    env = dict(os.environ)
    if db_url:
        env["DATABASE_URL"] = db_url
    return subprocess.run([OGI, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def test_parse_prints_the_report_document():
    run = ogi("parse", seed("004"))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert (doc["agency"], doc["year"], doc["layout"]) == ({"name": "晋江市人民政府"}, 2020, "2019")
    assert len(doc["cells"]) == 198
    assert [f["rule"] for f in doc["findings"]] == ["parse.ambiguous", "requests.row_total"]


def test_parse_explain_shows_where_each_cell_was_read():
    run = ogi("parse", "--explain", seed("003"))
    assert run.returncode == 0, run.stderr
    assert "agency    晋江市安海镇人民政府    year 2023    layout 2019" in run.stdout
    assert "not_processed.publication [prefix]" in run.stdout
    assert "requests/new_received/natural_person" in run.stdout and "raw '1' at line 111" in run.stdout


def test_parse_failure_is_one_line_on_stderr(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    run = ogi("parse", empty)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr == f"error: {empty}: content: the file is empty\n"


def test_parse_runs_under_the_time_limit(tmp_path):
    """ogi parse parses in a child process under the limits, as ogi load does: a parse
    that outlives the time limit is stopped with one line naming the limit."""
    env = dict(os.environ, OGI_MAX_SECONDS="0.001")
    run = subprocess.run([OGI, "parse", str(seed("004"))], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith(f"error: {seed('004')}: file: time limit of ") and "OGI_MAX_SECONDS" in run.stderr
    assert len(run.stderr.splitlines()) == 1


def test_load_reports_each_file_and_a_summary(db, db_url, tmp_path):
    run = ogi("load", FIXTURES / "seeds", db_url=db_url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == (
        "5 files: 5 loaded, 0 unchanged, 0 revised, 0 failed; 11 findings in the files stored")
    assert Report.select().count() == 5

    again = ogi("load", FIXTURES / "seeds", db_url=db_url)
    assert again.returncode == 0
    assert again.stdout.count("unchanged") == 6  # five files and the summary
    assert again.stdout.splitlines()[-1].startswith("5 files: 0 loaded, 5 unchanged")


def test_load_exit_status_is_1_when_a_file_fails(db, db_url, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    run = ogi("load", "--quiet", seed("001"), bad, db_url=db_url)
    assert run.returncode == 1
    assert run.stderr == f"failed     {bad}: content: binary content that is not a text report\n"
    assert run.stdout == "2 files: 1 loaded, 0 unchanged, 0 revised, 1 failed; 0 findings in the files stored\n"
    assert Report.select().count() == 1


def test_init_creates_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'ogi.sqlite3'}"
    run = ogi("init", "--db", url)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"database ready: {url} (schema version {SCHEMA_VERSION})\n"
    assert (tmp_path / "new" / "ogi.sqlite3").exists()


def test_rebuild_rollups(db, db_url):
    assert ogi("load", "--quiet", "--jobs", "2", FIXTURES / "seeds", db_url=db_url).returncode == 0
    run = ogi("rebuild-rollups", db_url=db_url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("cell_rollup rebuilt: ") and int(run.stdout.split()[-2]) > 100


def test_a_picture_a_page_shows_is_not_a_report_of_its_own(tmp_path):
    """find_files leaves out the pictures a page shows, whatever the quoting of its src:
    a quoted name with a space ("表 1.png") is the whole name, not "表"."""
    from loaders.load import find_files

    for name in ("表 1.png", "t2.png", "t3.png", "t4 a&b.png"):
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "report.html").write_text(
        '<html><body><img src="表 1.png"><img src=\'t2.png\'><img src=t3.png>'
        '<img alt="x" src="t4 a&amp;b.png"></body></html>', encoding="utf-8")
    assert [p.name for p in find_files([tmp_path])] == ["report.html"]
