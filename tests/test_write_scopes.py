"""Writers scoped: a key writes and retracts only the reports of its scope, every
write (and refusal) is recorded and shown in the report's history, keys never travel
in URLs or logs, write endpoints answer CORS preflights, and an upload body is whole
or refused."""
import io
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
import zipfile

import pytest

from api import create_app
from api.observability import JSONFormatter
from loaders.load import load_paths
from models import ApiKey, Report, WriteEvent
from models.apikey import Scope, ScopeError
from models.schema import SCHEMA_VERSION
from tests.conftest import SEEDS, seed
from tests.test_api_write import auth, corrected_004
from tests.test_cli import ogi

JINJIANG = "晋江市人民政府"


def issue(name: str, **scope) -> str:
    return ApiKey.issue(name, Scope.make(**scope))[1]


def nanan_004() -> bytes:
    """Seed 004 as another agency's report (南安市人民政府, a city beside 晋江市)."""
    return seed("004").read_text(encoding="utf-8").replace(JINJIANG, "南安市人民政府").encode()


def jinjiang_2020(client) -> list[tuple]:
    return [(r["id"], r["revision"], r["is_current"]) for r in
            client.get("/v1/reports?agency=晋江市人民政府&revisions=all&sort=revision").json["data"]]


# --- scopes --------------------------------------------------------------------------

def test_a_scope_covers_its_agencies_and_the_agencies_in_its_regions():
    scope = Scope.make(agencies=["平潭综合实验区"], regions=["晋江市", "淮安市"])
    assert scope.covers("平潭综合实验区") and scope.covers(JINJIANG) and scope.covers("晋江市安海镇人民政府")
    assert scope.covers("淮安市洪泽区人民政府")  # a region covers the regions inside it
    assert not scope.covers("南安市人民政府") and not scope.covers("国家税务总局")
    assert not Scope.make(regions=["淮安市洪泽区"]).covers("淮安市人民政府")  # not the other way
    assert Scope.make(admin=True).covers("国家税务总局")
    assert not Scope().covers(JINJIANG)  # a key from before scopes: nothing
    assert Scope.loads(scope.dumps()) == scope


@pytest.mark.parametrize("kwargs, why", [
    ({}, "a key needs a scope"),
    ({"regions": ["城市管理局"]}, "not a region"),
    ({"regions": ["晋江市城市管理局"]}, "not a region"),
    ({"agencies": [""]}, "an agency's name"),
])
def test_a_scope_that_says_nothing_or_no_region_is_refused(kwargs, why):
    with pytest.raises(ScopeError, match=why):
        Scope.make(**kwargs)


def test_a_key_uploads_for_its_agency_and_not_for_another(client):
    key = issue("jinjiang-portal", agencies=[JINJIANG])
    stored = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key))
    assert stored.status_code == 201 and stored.json["revision"] == 2

    refused = client.post("/v1/reports?filename=n.txt", data=nanan_004(), headers=auth(key))
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert refused.json["detail"] == ("key 1 (jinjiang-portal) may write agencies 晋江市人民政府; this report is of "
                                      "南安市人民政府 (region 南安市)")
    assert not client.get("/v1/reports?agency=南安市人民政府").json["data"]  # nothing stored
    event = WriteEvent.get(WriteEvent.action == "refused")
    assert (event.actor, event.api_key_id, event.agency_name, event.year, event.report_id) == (
        "jinjiang-portal", 1, "南安市人民政府", 2020, None)


def test_the_bug_another_agency_cannot_make_its_number_current(client):
    """The attack: a key holder uploaded another agency's report with a changed number."""
    key = issue("anhai", agencies=["晋江市安海镇人民政府"])
    before = jinjiang_2020(client)
    response = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key))
    assert response.status_code == 403 and "this report is of 晋江市人民政府" in response.json["detail"]
    assert jinjiang_2020(client) == before
    total = "/v1/aggregates?row=review&column=total&year=2020"
    assert client.get(total).json["data"][0]["value"] == 2  # as printed by the agency
    history = client.get(f"/v1/reports/{before[0][0]}/history").json["data"]
    assert [(e["action"], e["actor"], e["key_id"]) for e in history] == [
        ("created", "operator", None), ("refused", "anhai", 1)]


def test_a_region_key_writes_for_the_agencies_of_its_region(client):
    jinjiang = issue("jinjiang-region", regions=["晋江市"])
    huaian = issue("huaian-region", regions=["淮安市"])
    assert client.post("/v1/reports", data=corrected_004(), headers=auth(huaian)).status_code == 403
    assert client.post("/v1/reports", data=corrected_004(), headers=auth(jinjiang)).status_code == 201
    assert client.post("/v1/reports", data=nanan_004(), headers=auth(jinjiang)).status_code == 403


