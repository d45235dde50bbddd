"""The /v1 REST API: ``create_app()`` builds it; ``gunicorn 'api:create_app()'`` serves it."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, request, send_from_directory
from flask_cors import CORS
from peewee import InterfaceError, OperationalError, SqliteDatabase

from api import auth, caching, compression, errors, explorer, jsonstat, limits, metrics, negotiation, observability
from api.base import Api, JSONProvider  # Decimals as exact JSON numbers
from loaders import uploads
from models import database, default_url, ensure_schema
from models.db import make_database

API_VERSION = "1.0.0"
# POST /v1/cells/query is a read with its filters in a JSON body: any page may send it (no key)
QUERY_CORS = {"origins": "*", "methods": ["POST", "OPTIONS"], "allow_headers": ["Content-Type", "X-Request-ID"],
              "expose_headers": ["Link", "X-Total-Count", "X-Request-ID"], "max_age": 600}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL") or default_url(),
        CACHE_MAX_AGE=int(os.environ.get("OGI_CACHE_MAX_AGE", "60")),
        RESPONSE_CACHE_MB=float(os.environ.get("OGI_RESPONSE_CACHE_MB", "64")),  # answers kept a process (0: none)
        MAX_CONTENT_LENGTH=int(os.environ.get("OGI_MAX_UPLOAD_MB", "20")) * 1024 * 1024,  # larger: 413
        UPLOAD_SYNC_MAX_BYTES=uploads.sync_max_bytes(),  # a larger upload (or one with images) is a job: 202
        JOBS_IN_PROCESS=os.environ.get("OGI_JOBS_IN_PROCESS", "1") != "0",  # a worker thread in each web process
        QUERY_TIMEOUT_MS=int(os.environ.get("OGI_QUERY_TIMEOUT_MS", "10000")),
        EXPORT_DIR=str(Path(os.environ.get("OGI_EXPORT_DIR")
                            or Path(os.environ.get("OGI_DATA_DIR", "data")) / "exports").resolve()),
        BASE_URL=os.environ.get("OGI_BASE_URL"),  # as users reach it (catalogs' links); default: the request's
        PUBLISHER=os.environ.get("OGI_PUBLISHER", "ogi-api"),
        CONTACT_EMAIL=os.environ.get("OGI_CONTACT_EMAIL", "opendata@localhost"),
        ROLLUPS=True,  # national aggregates from cell_rollup (False: always from the cells)
        API_TITLE="ogi-api",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/static/",
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None, "deepLinking": True},  # nothing fetched from outside
        API_SPEC_OPTIONS={"info": {"description": (
            "China's government information disclosure annual reports (政府信息公开工作年度报告) as open "
            "data: agencies, reports, every printed number as a cell, findings and prose. Keys of tables, "
            "rows and columns are those of /v1/codebook. Errors are RFC 9457 problem details.")}},
    )
    if config:
        app.config.update(config)

    observability.init_app(app)
    metrics.init_app(app)
    app.before_request(errors.refuse_nul_bytes)
    app.before_request(auth.refuse_keys_in_url)
    negotiation.init_app(app)  # an Accept it cannot serve: 406, before the database is asked
    init_db(app)
    limits.init_app(app)
    caching.init_response_cache(app)  # its after_request runs after compression's, before the limiter's
    compression.init_app(app)  # its after_request runs after caching's: an ETag per encoding
    caching.init_app(app)
    CORS(app, resources={r"/v1/*": {"origins": "*"}, auth.WRITE_PATHS: auth.WRITE_CORS,
                         r"^/v1/cells/query$": QUERY_CORS},
         methods=["GET", "HEAD", "OPTIONS"], send_wildcard=True,
         expose_headers=["ETag", "Link", "X-Total-Count", "Content-Disposition", "Retry-After"])

    api = Api(app, spec_kwargs={"extra_plugins": [jsonstat.OpenAPIPlugin(), negotiation.OpenAPIPlugin()]})
    api.spec.components.security_scheme("bearerAuth", auth.SCHEME)
    from api.v1 import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    explorer.init_app(app)
    errors.init_app(app)  # after flask-smorest, whose own HTTPException handler this one replaces
    init_docs(app)
    app.extensions["ogi_api"] = api
    if app.config["JOBS_IN_PROCESS"] and ":memory:" not in app.config["DATABASE_URL"]:
        uploads.start_if_waiting()  # jobs left by a process that stopped (or is gone): this one takes them
    return app


def init_db(app: Flask) -> None:
    """Bind the models to the app's database and connect for each request.

    A SQLite connection stays open in its worker between requests (opening one costs
    more than most queries: see benchmarks/README.md); a server database's connection
    is closed after each request (a pool's goes back to the pool). A GET or HEAD reads in
    one read-only transaction, from its ETag to the end of its body (``api.caching``). The app starts
    even when the database does not answer: it serves 503 until it does, and creates
    or migrates the schema then."""
    db = make_database(app.config["DATABASE_URL"], app.config["QUERY_TIMEOUT_MS"])
    app.extensions["ogi_db"] = db
    keep_open = isinstance(db, SqliteDatabase)
    deadline = limits.SqliteDeadline(app.config["QUERY_TIMEOUT_MS"] / 1000) if keep_open else None
    state = {"schema": False}

    def bind() -> None:
        database.initialize(db)  # this app's database, even beside another app in one process
        if not state["schema"]:
            with db.connection_context():
                ensure_schema()
            state["schema"] = True

    try:
        bind()
    except (OperationalError, InterfaceError) as e:
        logging.getLogger("ogi").warning("database not ready at start: %s", e)

    @app.before_request
    def connect():
        if request.endpoint in observability.NO_DATABASE:
            database.initialize(db)
            return
        bind()
        database.connect(reuse_if_open=True)
        if deadline:
            deadline.start(database.connection())
        if caching.reads_in_snapshot():
            caching.begin_snapshot()  # a GET reads in one snapshot: its ETag and its body agree

    @app.teardown_request
    def end_snapshot(_exc):  # after the response is sent (a streamed one too), before close
        caching.end_snapshot()

    @app.teardown_appcontext
    def close(_exc):
        if not keep_open and not database.is_closed() and not caching.body_streaming():  # a body ends it
            database.close()


def init_docs(app: Flask) -> None:
    """Swagger UI 5 (which reads OpenAPI 3.1) at /docs: flask-smorest's page, with the
    files the flask-swagger-ui package ships (its ``dist`` folder: Swagger UI's own
    build, Apache-2.0), served from here: no CDN, works offline."""
    import flask_swagger_ui

    swagger_ui_path = Path(flask_swagger_ui.__file__).parent / "dist"

    @app.route("/docs/static/<path:filename>")
    def swagger_ui_static(filename):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)


def openapi_document() -> dict:
    """The OpenAPI document, made from the app's schemas (no database needed)."""
    app = create_app({"DATABASE_URL": "sqlite:///:memory:"})
    return app.extensions["ogi_api"].spec.to_dict()


def openapi_yaml() -> str:
    import yaml

    header = "# Generated by `ogi openapi -o openapi.yaml` from the app's schemas; a test keeps it current.\n"
    return header + yaml.safe_dump(openapi_document(), allow_unicode=True, sort_keys=False, width=120)
