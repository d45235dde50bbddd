"""``ogi serve``: gunicorn serving the API over real HTTP on loopback."""
import json
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.conftest import FIXTURES
from tests.test_cli import OGI, ogi


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            assert time.monotonic() < deadline, f"{url} did not answer within {seconds} s"
            time.sleep(0.2)


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    port: int
    db_url: str
    output: str = ""  # what the server printed, once it has stopped


@contextmanager
def served(tmp_path, workers: int = 1, ready: str = "/healthz") -> Iterator[Served]:
    """``ogi serve`` over the seeds loaded into a new SQLite file, answering; stopped
    (SIGTERM) on the way out, its output kept."""
    url = f"sqlite:///{tmp_path / 'ogi.sqlite3'}"
    assert ogi("load", "--quiet", FIXTURES / "seeds", db_url=url).returncode == 0
    port = free_port()
    server = subprocess.Popen([OGI, "serve", "--port", str(port), "--workers", str(workers), "--db", url],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    running = Served(f"http://127.0.0.1:{port}", port, url)
    try:
        wait_for(running.base + ready)
        yield running
    finally:
        server.send_signal(signal.SIGTERM)
        running.output = server.communicate(timeout=30)[0].decode()


def test_ogi_serve_answers_over_http(tmp_path):
    with served(tmp_path, workers=2, ready="/v1/codebook") as running:
        base = running.base
        with urllib.request.urlopen(f"{base}/v1/agencies?year=2020", timeout=5) as response:
            body = json.load(response)
            etag = response.headers["ETag"]
        assert [a["name"] for a in body["data"]] == ["晋江市人民政府"]
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:  # summed over the workers
            assert 'ogi_http_requests_total{endpoint="agencies.list_agencies",method="GET",status="200"} 1.0' \
                in response.read().decode()
        request = urllib.request.Request(f"{base}/v1/agencies?year=2020", headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("expected 304")
        except urllib.error.HTTPError as e:
            assert e.code == 304