def test_a_key_from_before_scopes_writes_nothing(client):
    key = ApiKey.issue("old", Scope(admin=True))
    ApiKey.update(scope=None).where(ApiKey.id == key[0].id).execute()
    response = client.post("/v1/reports", data=corrected_004(), headers=auth(key[1]))
    assert response.status_code == 403
    assert response.json["detail"].startswith("key 1 (old) may write nothing (no scope yet: ogi keys scope)")


def test_retracting_what_the_operator_loaded_takes_an_admin_key(client):
    agency_key = issue("jinjiang-portal", agencies=[JINJIANG])
    admin = issue("admin", admin=True)
    operators = client.get("/v1/reports?agency=晋江市人民政府").json["data"][0]["id"]
    refused = client.delete(f"/v1/reports/{operators}", headers=auth(agency_key))
    assert refused.status_code == 403
    assert refused.json["detail"] == (f"report {operators} was not uploaded with a key (the operator loaded it, or it "
                                      "was stored before writes were recorded): only an admin key may retract it")
    assert Report.get_by_id(operators).retracted_at is None

    own = client.post("/v1/reports", data=corrected_004(), headers=auth(agency_key)).json["id"]
    other = issue("anhai", agencies=["晋江市安海镇人民政府"])
    assert client.delete(f"/v1/reports/{own}", headers=auth(other)).status_code == 403  # out of scope
    assert client.delete(f"/v1/reports/{own}", headers=auth(agency_key)).status_code == 204  # its own upload
    assert client.delete(f"/v1/reports/{operators}", headers=auth(admin)).status_code == 204

    history = client.get(f"/v1/reports/{own}/history").json["data"]
    assert [(e["action"], e["actor"], e["report_id"]) for e in history] == [
        ("created", "operator", operators), ("refused", "jinjiang-portal", operators),
        ("revised", "jinjiang-portal", own), ("refused", "anhai", own), ("retracted", "jinjiang-portal", own),
        ("retracted", "admin", operators)]
    assert history == client.get(f"/v1/reports/{operators}/history").json["data"]  # one history per agency-year
    assert history[2]["key_id"] == 1 and history[2]["via"] == "api" and history[0]["via"] == "cli"
    assert "only an admin key" in history[1]["detail"]


def test_the_history_names_keys_never_their_secrets(client):
    key = issue("jinjiang-portal", agencies=[JINJIANG])
    body = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key)).json
    again = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key))
    assert again.status_code == 200
    history = client.get(f"/v1/reports/{body['id']}/history")
    assert history.status_code == 200
    events = history.json["data"]
    assert [e["action"] for e in events] == ["created", "revised", "unchanged"]
    assert events[1] == {"id": events[1]["id"], "at": events[1]["at"], "action": "revised", "actor": "jinjiang-portal",
                         "key_id": 1, "via": "api", "report_id": body["id"], "sha256": body["sha256"],
                         "detail": None}
    assert events[2]["detail"] == f"this file is stored already as report {body['id']}"
    assert history.json["meta"]["total"] == 3
    assert key not in history.get_data(as_text=True) and key[:12] not in history.get_data(as_text=True)
    newest = client.get(f"/v1/reports/{body['id']}/history?sort=-id&limit=1&format=csv").get_data(as_text=True)
    assert newest.splitlines()[0] == "id,at,action,actor,key_id,via,report_id,sha256,detail"
    assert ",unchanged,jinjiang-portal,1,api," in newest
    assert client.get("/v1/reports/999999/history").status_code == 404


def test_operator_loads_are_recorded(db, db_url):
    assert ogi("load", "--quiet", seed("004"), seed("000"), db_url=db_url).returncode == 0
    assert ogi("load", "--quiet", seed("004"), db_url=db_url).returncode == 0
    events = [(e.action, e.actor, e.via, e.api_key_id, e.agency_name)
              for e in WriteEvent.select().order_by(WriteEvent.id)]
    assert events == [("created", "operator", "cli", None, JINJIANG),
                      ("created", "operator", "cli", None, "晋江市城市管理局"),
                      ("unchanged", "operator", "cli", None, JINJIANG)]


