"""Fixtures: the seed reports and their goldens (copied from the shared contract into
tests/fixtures/), and a real database per test.

The ``db`` fixture runs each test against SQLite, and also against PostgreSQL when
``OGI_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one and sets it)."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from playhouse.db_url import connect as connect_url

from models import MODELS, database, open_database

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
CORPUS = sorted(p for p in (FIXTURES / "corpus").iterdir() if p.is_file())
POSTGRES_URL = os.environ.get("OGI_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def seed(name: str) -> Path:
    """A seed by its number prefix, e.g. seed("004")."""
    return next(p for p in SEEDS if p.name.startswith(name))


def golden_path(source: Path) -> Path:
    folder = FIXTURES / "corpus" / "golden" if source.parent.name == "corpus" else FIXTURES / "golden"
    return folder / f"{source.stem}.json"


def _check_golden_module():
    spec = importlib.util.spec_from_file_location("check_golden", FIXTURES / "check_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_golden = _check_golden_module()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return POSTGRES_URL


@pytest.fixture
def db(db_url):
    """A fresh, empty database at ``db_url``, bound to the models."""
    if db_url.startswith("postgresql"):  # one server for the session: empty it first
        with connect_url(db_url) as raw:
            database.initialize(raw)
            # a streamed response an earlier test dropped unread keeps its read transaction
            # open (the test client never closes a response; a server always does): end it
            raw.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid() AND state = 'idle in transaction'")
            database.drop_tables(MODELS, cascade=True)
    connection = open_database(db_url)
    connection.connect(reuse_if_open=True)
    yield connection
    if not connection.is_closed():
        if connection.in_transaction():  # a streamed body the in-process test client never closed
            connection.rollback()
            connection._state.transactions.clear()
        connection.close()


@pytest.fixture
def app(db, db_url, tmp_path):
    """The API over a database holding the five seed reports (pytest-flask's ``client``
    fixture uses it)."""
    from api import create_app
    from loaders.load import load_paths

    assert load_paths(SEEDS).failed == 0
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    app.test_client_class = ClosingClient
    return app


class ClosingClient(FlaskClient):
    """The test client, closing each response before the next request, as a server
    does (a streamed body holds its read transaction until it is closed)."""

    def open(self, *args, **kwargs):
        last = getattr(self, "_last_response", None)
        if last is not None:
            last.close()
        self._last_response = response = super().open(*args, **kwargs)
        return response
