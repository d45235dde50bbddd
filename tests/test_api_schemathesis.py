"""Property-based tests of the API against its own OpenAPI document (schemathesis):
whatever the generated request, no 5xx and no response that breaks its schema.

CI runs a fixed (derandomised) set of examples, so a landing never hangs on luck;
a developer's run explores new ones each time."""
import os
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
)

from api import create_app
from loaders.load import load_paths
from models import open_database
from tests.conftest import SEEDS


def _app():
    """The app over a SQLite file holding the seeds (made at collection: schemathesis
    reads the schema then)."""
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ogi-schemathesis-')}/api.sqlite3"
    open_database(url)
    assert load_paths(SEEDS).failed == 0
    return create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})


schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case):
    # A query string has no types: a "negative" example such as agency={'': []} is a
    # valid string to the API. Bad values are refused by the tests in test_api_errors.
    excluded = [negative_data_rejection]
    if case.operation.path in ("/v1/aggregates", "/v1/indicators", "/v1/bulk/{name}.csv", "/v1/bulk/{name}.ndjson"):
        # sort must name a field that group_by selects, and a bulk file chosen by year
        # must be one of reports: rules between two parameters that OpenAPI cannot
        # state, so a schema-valid request may rightly get a 400.
        excluded.append(positive_data_acceptance)
    given = {**(case.query or {}), **(case.body if isinstance(case.body, dict) else {})}
    if "cursor" in given or "fields" in given and given.get("format") == "jsonstat":
        # a cursor is made by the API (one a generator makes up is a 400, as a tampered one is),
        # and cursor paging takes neither sort nor offset; fields do not apply to JSON-stat
        excluded.append(positive_data_acceptance)
    if "fields" in given:  # only the fields named: the record schema's required fields are the full record's
        excluded.append(response_schema_conformance)
    # schemathesis' WSGI transport does not undo Content-Encoding as an HTTP client does:
    # bodies as they are here (test_api_http.py tests the compressed ones)
    case.call_and_validate(excluded_checks=excluded, headers={"Accept-Encoding": "identity"})
