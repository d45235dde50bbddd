"""The client: a call per resource of /v1, on one ``httpx.Client``."""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, Literal, TypeVar

import httpx

from ogi_client import frames
from ogi_client.errors import ApiError, JobFailed, PagingRestart
from ogi_client.retry import Retry, retry_after, retryable_failure
from ogi_client.types import (
    Agency,
    AgencyDetail,
    Aggregate,
    Cell,
    Codebook,
    Finding,
    Indicator,
    IndicatorDefinition,
    Job,
    Meta,
    Report,
    ReportDetail,
    WriteEvent,
)

if TYPE_CHECKING:
    import pandas

__version__ = "0.1.0"

T = TypeVar("T")
Many = str | int | Iterable[str | int]
"""One value, or several (any of them: sent comma-separated)."""
NumberIn = int | Decimal | str
BulkName = Literal["agencies", "reports", "cells", "findings"]
JOB_POLL_SECONDS = 5.0  # when a job's answer carries no Retry-After
RESTART_STATUSES = (409, 410)  # a next link the API no longer serves: start again


def loads(content: bytes | str) -> Any:
    """JSON with exact numbers: a number with a fraction or exponent is a Decimal."""
    return json.loads(content, parse_float=Decimal)


def query_value(value: Any) -> str | None:
    """A parameter as the API reads it: lists comma-separated, booleans true/false,
    Decimals in plain notation, dates ISO 8601."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError(f"a float is not exact: pass {value!r} as a Decimal or a str")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Iterable):
        items = [query_value(v) for v in value]
        return ",".join(v for v in items if v is not None) or None
    return str(value)


def query(params: dict[str, Any]) -> dict[str, str]:
    """The parameters given (None: left out), encoded."""
    out = {}
    for name, value in params.items():
        encoded = query_value(value)
        if encoded is not None:
            out[name] = encoded
    return out


@dataclass
class Page(Generic[T]):
    """One page of a list: its records, ``meta`` (total, limit, offset, next) and the URL
    it was read from."""
    data: list[T]
    meta: Meta
    url: str

    @property
    def next(self) -> str | None:
        return self.meta.get("next")


class Pager(Generic[T]):
    """A list of the API, read lazily page by page: iterating it yields every record of
    every page, following each page's ``meta.next`` link as the API gives it (the
    client never computes an offset or a cursor).

    If the API answers a ``next`` link with 410 Gone (or 409), the data changed under
    the cursor: :class:`PagingRestart` is raised; iterate the Pager again to start
    over from the first page. Each iteration starts over from the first page."""

    def __init__(self, client: Client, path: str, params: dict[str, str], cells: bool = False):
        self._client, self._path, self._params, self._cells = client, path, params, cells
        self._first: Page[T] | None = None

    def pages(self) -> Iterator[Page[T]]:
        url: str | None = self._path
        params: dict[str, str] | None = self._params
        following = False
        while url:
            page = self._client._page(url, params, following)
            if not following:
                self._first = page
            yield page
            url, params, following = page.next, None, True

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data

    def first_page(self) -> Page[T]:
        """The first page (read once)."""
        if self._first is None:
            self._first = self._client._page(self._path, self._params, False)
        return self._first

    @property
    def total(self) -> int:
        """Records matching the filters (``meta.total`` of the first page)."""
        return self.first_page().meta["total"]

    @property
    def url(self) -> str:
        """The first page's URL."""
        return self._client.url(self._path, **self._params)

    def all(self) -> list[T]:
        """Every record, as a list."""
        return list(self)

    def to_dataframe(self) -> pandas.DataFrame:
        """Every record as a DataFrame (numbers exact: see :mod:`ogi_client.frames`)."""
        if self._cells:
            return frames.cells_frame(self)  # type: ignore[arg-type]
        return frames.to_dataframe(self)  # type: ignore[arg-type]


@dataclass
class Upload:
    """What ``POST /v1/reports`` answered: ``status`` 201 (stored: a new report or a new
    revision) or 200 (this file was stored already) with ``report``; or 202 with a
    ``job`` a worker will carry out (:meth:`Client.wait` waits for it)."""
    status: int
    report: ReportDetail | None = None
    job: Job | None = None
    location: str | None = None
    retry_after: float | None = field(default=None, repr=False)


