"""Prometheus metrics at ``/metrics``: requests by endpoint and status, and their
durations. Under gunicorn every worker counts in a shared folder
(``PROMETHEUS_MULTIPROC_DIR``, which api/gunicorn_conf.py sets up), and a scrape sums
them all."""
from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter("ogi_http_requests", "HTTP requests answered", ["method", "endpoint", "status"])
DURATION = Histogram("ogi_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "endpoint"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def observe(method: str, endpoint: str | None, status: int, started: float) -> None:
    """Count one answered request and its duration since ``started``."""
    endpoint = endpoint or "unknown"  # a route, not the raw path: bounded labels
    REQUESTS.labels(method, endpoint, str(status)).inc()
    DURATION.labels(method, endpoint).observe(time.perf_counter() - started)


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        observe(request.method, request.endpoint, response.status_code, g.get("metrics_started", time.perf_counter()))
        return response

    @app.route("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            body = generate_latest(registry)
        else:
            body = generate_latest()
        return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
