"""The database: chosen by ``DATABASE_URL``, shared by every model through a proxy.

SQLite (the embedded default) gets WAL and foreign keys; PostgreSQL is used as is.
The schema carries a version number in the ``meta`` table so that a later change can
migrate a database that already holds data (see ``MIGRATIONS``).
"""
from __future__ import annotations

import os
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect as connect_url

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -64 * 1024,  # 64 MiB
    "busy_timeout": 10_000,
}


def default_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file in the data folder (``OGI_DATA_DIR``, default ./data)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    data_dir = Path(os.environ.get("OGI_DATA_DIR", "data"))
    return f"sqlite:///{data_dir / 'ogi.sqlite3'}"


def make_database(url: str | None = None, statement_timeout_ms: int | None = None):
    """The database object for ``url`` (default: ``default_url()``), not yet connected.
    ``statement_timeout_ms`` limits each statement on PostgreSQL (the API sets it)."""
    url = url or default_url()
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        return connect_url(url, pragmas=SQLITE_PRAGMAS)
    if statement_timeout_ms:
        return connect_url(url, options=f"-c statement_timeout={int(statement_timeout_ms)}")
    return connect_url(url)


def open_database(url: str | None = None):
    """Open the database at ``url``, bind the models to it, create or migrate the
    schema, and return it."""
    db = make_database(url)
    database.initialize(db)
    from models.schema import ensure_schema

    with db.connection_context():
        ensure_schema()
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)
