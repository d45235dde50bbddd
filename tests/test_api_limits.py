"""Limits: requests per client (429 problem with RateLimit headers) and time per query
(a problem, never a hung worker)."""
import pytest
from peewee import OperationalError

from api import create_app
from api.limits import timed_out
from models.db import make_database
from tests.conftest import POSTGRES_URL


def test_too_many_requests_is_a_429_problem(app, db_url):
    client = create_app({"DATABASE_URL": db_url, "RATELIMIT_DEFAULT": "3 per day"}).test_client()
    responses = [client.get("/v1/codebook") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0].headers["RateLimit-Limit"] == "3" and responses[1].headers["RateLimit-Remaining"] == "1"
    limited = responses[3]
    assert limited.content_type == "application/problem+json" and limited.json["status"] == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Retry-After only where a client should wait: not on the answers within the limit
    assert all("Retry-After" not in r.headers and "X-Ogi-Window-Retry-After" not in r.headers
               for r in responses[:3])
    assert client.get("/healthz").status_code == 200  # health is not limited


def test_a_views_own_retry_after_is_kept(app, db_url):
    client = create_app({"DATABASE_URL": db_url, "RATELIMIT_DEFAULT": "100 per day",
                         "QUERY_TIMEOUT_MS": 0}).test_client()
    response = client.get("/v1/aggregates?group_by=agency,row,column&metric=max")
    if db_url.startswith("sqlite"):  # a query past its time: asking again at once is as good as later
        assert response.status_code == 503 and "Retry-After" not in response.headers
    job_like = client.get("/v1/jobs/" + "0" * 32)
    assert job_like.status_code == 404 and "Retry-After" not in job_like.headers
    missing = client.get("/v1/reports/999999")
    assert missing.status_code == 404 and "Retry-After" not in missing.headers


def test_a_query_over_the_time_limit_is_a_problem_on_sqlite(app, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the SQLite progress handler")
    client = create_app({"DATABASE_URL": db_url, "QUERY_TIMEOUT_MS": 0, "RATELIMIT_ENABLED": False}).test_client()
    response = client.get("/v1/aggregates?group_by=agency,row,column&metric=max")
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert response.json["detail"].startswith("the query took longer than 0 s")
    assert client.get("/healthz").status_code == 200


@pytest.mark.skipif(not POSTGRES_URL, reason="needs OGI_TEST_POSTGRES_URL")
def test_postgresql_statements_are_cut_off():
    db = make_database(POSTGRES_URL, statement_timeout_ms=50)
    with pytest.raises(OperationalError) as e:
        db.execute_sql("SELECT pg_sleep(2)")
    assert timed_out(e.value)
    db.close()
