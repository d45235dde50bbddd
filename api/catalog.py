"""What portals harvest: the data set described as DCAT-AP 3 (JSON-LD), as DCAT-US 1.1
(``/data.json``, for CKAN's harvester), and as schema.org ``Dataset`` (for the HTML
pages, read by search engines).

All three describe the same things, made here from the database: the corpus as one
dataset (every year), and a dataset per year that is a member of the series of
years. Their distributions are the JSON API, the bulk CSV files, the Frictionless
data package and the Parquet file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, request
from peewee import fn

from api.bulk import DESCRIPTION, LICENSE, TITLE
from models import Agency, Report
from models.rollup import CellRollup

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
KEYWORDS = ["政府信息公开", "年度报告", "government information disclosure", "annual reports", "open government",
            "freedom of information", "China"]
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


@dataclass(frozen=True)
class Holdings:
    """What the database holds, for the descriptions: years with their report counts,
    agencies, cells, and when it last changed."""
    years: dict[int, int]
    agencies: int
    cells: int
    modified: datetime


def holdings() -> Holdings:
    current = Report.is_current == True  # noqa: E712 (peewee expression)
    years = {y: n for y, n in Report.select(Report.year, fn.COUNT(Report.id)).where(current)
             .group_by(Report.year).order_by(Report.year).tuples()}
    agencies = Agency.select().join(Report).where(current).distinct().count()
    cells = int(CellRollup.select(fn.COALESCE(fn.SUM(CellRollup.cells), 0)).scalar())  # current revisions' cells
    last = Report.select(fn.MAX(Report.loaded_at)).scalar()
    if isinstance(last, str):  # SQLite hands an aggregate's datetime back as text
        last = datetime.fromisoformat(last)
    return Holdings(years, agencies, cells, (last or datetime(1970, 1, 1)).replace(tzinfo=UTC))


def base_url() -> str:
    """Where the service is, as its users reach it: ``OGI_BASE_URL``, else the request's."""
    return (current_app.config.get("BASE_URL") or request.url_root).rstrip("/")


def _publisher() -> tuple[str, str]:
    return current_app.config["PUBLISHER"], current_app.config["CONTACT_EMAIL"]


# --- DCAT-AP 3 -------------------------------------------------------------------

def _text(en: str, zh: str | None = None) -> list[dict]:
    return [{"@value": en, "@language": "en"}] + ([{"@value": zh, "@language": "zh"}] if zh else [])


def _date(moment) -> dict:
    return {"@value": moment.isoformat(), "@type": "xsd:dateTime" if isinstance(moment, datetime) else "xsd:date"}


def _period(first: int, last: int) -> dict:
    return {"@type": "dct:PeriodOfTime", "dcat:startDate": {"@value": f"{first}-01-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": f"{last}-12-31", "@type": "xsd:date"}}


def _distribution(id_: str, title: str, url: str, media: str, file_type: str, download: bool,
                  service: str | None = None) -> dict:
    out = {"@id": id_, "@type": "dcat:Distribution", "dct:title": _text(title), "dcat:accessURL": {"@id": url},
           "dcat:mediaType": {"@id": IANA + media}, "dct:format": {"@id": EU + "file-type/" + file_type},
           "dct:license": {"@id": LICENSE["path"]}}
    if download:
        out["dcat:downloadURL"] = {"@id": url}
    if service:
        out["dcat:accessService"] = {"@id": service}
    return out


