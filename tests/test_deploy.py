"""Deployment files: Docker cannot run here, so the files are checked for what they
must hold, and deploy/local.sh — what docker-compose.yml does, without Docker — is run."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_runs_as_a_user_with_a_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "\nUSER ogi\n" in text and "useradd" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "COPY setup.cfg setup.py" in text and "gcc" in text  # the PDFium loops in C are built at install
    assert 'CMD ["gunicorn", "-c", "python:api.gunicorn_conf", "api:create_app()"]' in text


def test_compose_has_the_app_postgresql_a_jobs_worker_and_a_one_shot_loader():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "app", "jobs", "scheduler", "worker", "loader"}
    assert services["jobs"]["command"] == ["ogi", "jobs", "work"]
    assert services["app"]["environment"]["OGI_JOBS_IN_PROCESS"] == "0"  # web workers never parse a job
    assert services["db"]["image"] == "postgres:15" and "healthcheck" in services["db"]
    assert services["app"]["environment"]["DATABASE_URL"].startswith("postgresql+pool://")
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["loader"]["command"][:2] == ["ogi", "load"] and services["loader"]["restart"] == "no"


def test_compose_parses_on_a_dask_scheduler_and_workers_that_the_loader_uses():
    """``docker compose up --scale worker=N``: the workers and the loader find the
    scheduler by its service name and port, run the image's own dask and ogi (setup.cfg
    installs both), and the loader waits for the scheduler's health."""
    import configparser
    import shlex

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    scheduler, worker, loader = services["scheduler"], services["worker"], services["loader"]
    assert scheduler["command"][:2] == ["dask", "scheduler"]
    flags = dict(zip(scheduler["command"][2::2], scheduler["command"][3::2], strict=True))
    port = flags["--port"]
    address = f"tcp://scheduler:{port}"
    assert port in scheduler["expose"] and flags["--host"] == "0.0.0.0"
    health = " ".join(scheduler["healthcheck"]["test"])
    assert f":{flags['--dashboard-address'].rsplit(':', 1)[1]}/health" in health  # the scheduler's own HTTP /health
    assert worker["command"][:3] == ["dask", "worker", address]
    assert "container_name" not in worker and "ports" not in worker  # --scale needs neither a name nor a host port
    options = worker["command"][3:]
    assert options[options.index("--nthreads") + 1] == "1" and options[options.index("--nworkers") + 1] == "1"
    assert options[options.index("--preload") + 1] == "loaders.cluster"
    assert worker["depends_on"]["scheduler"]["condition"] == "service_healthy"
    assert loader["environment"]["OGI_CLUSTER"] == address
    assert loader["depends_on"]["scheduler"]["condition"] == "service_healthy"
    assert all(services[name]["build"] == services["app"]["build"] for name in ("scheduler", "worker", "loader"))
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    required = {shlex.split(line)[0].split(">")[0].split("=")[0].split("<")[0].lower()
                for line in cfg["options"]["install_requires"].splitlines() if line and not line.startswith("#")}
    assert {"dask", "distributed"} <= required  # the image's pip install . brings the dask command
    # the command line the loader runs takes the address from OGI_CLUSTER
    from click.testing import CliRunner

    from loaders.cli import main

    assert "$OGI_CLUSTER" in CliRunner().invoke(main, ["load", "--help"]).output


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    import importlib

    import api.gunicorn_conf as conf

    monkeypatch.setenv("OGI_BIND", "127.0.0.1:9999")
    monkeypatch.setenv("OGI_WORKERS", "3")
    conf = importlib.reload(conf)
    assert (conf.bind, conf.workers, conf.accesslog) == ("127.0.0.1:9999", 3, None)


@pytest.mark.skipif(not POSTGRES_URL or not shutil.which("gunicorn", path=os.path.dirname(os.sys.executable)),
                    reason="needs PostgreSQL (CI)")
def test_local_deployment_serves_the_loaded_reports():
    env = {**os.environ, "PATH": f"{os.path.dirname(os.sys.executable)}:{os.environ['PATH']}"}
    run = subprocess.run(["bash", str(ROOT / "deploy" / "local.sh"), str(FIXTURES / "seeds"), "18765", "--check"],
                         capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()  # the app's JSON log lines come among them
    assert "ready: http://127.0.0.1:18765/v1/" in lines and "5 agencies" in lines