def test_keys_cli_scopes(db, db_url):
    made = ogi("keys", "create", "portal", "--agency", JINJIANG, "--region", "淮安市", "--region", "晋江市",
               db_url=db_url)
    assert made.returncode == 0, made.stderr
    assert "it may write: agencies 晋江市人民政府; regions 淮安市, 晋江市" in made.stderr
    assert f"note: no agency named {JINJIANG} is stored yet" in made.stderr
    key = made.stdout.strip().split(": ")[1]
    assert ApiKey.find(key).scoped == Scope(False, (JINJIANG,), ("淮安市", "晋江市"))
    assert ogi("keys", "create", "admin", "--admin", db_url=db_url).returncode == 0
    listed = ogi("keys", "list", db_url=db_url).stdout.splitlines()
    assert listed[0].endswith("may write: agencies 晋江市人民政府; regions 淮安市, 晋江市") and key not in listed[0]
    assert listed[1].endswith("may write: admin (every agency)")

    nothing = ogi("keys", "create", "x", db_url=db_url)
    assert nothing.returncode == 2 and "a key needs a scope: --agency NAME, --region NAME or --admin" in nothing.stderr
    bad = ogi("keys", "create", "x", "--region", "晋江", db_url=db_url)
    assert bad.returncode == 2 and "region '晋江': not a region" in bad.stderr
    assert ApiKey.select().count() == 2

    scoped = ogi("keys", "scope", "2", "--region", "晋江市", db_url=db_url)
    assert scoped.stdout == "key 2 may write: regions 晋江市\n"
    assert ApiKey.get_by_id(2).scoped == Scope(regions=("晋江市",))
    assert ogi("keys", "scope", "9", "--admin", db_url=db_url).returncode == 1


# --- keys never in URLs or logs ------------------------------------------------------

@pytest.fixture
def access_log():
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("ogi")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_a_key_in_the_url_is_refused_and_never_logged(client, access_log):
    key = issue("jinjiang-portal", agencies=[JINJIANG])
    for url in (f"/v1/reports?api_key={key}&filename=c.txt", f"/v1/reports?filename=c.txt&token={key}",
                f"/v1/reports?filename={key}"):
        response = client.post(url, data=corrected_004())
        assert response.status_code == 400 and response.content_type == "application/problem+json"
        assert "send Authorization: Bearer <key>" in response.json["detail"]
    assert client.get(f"/v1/agencies?API_KEY={key}").status_code == 400
    assert client.get(f"/v1/reports/{key}").status_code == 404
    assert Report.select().count() == 5  # nothing stored
    # and with the key in the header, the log names the key by id and name only
    assert client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key)).status_code == 201
    text = "\n".join(access_log)
    assert key not in text and key[:12] not in text and key[4:20] not in text
    requests = [json.loads(line) for line in access_log if '"message": "request"' in line]
    assert requests[0]["query"] == "api_key=[redacted]&filename=c.txt"
    assert requests[1]["query"] == "filename=c.txt&token=[redacted]"
    assert requests[2]["query"] == "filename=[redacted]"
    assert requests[3]["query"] == "API_KEY=[redacted]"
    assert requests[4]["path"] == "/v1/reports/[redacted]"
    uploaded = next(json.loads(line) for line in access_log if '"report uploaded"' in line)
    assert (uploaded["key_id"], uploaded["key_name"]) == (1, "jinjiang-portal")


# --- CORS preflight of the write endpoints -------------------------------------------

@pytest.mark.parametrize("path, method", [("/v1/reports", "POST"), ("/v1/reports/5", "DELETE")])
def test_write_endpoints_answer_a_cors_preflight(client, path, method):
    response = client.options(path, headers={"Origin": "https://portal.example", "Access-Control-Request-Method":
                                             method, "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {"POST", "DELETE"} <= set(response.headers["Access-Control-Allow-Methods"].split(", "))
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}


def test_read_endpoints_still_allow_only_reading(client):
    response = client.options("/v1/agencies", headers={"Origin": "https://portal.example",
                                                       "Access-Control-Request-Method": "GET"})
    assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


# --- a body whole or refused ---------------------------------------------------------

LIMIT = 64 * 1024


@pytest.fixture
def small_limit(db, db_url, tmp_path):
    assert load_paths(SEEDS).failed == 0
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "MAX_CONTENT_LENGTH": LIMIT, "EXPORT_DIR": str(tmp_path / "exports")})
    return app.test_client(), issue("admin", admin=True)


def padded(size: int) -> bytes:
    """Seed 004 corrected, padded with spaces: still a report when cut anywhere past its end."""
    body = corrected_004() + b"\n"
    return body + b" " * (size - len(body))


