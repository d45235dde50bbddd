"""Scale-out: two stateless app instances on one PostgreSQL give the same answers,
and both see a load made while they run. Runs when OGI_TEST_POSTGRES_URL names a
server (CI starts one)."""
import json
import subprocess
import urllib.request
from urllib.parse import quote

import pytest

from loaders.load import load_paths
from tests.conftest import POSTGRES_URL, SEEDS, seed
from tests.test_cli import OGI
from tests.test_serve import free_port, wait_for

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs OGI_TEST_POSTGRES_URL")
PATHS = ["/v1/agencies", "/v1/reports?sort=year", "/v1/cells?year=2020&row=granted",
         "/v1/aggregates?group_by=year&row=new_received&column=total", "/v1/findings", "/v1/codebook"]


def get(base: str, path: str) -> tuple[dict, str]:
    with urllib.request.urlopen(base + quote(path, safe="/?&=,"), timeout=10) as response:
        return json.load(response), response.headers["ETag"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_instances_on_one_database(db, db_url):
    assert load_paths(SEEDS[:4]).failed == 0
    ports = [free_port(), free_port()]
    urls = [db_url, db_url.replace("postgresql://", "postgresql+pool://", 1)]  # one with pooled connections
    servers = [subprocess.Popen([OGI, "serve", "--port", str(port), "--workers", "2", "--db", url],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for port, url in zip(ports, urls, strict=True)]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base in bases:
            wait_for(base + "/v1/codebook")
        for path in PATHS:
            (a, etag_a), (b, etag_b) = (get(base, path) for base in bases)
            assert a == b and etag_a == etag_b, path
        before = get(bases[0], "/v1/agencies")[0]["meta"]["total"]
        assert load_paths([seed("004")]).counts == {"loaded": 1}  # a load while both serve
        for base in bases:
            assert get(base, "/v1/agencies")[0]["meta"]["total"] == before + 1
            assert get(base, "/v1/cells?agency=晋江市人民政府&year=2020&row=granted&column=total")[0]["data"][0][
                "value"] == 142
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
