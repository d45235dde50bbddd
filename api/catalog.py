"""What portals harvest: the data set described as DCAT-AP 3 (an RDF graph, served as
JSON-LD, Turtle or RDF/XML), as DCAT-US 1.1 (``/data.json``, for CKAN's harvester), and
as schema.org ``Dataset`` (for the HTML pages, read by search engines).

All three describe the same things, made here from the database: the corpus as one
dataset (every year), and a dataset per year that is a member of the series of
years. Their distributions are the JSON API, the bulk CSV files, the Frictionless
data package and the Parquet file.

DCAT-AP is made once, as an rdflib graph (``dcat_graph``); its three forms are that
graph serialised (``serialise``), so they cannot disagree. The JSON-LD is rdflib's,
compacted with ``CONTEXT`` and then nested from the catalog down (``nest``: each node
written where it is first reached, a reference elsewhere), which changes its layout,
not its triples."""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, request
from peewee import fn
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from api.bulk import DESCRIPTION, LICENSE, TITLE
from models import Agency, Report
from models.rollup import CellRollup
from models.schema import data_version

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 (rdflib's closed DCAT namespace lacks DatasetSeries)
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
KEYWORDS = ["政府信息公开", "年度报告", "government information disclosure", "annual reports", "open government",
            "freedom of information", "China"]
CONTEXT = {
    "dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "vcard": str(VCARD), "xsd": str(XSD),
    "adms": "http://www.w3.org/ns/adms#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
# The forms of the DCAT-AP catalog: name (``format=``) -> (media type, rdflib serialiser)
FORMS = {"jsonld": ("application/ld+json", "json-ld"), "turtle": ("text/turtle", "turtle"),
         "rdfxml": ("application/rdf+xml", "xml")}


@dataclass(frozen=True)
class Holdings:
    """What the database holds, for the descriptions: years with their report counts,
    agencies, cells, and when it was first loaded and last changed (in all and by
    year: a load or a retraction of any revision)."""
    years: dict[int, int]
    agencies: int
    cells: int
    modified: datetime
    issued: datetime | None = None
    changed: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)  # year -> (issued, modified)


def _moment(value) -> datetime | None:
    if isinstance(value, str):  # SQLite hands an aggregate's datetime back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value else None


def holdings() -> Holdings:
    current = Report.is_current == True  # noqa: E712 (peewee expression)
    years = {y: n for y, n in Report.select(Report.year, fn.COUNT(Report.id)).where(current)
             .group_by(Report.year).order_by(Report.year).tuples()}
    agencies = Agency.select().join(Report).where(current).distinct().count()
    cells = int(CellRollup.select(fn.COALESCE(fn.SUM(CellRollup.cells), 0)).scalar())  # current revisions' cells
    changed = {}
    for year, first, loaded, retracted in Report.select(
            Report.year, fn.MIN(Report.loaded_at), fn.MAX(Report.loaded_at), fn.MAX(Report.retracted_at)) \
            .group_by(Report.year).tuples():
        changed[year] = (_moment(first), max(filter(None, (_moment(loaded), _moment(retracted)))))
    issued = min((i for i, _ in changed.values()), default=None)
    modified = max((m for _, m in changed.values()), default=datetime(1970, 1, 1, tzinfo=UTC))
    return Holdings(years, agencies, cells, modified, issued, {y: changed[y] for y in years})


def base_url() -> str:
    """Where the service is, as its users reach it: ``OGI_BASE_URL``, else the request's."""
    return (current_app.config.get("BASE_URL") or request.url_root).rstrip("/")


def _publisher() -> tuple[str, str]:
    return current_app.config["PUBLISHER"], current_app.config["CONTACT_EMAIL"]


def parquet_size() -> int | None:
    """The size of the cells' Parquet file of the current data, if it has been made
    (``/v1/bulk/cells.parquet`` makes it on first request, as ``cells-{version}.parquet``
    in ``OGI_EXPORT_DIR``); None if not: a size is told only of a file that exists."""
    try:
        return (Path(current_app.config["EXPORT_DIR"]) / f"cells-{data_version()}.parquet").stat().st_size
    except FileNotFoundError:
        return None


# --- DCAT-AP 3 -------------------------------------------------------------------

def _text(en: str, zh: str | None = None) -> list[Literal]:
    return [Literal(en, lang="en")] + ([Literal(zh, lang="zh")] if zh else [])


def _time(moment: datetime | None) -> Literal | None:
    return Literal(moment.isoformat(timespec="seconds"), datatype=XSD.dateTime) if moment else None


def _period(g: Graph, id_: str, first: int, last: int) -> URIRef:
    return _describe(g, id_, DCTERMS.PeriodOfTime, {
        DCAT.startDate: Literal(f"{first}-01-01", datatype=XSD.date),
        DCAT.endDate: Literal(f"{last}-12-31", datatype=XSD.date)})


def _describe(g: Graph, id_: str, types, properties: dict) -> URIRef:
    """Add a node: its types and its properties (a value, a list of values, or None for none)."""
    node = URIRef(id_)
    for type_ in types if isinstance(types, list) else [types]:
        g.add((node, RDF.type, type_))
    for predicate, objects in properties.items():
        for obj in objects if isinstance(objects, list) else [objects]:
            if obj is not None:
                g.add((node, predicate, obj))
    return node


@dataclass(frozen=True)
class FileFormat:
    """A distribution's format: its IANA media type and its EU file type."""
    media: str
    file_type: str


JSON, CSV, PARQUET = FileFormat("application/json", "JSON"), FileFormat("text/csv", "CSV"), \
    FileFormat("application/vnd.apache.parquet", "PARQUET")


def _distribution(g: Graph, id_: str, title: str, url: str, form: FileFormat, download: bool,
                  service: URIRef | None = None, size: int | None = None) -> URIRef:
    """A distribution: ``accessURL`` always (DCAT-AP's mandatory one), ``downloadURL``
    too for a file (the same URL); the media type (IANA) and format (EU file type) as
    typed nodes; ``byteSize`` only when the file exists to be measured."""
    media = _describe(g, IANA + form.media, DCTERMS.MediaType, {})
    file_type = _describe(g, EU + "file-type/" + form.file_type, DCTERMS.MediaTypeOrExtent, {})
    return _describe(g, id_, DCAT.Distribution, {
        DCTERMS.title: _text(title), DCAT.accessURL: URIRef(url), DCAT.downloadURL: URIRef(url) if download else None,
        DCAT.mediaType: media, DCTERMS["format"]: file_type, DCTERMS.license: URIRef(LICENSE["path"]),
        DCAT.accessService: service,
        DCAT.byteSize: Literal(str(size), datatype=XSD.nonNegativeInteger) if size is not None else None})


def dcat_graph() -> Graph:
    """The catalog as DCAT-AP 3: the catalog, the API as a data service, the corpus, the
    series of years and a dataset per year, with their distributions."""
    base, held = base_url(), holdings()
    name, email = _publisher()
    issued, modified = (held.issued, held.modified) if held.issued else (None, None)  # an empty database: unknown
    g = Graph(store="SimpleMemory")  # kept in insertion order: each form the same bytes in every process
    for prefix, namespace in CONTEXT.items():
        g.bind(prefix, namespace)
    at = f"{base}/v1/catalog#"
    licence = _describe(g, LICENSE["path"], DCTERMS.LicenseDocument, {
        DCTERMS.title: _text(LICENSE["title"]), DCTERMS.identifier: Literal(LICENSE["name"])})
    publisher = _describe(g, at + "publisher", FOAF.Agent, {FOAF.name: Literal(name)})
    contact = _describe(g, at + "contact", [VCARD.Kind, VCARD.Organization], {
        VCARD.fn: Literal(name), VCARD.hasEmail: URIRef(f"mailto:{email}")})
    common = {
        DCTERMS.publisher: publisher, DCAT.contactPoint: contact,
        DCAT.keyword: [Literal(k, lang="en" if k.isascii() else "zh") for k in KEYWORDS],
        DCTERMS.spatial: URIRef(EU + "country/CHN"), DCTERMS.language: URIRef(EU + "language/ZHO"),
        DCAT.theme: URIRef(EU + "data-theme/GOVE"), DCTERMS.accessRights: URIRef(EU + "access-right/PUBLIC"),
        DCTERMS.license: licence,
    }
    annual = URIRef(EU + "frequency/ANNUAL")  # the corpus and the series grow by a year each year
    service = URIRef(at + "api")
    corpus, series = at + "corpus", URIRef(at + "series")
    size = parquet_size()
    datasets = [_describe(g, corpus, DCAT.Dataset, {
        DCTERMS.identifier: Literal(corpus),
        DCTERMS.title: _text(TITLE.split(" (")[0], "政府信息公开工作年度报告"), DCTERMS.description: _text(DESCRIPTION),
        DCTERMS.issued: _time(issued), DCTERMS.modified: _time(modified), **common,
        DCTERMS.accrualPeriodicity: annual,
        DCTERMS.temporal: _period(g, at + "corpus-period", min(held.years), max(held.years)) if held.years else None,
        DCAT.distribution: [
            _distribution(g, at + "api-cells", "JSON API: cells", f"{base}/v1/cells", JSON, False, service),
            *[_distribution(g, at + f"csv-{name}", f"CSV: {name}", f"{base}/v1/bulk/{name}.csv", CSV, True)
              for name in ("cells", "reports", "agencies", "findings")],
            _distribution(g, at + "datapackage", "Frictionless data package", f"{base}/v1/bulk/datapackage.json",
                          JSON, True),
            _distribution(g, at + "parquet", "Parquet: cells", f"{base}/v1/bulk/cells.parquet", PARQUET, True,
                          size=size),
        ],
    })]
    for year, reports in held.years.items():
        id_ = at + f"year-{year}"
        first, last = held.changed[year]
        datasets.append(_describe(g, id_, DCAT.Dataset, {
            DCTERMS.identifier: Literal(id_), DCAT.inSeries: series,
            DCTERMS.title: _text(f"Annual reports on {year}", f"{year}年政府信息公开工作年度报告"),
            DCTERMS.description: _text(f"The {reports} reports on {year} (current revisions): their cells, "
                                       "reports and findings."),
            DCTERMS.temporal: _period(g, f"{id_}-period", year, year),
            DCTERMS.issued: _time(first), DCTERMS.modified: _time(last), **common,
            DCAT.distribution: [
                _distribution(g, f"{id_}-api", f"JSON API: cells of {year}", f"{base}/v1/cells?year={year}", JSON,
                              False, service),
                _distribution(g, f"{id_}-csv", f"CSV: cells of {year}", f"{base}/v1/bulk/cells.csv?year={year}", CSV,
                              True),
            ],
        }))
    yearly = datasets[1:]
    _describe(g, str(series), DCAT.DatasetSeries, {
        DCTERMS.title: _text("Annual reports, year by year", "政府信息公开工作年度报告（按年度）"),
        DCTERMS.description: _text("One dataset per year reported on; each holds the reports of that year."),
        DCTERMS.issued: _time(issued), DCTERMS.modified: _time(modified), **common,
        DCTERMS.accrualPeriodicity: annual,
        DCAT.first: yearly[0] if yearly else None, DCAT.last: yearly[-1] if yearly else None})
    _describe(g, str(service), DCAT.DataService, {
        DCTERMS.title: _text("ogi-api /v1"),
        DCTERMS.description: _text("The REST API: filtered cells, aggregates, indicators, reports, findings."),
        DCAT.endpointURL: URIRef(f"{base}/v1/"), DCAT.endpointDescription: URIRef(f"{base}/v1/openapi.json"),
        DCAT.servesDataset: datasets, DCTERMS.license: licence, DCTERMS.publisher: publisher,
        DCAT.contactPoint: contact})
    _describe(g, f"{base}/v1/catalog", DCAT.Catalog, {
        DCTERMS.title: _text("ogi-api: government information disclosure annual reports",
                             "政府信息公开工作年度报告数据"),
        DCTERMS.description: _text(DESCRIPTION), DCTERMS.publisher: publisher, DCAT.contactPoint: contact,
        FOAF.homepage: URIRef(f"{base}/"), DCTERMS.license: licence, DCTERMS.language: URIRef(EU + "language/ZHO"),
        DCTERMS.issued: _time(issued), DCTERMS.modified: _time(modified),
        DCAT.service: service, DCAT.dataset: [*datasets, series]})
    return g


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


def _reference(value) -> str | None:
    return value["@id"] if isinstance(value, dict) and list(value) == ["@id"] else None


def _order(value) -> str:
    """Values in a stable order: a node by its ``@id`` (written in full or referred to)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, dict) else str(value)


def nest(nodes: list[dict], root: str) -> dict:
    """Flat JSON-LD nodes as one tree from ``root``: each node written in full where a
    breadth-first walk from the root first reaches it, referred to by ``@id`` elsewhere
    (the same triples, in the layout a reader expects); values in a stable order."""
    by_id = {n["@id"]: n for n in nodes}
    home, queue = {root: None}, deque([root])
    while queue:
        id_ = queue.popleft()
        for key, value in sorted(by_id[id_].items()):
            for ref in map(_reference, sorted(_values(value), key=_order)):
                if ref in by_id and ref not in home:
                    home[ref] = (id_, key)
                    queue.append(ref)

    def tree(id_: str) -> dict:
        out = {"@id": id_}
        for key, value in sorted(by_id[id_].items()):
            if key == "@id":
                continue
            values = [tree(_reference(v)) if home.get(_reference(v)) == (id_, key) else v for v in _values(value)]
            values.sort(key=_order)
            out[key] = values if len(values) > 1 else values[0]
        return out

    return tree(root)


READING_ORDER = [DCAT.Catalog, DCAT.DataService, DCAT.Dataset, DCAT.DatasetSeries, DCAT.Distribution]


def _reading_order(g: Graph) -> Graph:
    """The same triples, their subjects in the order a reader wants them (the catalog,
    the service, the datasets, the distributions, then the rest); RDF/XML writes
    subjects in the order its graph holds them."""
    def rank(subject) -> tuple[int, str]:
        types = set(g.objects(subject, RDF.type))
        return next((i for i, t in enumerate(READING_ORDER) if t in types), len(READING_ORDER)), str(subject)

    out = Graph(store="SimpleMemory", namespace_manager=g.namespace_manager)
    for subject in sorted(set(g.subjects()), key=rank):
        for predicate, obj in g.predicate_objects(subject):
            out.add((subject, predicate, obj))
    return out


def serialise(g: Graph, form: str) -> str | dict:
    """The graph in one of ``FORMS``: JSON-LD as a document (context inline, nested
    from the catalog), Turtle and RDF/XML as text."""
    if form != "jsonld":
        return _reading_order(g).serialize(format=FORMS[form][1])
    flat = json.loads(g.serialize(format="json-ld", context=CONTEXT))
    flat.pop("@context")
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    return {"@context": CONTEXT, **nest(flat.get("@graph", [flat]), str(catalog))}


def dcat_ap() -> dict:
    """The catalog as DCAT-AP 3 JSON-LD (the context inline: no fetch needed to read it)."""
    return serialise(dcat_graph(), "jsonld")


# --- DCAT-US 1.1 (data.json) -----------------------------------------------------

def _us_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _us_distribution(title: str, url: str, media: str, form: str, download: bool = True) -> dict:
    out = {"@type": "dcat:Distribution", "title": title, "mediaType": media, "format": form}
    out["downloadURL" if download else "accessURL"] = url
    return out


def data_json() -> dict:
    """The catalog as DCAT-US 1.1 (Project Open Data), for CKAN's data.json harvester.
    (bureauCode and programCode are required of US federal agencies only.)"""
    base, held = base_url(), holdings()
    name, email = _publisher()
    common = {
        "@type": "dcat:Dataset", "keyword": KEYWORDS, "modified": _us_time(held.modified),
        **({"issued": _us_time(held.issued)} if held.issued else {}),
        "publisher": {"@type": "org:Organization", "name": name},
        "contactPoint": {"@type": "vcard:Contact", "fn": name, "hasEmail": f"mailto:{email}"},
        "accessLevel": "public", "license": LICENSE["path"], "spatial": "China", "language": ["zh"],
        "theme": ["Government"], "landingPage": f"{base}/", "describedBy": f"{base}/v1/bulk/datapackage.json",
        "describedByType": "application/json",
    }
    corpus_id = f"{base}/v1/catalog#corpus"
    datasets = [{
        **common, "identifier": corpus_id, "title": TITLE, "description": DESCRIPTION,
        "accrualPeriodicity": "R/P1Y",
        **({"temporal": f"{min(held.years)}-01-01/{max(held.years)}-12-31"} if held.years else {}),
        "distribution": [
            _us_distribution("JSON API: cells", f"{base}/v1/cells", "application/json", "API", download=False),
            *[_us_distribution(f"CSV: {n}", f"{base}/v1/bulk/{n}.csv", "text/csv", "CSV")
              for n in ("cells", "reports", "agencies", "findings")],
            _us_distribution("Frictionless data package", f"{base}/v1/bulk/datapackage.json", "application/json",
                             "JSON"),
            _us_distribution("Parquet: cells", f"{base}/v1/bulk/cells.parquet", "application/vnd.apache.parquet",
                             "Parquet"),
        ],
    }]
    for year, reports in held.years.items():
        datasets.append({
            **common, "identifier": f"{base}/v1/catalog#year-{year}", "isPartOf": corpus_id,
            "title": f"Government information disclosure annual reports on {year} ({year}年政府信息公开工作年度报告)",
            "description": f"The {reports} reports on {year} (current revisions): their cells, reports and findings.",
            "temporal": f"{year}-01-01/{year}-12-31",
            "issued": _us_time(held.changed[year][0]), "modified": _us_time(held.changed[year][1]),
            "distribution": [
                _us_distribution(f"JSON API: cells of {year}", f"{base}/v1/cells?year={year}", "application/json",
                                 "API", download=False),
                _us_distribution(f"CSV: cells of {year}", f"{base}/v1/bulk/cells.csv?year={year}", "text/csv", "CSV"),
            ],
        })
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld", "@id": f"{base}/data.json",
        "@type": "dcat:Catalog", "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json", "dataset": datasets,
    }


# --- schema.org ------------------------------------------------------------------

def schema_org(name: str, description: str, url: str, years: tuple[int, int] | None = None,
               about: str | None = None) -> dict:
    """A schema.org Dataset (JSON-LD) for an HTML page."""
    base = base_url()
    publisher, _ = _publisher()
    out = {
        "@context": "https://schema.org", "@type": "Dataset", "name": name, "description": description, "url": url,
        "keywords": KEYWORDS, "license": LICENSE["path"], "isAccessibleForFree": True, "inLanguage": "zh",
        "creator": {"@type": "Organization", "name": about or publisher},
        "publisher": {"@type": "Organization", "name": publisher},
        "spatialCoverage": {"@type": "Place", "name": "China"},
        "includedInDataCatalog": {"@type": "DataCatalog", "name": "ogi-api", "url": f"{base}/v1/catalog"},
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": "text/csv", "contentUrl": f"{base}/v1/bulk/cells.csv"},
            {"@type": "DataDownload", "encodingFormat": "application/vnd.apache.parquet",
             "contentUrl": f"{base}/v1/bulk/cells.parquet"},
        ],
    }
    if years:
        out["temporalCoverage"] = f"{years[0]}-01-01/{years[1]}-12-31"
    return out
