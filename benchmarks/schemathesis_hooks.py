"""What a client can send, for a schemathesis run with every check (``benchmarks/conformance.py``).

OpenAPI cannot state these, so a generated request that breaks one is rightly refused
(400 or 414) although it fits the document; each is tested on its own in tests/:

- ``cursor`` is made by the API (signed, for one list and its filters): one made up is
  a 400 (tests/test_api_cursor.py);
- ``fields`` answers only the fields named, so a record's required fields are not all
  there (tests/test_api_fields.py);
- a request line over 8190 bytes is refused with 414 before the app sees it (long lists
  go in the body of POST /v1/cells/query; tests/test_serve.py)."""
from urllib.parse import urlencode

import schemathesis

LINE = 8190 - 200  # the request line limit, less the path and method


@schemathesis.hook
def filter_query(ctx, query):
    if not query:
        return True
    if "cursor" in query or "fields" in query:
        return False
    return len(urlencode(query, doseq=True)) < LINE


@schemathesis.hook
def filter_body(ctx, body):
    return not (isinstance(body, dict) and ("cursor" in body or "fields" in body))
