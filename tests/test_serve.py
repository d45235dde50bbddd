"""``ogi serve``: gunicorn serving the API over real HTTP on loopback."""
import json
import signal
import socket
import subprocess
import time
import urllib.parse
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


def raw_request(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as it is over a socket; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_what_gunicorn_refuses_is_problem_json(tmp_path):
    with served(tmp_path) as running:
        port = running.port
        refused = {
            "raw UTF-8": ("GET /v1/cells?agency=晋江市人民政府 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400),
            "too long": (f"GET /v1/cells?q={'a' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 414),
            "bad header": (b"GET /v1/cells HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
            "header too large": (b"GET /v1/cells HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
        }
        for name, (request, expected) in refused.items():
            status, headers, body = raw_request(port, request)
            assert (status, headers["content-type"]) == (expected, "application/problem+json"), name
            problem = json.loads(body)
            assert problem["status"] == expected and problem["type"] == "about:blank", name
            assert problem["title"] and problem["detail"], name
            assert b"<" not in body and int(headers["content-length"]) == len(body), name
        problem = json.loads(raw_request(port, refused["raw UTF-8"][0])[2])
        assert "percent-encoded" in problem["detail"] and "%E6%99%8B" in problem["detail"]
        # what gunicorn lets through is the app's: a URL of 60 percent-encoded Chinese names reaches Flask
        names = [f"晋江市第{n}街道办事处" for n in range(60)] + ["晋江市人民政府"]
        query = "&".join("agency=" + urllib.parse.quote(name) for name in names)
        request = f"GET /v1/reports?{query}&limit=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        assert 4094 < len(request) < 8190  # over gunicorn's default limit, under the one set
        status, headers, body = raw_request(port, request)
        assert status == 200 or headers["content-type"] == "application/problem+json", body[:300]
        assert headers["content-type"].startswith("application/") and b"<html" not in body


def test_gunicorn_sends_compressed_streams_chunked(tmp_path):
    import gzip

    with served(tmp_path) as running:
        url = f"{running.base}/v1/bulk/cells.csv"
        with urllib.request.urlopen(url, timeout=10) as response:
            plain = response.read()
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert response.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in response.headers
            assert "Accept-Encoding" in response.headers["Vary"]
            packed = response.read()
        assert gzip.decompress(packed) == plain and len(packed) < len(plain) / 5