def dcat_ap() -> dict:
    """The catalog as DCAT-AP 3 JSON-LD (the context inline: no fetch needed to read it)."""
    base, held = base_url(), holdings()
    name, email = _publisher()
    publisher = {"@id": f"{base}/v1/catalog#publisher", "@type": "foaf:Agent", "foaf:name": name}
    contact = {"@type": "vcard:Organization", "vcard:fn": name, "vcard:hasEmail": {"@id": f"mailto:{email}"}}
    service = {
        "@id": f"{base}/v1/catalog#api", "@type": "dcat:DataService", "dct:title": _text("ogi-api /v1"),
        "dct:description": _text("The REST API: filtered cells, aggregates, indicators, reports, findings."),
        "dcat:endpointURL": {"@id": f"{base}/v1"},
        "dcat:endpointDescription": {"@id": f"{base}/v1/openapi.json"},
        "dct:license": {"@id": LICENSE["path"]}, "dct:publisher": {"@id": publisher["@id"]},
    }
    common = {
        "dct:publisher": {"@id": publisher["@id"]}, "dcat:contactPoint": contact,
        "dcat:keyword": [{"@value": k, "@language": "zh" if not k.isascii() else "en"} for k in KEYWORDS],
        "dct:spatial": {"@id": EU + "country/CHN"}, "dct:language": {"@id": EU + "language/ZHO"},
        "dcat:theme": {"@id": EU + "data-theme/GOVE"}, "dct:accessRights": {"@id": EU + "access-right/PUBLIC"},
        "dct:license": {"@id": LICENSE["path"]},
    }
    corpus_id = f"{base}/v1/catalog#corpus"
    series_id = f"{base}/v1/catalog#series"
    corpus = {
        "@id": corpus_id, "@type": "dcat:Dataset", "dct:identifier": corpus_id,
        "dct:title": _text(TITLE.split(" (")[0], "政府信息公开工作年度报告"), "dct:description": _text(DESCRIPTION),
        "dct:modified": _date(held.modified), **common,
        "dcat:distribution": [
            _distribution(f"{base}/v1/catalog#api-cells", "JSON API: cells", f"{base}/v1/cells",
                          "application/json", "JSON", False, service["@id"]),
            *[_distribution(f"{base}/v1/catalog#csv-{name}", f"CSV: {name}", f"{base}/v1/bulk/{name}.csv", "text/csv",
                            "CSV", True) for name in ("cells", "reports", "agencies", "findings")],
            _distribution(f"{base}/v1/catalog#datapackage", "Frictionless data package",
                          f"{base}/v1/bulk/datapackage.json", "application/json", "JSON", True),
            _distribution(f"{base}/v1/catalog#parquet", "Parquet: cells", f"{base}/v1/bulk/cells.parquet",
                          "application/vnd.apache.parquet", "PARQUET", True),
        ],
    }
    if held.years:
        corpus["dct:temporal"] = _period(min(held.years), max(held.years))
    series = {
        "@id": series_id, "@type": "dcat:DatasetSeries",
        "dct:title": _text("Annual reports, year by year", "政府信息公开工作年度报告（按年度）"),
        "dct:description": _text("One dataset per year reported on; each holds the reports of that year."),
        "dct:publisher": {"@id": publisher["@id"]}, "dcat:contactPoint": contact,
        "dct:accrualPeriodicity": {"@id": EU + "frequency/ANNUAL"},
    }
    yearly = []
    for year, reports in held.years.items():
        id_ = f"{base}/v1/catalog#year-{year}"
        yearly.append({
            "@id": id_, "@type": "dcat:Dataset", "dct:identifier": id_, "dcat:inSeries": {"@id": series_id},
            "dct:title": _text(f"Annual reports on {year}", f"{year}年政府信息公开工作年度报告"),
            "dct:description": _text(f"The {reports} reports on {year} (current revisions): their cells, "
                                     "reports and findings."),
            "dct:temporal": _period(year, year), "dct:modified": _date(held.modified), **common,
            "dcat:distribution": [
                _distribution(f"{id_}-api", f"JSON API: cells of {year}", f"{base}/v1/cells?year={year}",
                              "application/json", "JSON", False, service["@id"]),
                _distribution(f"{id_}-csv", f"CSV: cells of {year}", f"{base}/v1/bulk/cells.csv?year={year}",
                              "text/csv", "CSV", True),
            ],
        })
    if yearly:
        series["dcat:first"], series["dcat:last"] = {"@id": yearly[0]["@id"]}, {"@id": yearly[-1]["@id"]}
    return {
        "@context": CONTEXT, "@id": f"{base}/v1/catalog", "@type": "dcat:Catalog",
        "dct:title": _text("ogi-api: government information disclosure annual reports", "政府信息公开工作年度报告数据"),
        "dct:description": _text(DESCRIPTION), "dct:publisher": publisher, "foaf:homepage": {"@id": f"{base}/"},
        "dct:license": {"@id": LICENSE["path"]}, "dct:modified": _date(held.modified),
        "dct:language": {"@id": EU + "language/ZHO"},
        "dcat:service": [service], "dcat:dataset": [corpus, series, *yearly],
    }


# --- DCAT-US 1.1 (data.json) -----------------------------------------------------

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
        "@type": "dcat:Dataset", "keyword": KEYWORDS, "modified": held.modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
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