def chunked(client, body: bytes, key: str, **kwargs):
    return client.post("/v1/reports?filename=big.txt", input_stream=io.BytesIO(body),
                       headers={**auth(key), "Transfer-Encoding": "chunked", **kwargs.pop("headers", {})},
                       environ_overrides={"wsgi.input_terminated": True}, **kwargs)


def test_a_chunked_body_over_the_limit_is_413_not_cut_and_stored(small_limit):
    client, key = small_limit
    response = chunked(client, padded(LIMIT + 10_000), key)
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert response.json["detail"] == ("the upload is larger than the limit of 65,536 bytes (OGI_MAX_UPLOAD_MB): "
                                       "nothing was stored")
    assert chunked(client, padded(LIMIT + 1), key).status_code == 413
    assert Report.select().count() == 5
    assert chunked(client, padded(LIMIT), key).status_code == 201  # at the limit: whole


def test_a_multipart_body_over_the_limit_is_413_however_sent(small_limit):
    client, key = small_limit
    form = {"file": (io.BytesIO(padded(LIMIT + 10_000)), "big.txt")}
    assert client.post("/v1/reports", data=form, headers=auth(key)).status_code == 413  # Content-Length
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + padded(LIMIT + 10_000) + f"\r\n--{boundary}--\r\n".encode()
    response = chunked(client, body, key, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert Report.select().count() == 5


def test_a_body_shorter_than_its_content_length_is_not_stored(small_limit):
    client, key = small_limit
    body = corrected_004()
    for terminated in ({}, {"wsgi.input_terminated": True}):  # as the dev server; as gunicorn
        response = client.post("/v1/reports?filename=c.txt", input_stream=io.BytesIO(body[:-100]), headers=auth(key),
                               environ_overrides={"CONTENT_LENGTH": str(len(body)), **terminated})
        assert response.status_code == 400 and response.content_type == "application/problem+json"
        assert "nothing was stored" in response.json["detail"]
    assert Report.select().count() == 5


def docx_with_broken_xml() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p>unclosed")
    return out.getvalue()


def test_an_upload_the_parser_does_not_survive_is_422_never_500(client):
    key = issue("admin", admin=True)
    response = client.post("/v1/reports?filename=bad.docx", data=docx_with_broken_xml(), headers=auth(key))
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.json["detail"].startswith("upload:bad.docx: ") and "\n" not in response.json["detail"]
    assert Report.select().count() == 5


# --- under gunicorn ------------------------------------------------------------------

def send_chunked(port: int, path: str, key: str, body: bytes, end: bool = True) -> tuple[int, dict]:
    """POST ``body`` with Transfer-Encoding: chunked over a raw socket (``end``: with
    its last chunk; else the body breaks off mid-chunk), and read the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n").encode()

    def send():
        try:
            sock.sendall(head)
            for i in range(0, len(body), 256 * 1024):
                piece = body[i:i + 256 * 1024]
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n" if end else b"100000\r\n" + b"\n" * 1000)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed before taking it all
            pass

    sender = threading.Thread(target=send)
    sender.start()
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    sender.join()
    sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    body_text = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), json.loads(body_text) if body_text else {}


def test_under_gunicorn_a_chunked_body_is_whole_or_refused(tmp_path):
    from tests.test_serve import served

    with served(tmp_path) as running:
        key = ogi("keys", "create", "admin", "--admin", db_url=running.db_url).stdout.strip().split(": ")[1]
        base, port = running.base, running.port
        # the attack: 26 MB, chunked, was cut to the 20 MB limit and stored with 201
        status, problem = send_chunked(port, "/v1/reports?filename=big.txt", key, padded(26 * 1024 * 1024))
        assert status == 413 and "larger than the limit of 20,971,520 bytes" in problem["detail"]
        status, problem = send_chunked(port, "/v1/reports?filename=cut.txt", key, corrected_004(), end=False)
        assert status == 400 and "nothing was stored" in problem["detail"]
        with urllib.request.urlopen(f"{base}/v1/reports?revisions=all", timeout=10) as response:
            assert json.load(response)["meta"]["total"] == 5  # neither stored
        status, report = send_chunked(port, "/v1/reports?filename=c.txt", key, corrected_004())
        assert status == 201 and report["revision"] == 2  # a whole chunked body is stored
        preflight = urllib.request.Request(f"{base}/v1/reports/{report['id']}", method="OPTIONS", headers={
            "Origin": "https://portal.example", "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "Authorization"})
        with urllib.request.urlopen(preflight, timeout=10) as response:
            assert "DELETE" in response.headers["Access-Control-Allow-Methods"]
            assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
        try:
            urllib.request.urlopen(f"{base}/v1/reports?api_key={key}", timeout=10)
            raise AssertionError("expected 400")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and "Authorization: Bearer" in json.load(e)["detail"]
    assert key not in running.output and key[:12] not in running.output  # nor in the server's log


# --- migration -----------------------------------------------------------------------

@pytest.mark.parametrize("version", [5, 6])
def test_a_version_5_or_6_database_gets_scopes_and_a_history(db, db_url, version, tmp_path):
    from playhouse.migrate import SchemaMigrator, migrate

    from loaders.store import retract_report
    from models import Meta, database, open_database

    (tmp_path / "004-corrected.txt").write_bytes(corrected_004())
    assert load_paths([*SEEDS, tmp_path / "004-corrected.txt"]).failed == 0
    key = issue("portal", admin=True)
    retract_report(Report.get(Report.revision == 2))
    # as the database was: no write_event, no api_key.scope
    database.drop_tables([WriteEvent])
    migrate(SchemaMigrator.from_database(database).drop_column("api_key", "scope"))
    Meta.update(value=str(version)).where(Meta.key == "schema_version").execute()

    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(SCHEMA_VERSION)
    assert ApiKey.find(key).scope is None and ApiKey.find(key).scoped == Scope()  # writes nothing until scoped
    events = [(e.action, e.actor, e.via, e.api_key_id, e.report_id)
              for e in WriteEvent.select().order_by(WriteEvent.id)]
    revised = Report.get(Report.revision == 2).id
    assert events == [("created", "unrecorded", "unknown", None, r.id)
                      for r in Report.select().where(Report.revision == 1).order_by(Report.loaded_at, Report.id)
                      ] + [("revised", "unrecorded", "unknown", None, revised),
                           ("retracted", "unrecorded", "unknown", None, revised)]
    assert WriteEvent.get(WriteEvent.report == revised, WriteEvent.action == "retracted").at \
        == Report.get_by_id(revised).retracted_at


# --- found in review ---------------------------------------------------------------------

def test_a_scope_matches_names_as_the_loader_reads_them():
    """Names typed by a person are folded as parsed names are (width, white space)."""
    scope = Scope.make(agencies=["南安市 财政局", "晋江市人民政府办公室（挂牌）"], regions=[" 淮安市"])
    assert scope.covers("南安市财政局") and scope.covers("晋江市人民政府办公室(挂牌)")
    assert scope.covers("淮安市洪泽区人民政府")


def test_a_key_that_may_write_nothing_is_refused_before_the_file_is_read(client):
    key = ApiKey.issue("old", Scope())[1]  # as a key from before scopes is
    refused = client.post("/v1/reports?filename=c.txt", data=corrected_004(), headers=auth(key))
    assert refused.status_code == 403 and "may write nothing" in refused.json["detail"]
    assert "the upload was not read" in refused.json["detail"]
    assert WriteEvent.get(WriteEvent.action == "refused").actor == "old"


def test_names_longer_than_any_agency_are_refused_in_one_line_on_both_databases(client):
    """PostgreSQL enforces column lengths: an absurd name or address must be a 422
    (or left out), never a 500."""
    key = issue("admin", admin=True)
    long_name = seed("004").read_text(encoding="utf-8").replace(JINJIANG, "南安市" * 41 + "财政局").encode()
    refused = client.post("/v1/reports?filename=long.txt", data=long_name, headers=auth(key))
    assert refused.status_code == 422 and "no agency's is over 100" in refused.json["detail"]
    long_mail = seed("004").read_text(encoding="utf-8").replace(
        "二、", "电子邮箱：" + "a" * 300 + "@example.org\n二、", 1).encode()
    stored = client.post("/v1/reports?filename=mail.txt", data=long_mail, headers=auth(key))
    assert stored.status_code in (200, 201), stored.json
    assert (stored.json.get("contact") or {}).get("email") is None


def test_a_retraction_waits_for_another_writer_on_sqlite(db, db_url, tmp_path):
    """A writer that read first could not take SQLite's write lock once another writer
    had committed (SQLITE_BUSY at once): writers take the lock first, and wait."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    import sqlite3
    import time

    from loaders.store import retract_report

    assert load_paths(SEEDS).failed == 0
    report = Report.get(Report.year == 2020)
    other = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE meta SET value = value WHERE key = 'data_version'")

    def commit_later():
        time.sleep(0.5)
        other.execute("COMMIT")

    writer = threading.Thread(target=commit_later)
    writer.start()
    try:
        assert retract_report(report).retracted_at is not None
    finally:
        writer.join()
        other.close()
