"""gunicorn settings, from the environment (``gunicorn -c python:api.gunicorn_conf``).

OGI_BIND (default 0.0.0.0:8000), OGI_WORKERS (default 2 × cores + 1, at most 9),
OGI_WORKER_CLASS (default api.worker.ProblemSyncWorker: one request at a time, the
connection closed after it; api.worker.ProblemThreadWorker keeps connections open,
OGI_THREADS of them served at once, default 1),
OGI_TIMEOUT (seconds a request may take before its worker is replaced, default 30;
keep it above OGI_QUERY_TIMEOUT_MS), OGI_MAX_REQUESTS (a worker is recycled after
this many requests, with jitter; default 10000). The app writes its own JSON access
log, so gunicorn's is off.

What gunicorn itself refuses (a request line with raw non-ASCII bytes, one longer than
``limit_request_line``, a bad header) is answered as problem+json by the worker class
(api/worker.py), like the app's own errors. The request line may be as long as gunicorn
allows (8190 bytes: some 60 percent-encoded Chinese agency names); a header field up to
16 KiB.

Prometheus: with PROMETHEUS_MULTIPROC_DIR set before gunicorn starts (``ogi serve``
and the Dockerfile set it), the workers count in that folder and /metrics sums them;
it is emptied when gunicorn starts. Without it each worker reports its own counts."""
import glob
import os

bind = os.environ.get("OGI_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("OGI_WORKERS", min(2 * (os.cpu_count() or 1) + 1, 9)))
timeout = int(os.environ.get("OGI_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("OGI_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
worker_class = os.environ.get("OGI_WORKER_CLASS", "api.worker.ProblemSyncWorker")
threads = int(os.environ.get("OGI_THREADS", "1"))  # with api.worker.ProblemThreadWorker
limit_request_line = 8190  # gunicorn's maximum (0 would be unlimited)
limit_request_fields = 100
limit_request_field_size = 16384
forwarded_allow_ips = os.environ.get("OGI_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.remove(stale)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Start the worker's parse server now (uploads are parsed in a child process under
    time and memory limits, forked from it), so the first upload does not wait for the
    parsers to be imported."""
    from api import streaming
    from loaders.bounded import prepare

    prepare()
    streaming.heartbeat = worker.notify  # a long streamed body keeps its worker alive


def worker_exit(server, worker):
    """A worker ending (recycled after OGI_MAX_REQUESTS, or stopped): the upload job its
    thread runs goes back to the queue, not failed when its parse child ends with it."""
    from loaders.uploads import leaving

    leaving()