class Client:
    """The /v1 API of an ogi-api server.

    ``base_url`` is the server (``https://example.org``; a trailing ``/v1`` is taken
    off); ``api_key`` is needed only to write (uploads, retractions): it is sent, as a
    Bearer token, only with those requests. ``timeout`` in seconds (or an
    ``httpx.Timeout``); ``retry`` how 429, 503 and failed connections are retried
    (:class:`Retry`; ``Retry(attempts=1)`` never retries). A context manager: it closes
    its connections on the way out. ``transport`` is passed to httpx (e.g. an
    ``httpx.HTTPTransport(proxy=…)``)."""

    def __init__(self, base_url: str = "http://127.0.0.1:8000", api_key: str | None = None, *,
                 timeout: float | httpx.Timeout = 30.0, retry: Retry | None = None,
                 headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None):
        base_url = base_url.rstrip("/")
        if base_url.endswith("/v1"):
            base_url = base_url[:-3]
        self.base_url = base_url
        self.retry = retry if retry is not None else Retry()
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=base_url, timeout=timeout, transport=transport, follow_redirects=True,
            headers={"User-Agent": f"ogi-client/{__version__} httpx/{httpx.__version__}",
                     "Accept": "application/json", **(headers or {})})
        self.sleep = time.sleep  # how the client waits (Retry-After, jobs)

    # -- the connection --------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def url(self, path: str, **params: Any) -> str:
        """The absolute URL of ``path`` with ``params`` (encoded as the client sends them):
        e.g. for ``pandas.read_csv(client.url("/v1/cells", year=2023, format="csv"))``."""
        return str(self._http.build_request("GET", path, params=query(params)).url)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                content: bytes | None = None, headers: dict[str, str] | None = None, stream: bool = False,
                restart: bool = False) -> httpx.Response:
        """One request, retried as :attr:`retry` says; an error answer raises
        :class:`ApiError` (with ``restart``: :class:`PagingRestart` for a 409 or 410).
        With ``stream`` the body is not read: close the response."""
        method = method.upper()
        headers = dict(headers or {})
        if method not in ("GET", "HEAD") and self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        encoded = query(params) if params else None
        attempt = 0
        while True:
            attempt += 1
            request = self._http.build_request(method, path, params=encoded, content=content, headers=headers)
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                wait = self.retry.wait_after_failure(attempt) if retryable_failure(error, method) else None
                if wait is None:
                    raise
                self.sleep(wait)
                continue
            if response.status_code < 400:
                return response
            response.read()
            response.close()
            if response.status_code in self.retry.statuses:
                asked = retry_after(response.headers.get("Retry-After"))
                wait = self.retry.wait_after_status(attempt, asked)
                if wait is not None:
                    self.sleep(wait)
                    continue
            kind = PagingRestart if restart and response.status_code in RESTART_STATUSES else ApiError
            raise kind.from_response(response)

    def get_json(self, path: str, **params: Any) -> Any:
        """GET ``path`` (a path of the server, or a URL) as JSON with exact numbers."""
        return loads(self.request("GET", path, params=params).content)

    def _page(self, url: str, params: dict[str, str] | None, following: bool) -> Page:
        response = self.request("GET", url, params=params, restart=following)
        body = loads(response.content)
        return Page(body["data"], body["meta"], str(response.url))

    def _list(self, path: str, params: dict[str, Any], extra: dict[str, Any], cells: bool = False) -> Pager:
        page_size = params.pop("page_size", None)
        both = {**params, **extra}
        if page_size is not None:
            both["limit"] = page_size
        return Pager(self, path, query(both), cells)

    def _bytes(self, path: str, dest: str | os.PathLike | BinaryIO | None, **params: Any) -> bytes | Path:
        if dest is None:
            return self.request("GET", path, params=params, headers={"Accept": "*/*"}).content
        response = self.request("GET", path, params=params, headers={"Accept": "*/*"}, stream=True)
        try:
            if hasattr(dest, "write"):
                for chunk in response.iter_bytes():
                    dest.write(chunk)  # type: ignore[union-attr]
                return Path(getattr(dest, "name", ""))
            path_out = Path(dest)  # type: ignore[arg-type]
            with open(path_out, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
            return path_out
        finally:
            response.close()

    # -- the API root, documents --------------------------------------------------------

    def root(self) -> dict[str, Any]:
        """``/v1/``: the resources, documentation, catalogs and the API's version."""
        return self.get_json("/v1/")

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document (``/v1/openapi.json``)."""
        return self.get_json("/v1/openapi.json")

    def codebook(self) -> Codebook:
        """Keys and labels of tables, rows and columns; layouts, identities, rules, statuses."""
        return self.get_json("/v1/codebook")

    def catalog(self) -> dict[str, Any]:
        """The DCAT-AP 3 catalog (JSON-LD)."""
        return loads(self.request("GET", "/v1/catalog", headers={"Accept": "application/ld+json"}).content)

    def data_json(self) -> dict[str, Any]:
        """The DCAT-US 1.1 catalog (``/data.json``, for CKAN's harvester)."""
        return self.get_json("/data.json")

    # -- agencies ------------------------------------------------------------------------

    def agencies(self, *, agency: Many | None = None, q: str | None = None, region: Many | None = None,
                 year: Many | None = None, sort: str | Iterable[str] | None = None, page_size: int | None = None,
                 **params: Any) -> Pager[Agency]:
        """Agencies, by id or exact name (``agency``), a name substring (``q``), ``region``
        or the ``year`` of a report. ``params``: any other parameter of the API, as is."""
        return self._list("/v1/agencies", dict(agency=agency, q=q, region=region, year=year, sort=sort,
                                               page_size=page_size), params)

    def agency(self, agency_id: int) -> AgencyDetail:
        """One agency, with the headline numbers of each year's current report."""
        return self.get_json(f"/v1/agencies/{int(agency_id)}")

    # -- reports -------------------------------------------------------------------------

    def reports(self, *, agency: Many | None = None, q: str | None = None, region: Many | None = None,
                year: Many | None = None, year_from: int | None = None, year_to: int | None = None,
                layout: Many | None = None, report: Many | None = None,
                revisions: Literal["current", "all"] | None = None, sort: str | Iterable[str] | None = None,
                page_size: int | None = None, **params: Any) -> Pager[Report]:
        """Reports (current revisions unless ``revisions="all"``)."""
        return self._list("/v1/reports", dict(agency=agency, q=q, region=region, year=year, year_from=year_from,
                                              year_to=year_to, layout=layout, report=report, revisions=revisions,
                                              sort=sort, page_size=page_size), params)

    def report(self, report_id: int) -> ReportDetail:
        """One report: metadata, the three tables as printed, findings, prose sections."""
        return self.get_json(f"/v1/reports/{int(report_id)}")

    def report_history(self, report_id: int, *, sort: str | Iterable[str] | None = None,
                       page_size: int | None = None, **params: Any) -> Pager[WriteEvent]:
        """Every write to the report's agency and year: who, what, when."""
        return self._list(f"/v1/reports/{int(report_id)}/history", dict(sort=sort, page_size=page_size), params)

    def report_source(self, report_id: int, dest: str | os.PathLike | BinaryIO | None = None) -> bytes | Path:
        """The report's file as it was loaded (bytes; or written to ``dest``)."""
        return self._bytes(f"/v1/reports/{int(report_id)}/source", dest)

    def report_tables_xlsx(self, report_id: int, dest: str | os.PathLike | BinaryIO | None = None) -> bytes | Path:
        """The report's tables as an Excel workbook."""
        return self._bytes(f"/v1/reports/{int(report_id)}/tables.xlsx", dest)

    def report_page_png(self, report_id: int, page: int) -> bytes:
        """A page read by OCR, as a PNG (boxes of its cells are in its pixels)."""
        return self.request("GET", f"/v1/reports/{int(report_id)}/pages/{int(page)}.png",
                            headers={"Accept": "image/png"}).content

    # -- cells, aggregates, findings, indicators -------------------------------------------

    def cells(self, *, agency: Many | None = None, q: str | None = None, region: Many | None = None,
              year: Many | None = None, year_from: int | None = None, year_to: int | None = None,
              layout: Many | None = None, report: Many | None = None, table: Many | None = None,
              row: Many | None = None, column: Many | None = None, value_gte: NumberIn | None = None,
              value_lte: NumberIn | None = None, status: Many | None = None,
              revisions: Literal["current", "all"] | None = None, sort: str | Iterable[str] | None = None,
              page_size: int | None = None, **params: Any) -> Pager[Cell]:
        """Cells: every printed number, one record each (``row`` takes a key, a group
        such as ``denied`` or a prefix ``denied.*``)."""
        return self._list("/v1/cells", dict(
            agency=agency, q=q, region=region, year=year, year_from=year_from, year_to=year_to, layout=layout,
            report=report, table=table, row=row, column=column, value_gte=value_gte, value_lte=value_lte,
            status=status, revisions=revisions, sort=sort, page_size=page_size), params, cells=True)

    def cells_frame(self, **filters: Any) -> pandas.DataFrame:
        """The cells of :meth:`cells` (same filters) as a DataFrame: the CSV's columns,
        ``value`` exact (Decimal objects)."""
        return self.cells(**filters).to_dataframe()

    def aggregates(self, *, group_by: Many | None = None,
                   metric: Literal["sum", "count", "avg", "min", "max"] | None = None, agency: Many | None = None,
                   q: str | None = None, region: Many | None = None, year: Many | None = None,
                   year_from: int | None = None, year_to: int | None = None, layout: Many | None = None,
                   report: Many | None = None, table: Many | None = None, row: Many | None = None,
                   column: Many | None = None, value_gte: NumberIn | None = None, value_lte: NumberIn | None = None,
                   status: Many | None = None, revisions: Literal["current", "all"] | None = None,
                   sort: str | Iterable[str] | None = None, page_size: int | None = None,
                   **params: Any) -> Pager[Aggregate]:
        """A metric (sum by default) over the cells of the filters, by ``group_by``."""
        return self._list("/v1/aggregates", dict(
            group_by=group_by, metric=metric, agency=agency, q=q, region=region, year=year, year_from=year_from,
            year_to=year_to, layout=layout, report=report, table=table, row=row, column=column,
            value_gte=value_gte, value_lte=value_lte, status=status, revisions=revisions, sort=sort,
            page_size=page_size), params)

    def findings(self, *, rule: Many | None = None, agency: Many | None = None, q: str | None = None,
                 region: Many | None = None, year: Many | None = None, year_from: int | None = None,
                 year_to: int | None = None, layout: Many | None = None, report: Many | None = None,
                 revisions: Literal["current", "all"] | None = None, sort: str | Iterable[str] | None = None,
                 page_size: int | None = None, **params: Any) -> Pager[Finding]:
        """Findings: identities the printed numbers break, and what could not be read."""
        return self._list("/v1/findings", dict(
            rule=rule, agency=agency, q=q, region=region, year=year, year_from=year_from, year_to=year_to,
            layout=layout, report=report, revisions=revisions, sort=sort, page_size=page_size), params)

    def indicators(self, *, indicator: Many | None = None, group_by: Many | None = None,
                   min_denominator: int | None = None, agency: Many | None = None, q: str | None = None,
                   region: Many | None = None, year: Many | None = None, year_from: int | None = None,
                   year_to: int | None = None, layout: Many | None = None, report: Many | None = None,
                   revisions: Literal["current", "all"] | None = None, sort: str | Iterable[str] | None = None,
                   page_size: int | None = None, **params: Any) -> Pager[Indicator]:
        """Rates over the cells by group (definitions: :meth:`indicator_definitions`)."""
        return self._list("/v1/indicators", dict(
            indicator=indicator, group_by=group_by, min_denominator=min_denominator, agency=agency, q=q,
            region=region, year=year, year_from=year_from, year_to=year_to, layout=layout, report=report,
            revisions=revisions, sort=sort, page_size=page_size), params)

    def indicator_definitions(self) -> list[IndicatorDefinition]:
        return self.get_json("/v1/indicators/definitions")

    # -- other forms of a list ------------------------------------------------------------

    def csv(self, path: str, **params: Any) -> str:
        """One page of a list as CSV text (``format=csv``), e.g. ``csv("/v1/cells", year=2023,
        limit=10000)``; a list longer than a page: its ``Link: rel="next"`` header."""
        return self.request("GET", path, params={**params, "format": "csv"}, headers={"Accept": "text/csv"}).text

    def jsonstat(self, path: Literal["/v1/cells", "/v1/aggregates", "/v1/indicators"], **params: Any) -> dict:
        """One page of cells, aggregates or indicators as a JSON-stat 2.0 dataset."""
        return self.get_json(path, **{**params, "format": "jsonstat"})

    # -- bulk files -------------------------------------------------------------------------

    def bulk_csv(self, name: BulkName, dest: str | os.PathLike | BinaryIO | None = None) -> bytes | Path:
        """Every current row of agencies, reports, cells or findings as one CSV file:
        bytes, or streamed to ``dest`` (a path or a binary file), which is returned."""
        return self._bytes(f"/v1/bulk/{name}.csv", dest)

    def bulk_parquet(self, dest: str | os.PathLike | BinaryIO | None = None) -> bytes | Path:
        """All current cells as Parquet (value and confidence decimal(38,10))."""
        return self._bytes("/v1/bulk/cells.parquet", dest)

    def datapackage(self) -> dict[str, Any]:
        """The Frictionless data package descriptor of the bulk CSV files."""
        return self.get_json("/v1/bulk/datapackage.json")

    # -- writes and jobs ------------------------------------------------------------------------

    def upload(self, file: str | os.PathLike | bytes | BinaryIO, filename: str | None = None) -> Upload:
        """Upload a report file (text, markdown, HTML, PDF, Word or an image): a path,
        bytes or a binary file; ``filename`` names it (default: the path's name). Needs
        an ``api_key``. A file that takes long (a scan, read by OCR; a large file) is a
        job: pass the answer to :meth:`wait`. Retried only on 429/503 and on a
        connection that never reached the server (never twice stored: a file stored
        already answers 200)."""
        if isinstance(file, bytes):
            data, name = file, filename
        elif hasattr(file, "read"):
            data, name = file.read(), filename or Path(getattr(file, "name", "") or "").name or None  # type: ignore
        else:
            data, name = Path(file).read_bytes(), filename or Path(file).name  # type: ignore[arg-type]
        response = self.request("POST", "/v1/reports", params={"filename": name}, content=data,
                                headers={"Content-Type": "application/octet-stream"})
        body = loads(response.content)
        location = response.headers.get("Location")
        if response.status_code == 202:
            asked = retry_after(response.headers.get("Retry-After"))
            return Upload(202, job=body, location=location, retry_after=asked)
        return Upload(response.status_code, report=body, location=location)

    def retract(self, report_id: int) -> None:
        """Retract a report (it stays, never current again). Needs an ``api_key``."""
        self.request("DELETE", f"/v1/reports/{int(report_id)}")

    def job(self, job_id: str) -> Job:
        """An upload job: queued, running, done or failed."""
        return self.get_json(f"/v1/jobs/{job_id}")

    def wait(self, upload: Upload | Job | str, *, timeout: float = 600.0, interval: float | None = None,
             max_interval: float = 15.0) -> ReportDetail:
        """The report an upload stored: at once for a 200/201, else once its job is done,
        polling ``/v1/jobs/{id}`` every ``interval`` seconds, by default the
        ``Retry-After`` of the job's answer (5 s), at most ``max_interval``. A job that
        failed raises :class:`JobFailed` (its
        ``job["error"]`` says why; nothing was stored); ``timeout`` seconds without an
        end raise ``TimeoutError``."""
        if isinstance(upload, Upload):
            if upload.report is not None:
                return upload.report
            assert upload.job is not None
            job_id = upload.job["id"]
        else:
            job_id = upload if isinstance(upload, str) else upload["id"]
        deadline = time.monotonic() + timeout
        while True:
            response = self.request("GET", f"/v1/jobs/{job_id}")
            job: Job = loads(response.content)
            if job["status"] == "done":
                return self.get_json(job["report"] or "")
            if job["status"] == "failed":
                raise JobFailed(job)
            asked = retry_after(response.headers.get("Retry-After"))
            pause = interval if interval is not None else min(JOB_POLL_SECONDS if asked is None else asked,
                                                              max_interval)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"job {job_id} is still {job['status']} after {timeout} s")
            self.sleep(min(pause, left))


__all__ = ["Client", "Pager", "Page", "Upload", "Many", "NumberIn", "loads", "query", "query_value"]
