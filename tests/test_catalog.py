"""Catalogs: DCAT-AP 3 read as RDF (rdflib) with the properties DCAT-AP 3 makes
mandatory checked for every resource, and DCAT-US 1.1 data.json checked against the
fields its schema requires. Every link they give is followed."""
import re
from urllib.parse import urlsplit

import pytest
import rdflib
from rdflib import namespace

from tests.conftest import SEEDS

# rdflib's own JSON-LD parser uses a class rdflib deprecates
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 (rdflib's closed DCAT lacks DatasetSeries)
DCTERMS, FOAF, RDF = namespace.DCTERMS, namespace.FOAF, namespace.RDF

# DCAT-AP 3.0, mandatory properties by class
MANDATORY = {
    DCAT.Catalog: [DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.dataset],
    DCAT.Dataset: [DCTERMS.title, DCTERMS.description],
    DCAT.DatasetSeries: [DCTERMS.title, DCTERMS.description],
    DCAT.Distribution: [DCAT.accessURL],
    DCAT.DataService: [DCTERMS.title, DCAT.endpointURL],
    FOAF.Agent: [FOAF.name],
}


def follow(client, url):
    """GET a link of the catalog on the test app; the status and its body."""
    parts = urlsplit(url)
    assert parts.netloc == "localhost", url
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    return response.status_code


def graph(client):
    response = client.get("/v1/catalog")
    assert response.status_code == 200 and response.content_type == "application/ld+json"
    g = rdflib.Graph()
    g.parse(data=response.get_data(as_text=True), format="json-ld")
    return g


def test_dcat_ap_has_every_mandatory_property(client):
    g = graph(client)
    for cls, properties in MANDATORY.items():
        subjects = list(g.subjects(RDF.type, cls))
        assert subjects, cls
        for subject in subjects:
            for prop in properties:
                assert g.value(subject, prop) is not None, (subject, prop)


def test_dcat_ap_has_the_corpus_and_a_series_of_years(client):
    g = graph(client)
    series = list(g.subjects(RDF.type, DCAT.DatasetSeries))
    assert len(series) == 1
    members = set(g.subjects(DCAT.inSeries, series[0]))
    years = {int(str(g.value(m, DCTERMS.temporal / DCAT.startDate))[:4]) for m in members}
    assert years == {2020, 2022, 2023}  # the seeds' years
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets - members) == 1  # the corpus
    corpus = (datasets - members).pop()
    formats = {str(g.value(d, DCTERMS["format"])).rsplit("/", 1)[1] for d in g.objects(corpus, DCAT.distribution)}
    assert formats == {"JSON", "CSV", "PARQUET"}
    assert str(g.value(corpus, DCTERMS.title)) in {"Government information disclosure annual reports",
                                                   "政府信息公开工作年度报告"}


def test_every_dcat_ap_link_answers(client):
    g = graph(client)
    urls = {str(o) for p in (DCAT.accessURL, DCAT.downloadURL, DCAT.endpointDescription) for o in g.objects(None, p)}
    assert len(urls) >= 10
    for url in urls:
        assert follow(client, url) == 200, url


def test_data_json_has_the_fields_dcat_us_requires(client):
    body = client.get("/data.json").json
    assert body["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert body["@type"] == "dcat:Catalog"
    datasets = body["dataset"]
    assert len(datasets) == 1 + 3  # the corpus and each year
    assert len({d["identifier"] for d in datasets}) == len(datasets)
    for d in datasets:
        for name in ("title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
                     "accessLevel"):
            assert d.get(name), (d["identifier"], name)
        assert d["accessLevel"] in ("public", "restricted public", "non-public")
        assert d["publisher"]["name"] and d["contactPoint"]["fn"]
        assert re.fullmatch(r"mailto:[\w.+-]+@[\w.-]+", d["contactPoint"]["hasEmail"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", d["modified"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}", d["temporal"])
        for dist in d["distribution"]:
            if "downloadURL" in dist:
                assert dist["mediaType"]  # required with a downloadURL
            assert follow(client, dist.get("downloadURL") or dist["accessURL"]) == 200
    yearly = [d for d in datasets if "isPartOf" in d]
    assert {d["temporal"][:4] for d in yearly} == {"2020", "2022", "2023"}
    described = sum(int(re.search(r"The (\d+) reports", d["description"]).group(1)) for d in yearly)
    assert described == len(SEEDS)


@pytest.fixture
def behind_a_proxy(app):
    app.config.update(BASE_URL="https://data.example.gov.cn/ogi", PUBLISHER="某市政务公开办",
                      CONTACT_EMAIL="open@example.gov.cn")
    return app


def test_base_url_and_publisher_come_from_the_configuration(behind_a_proxy, client):
    body = client.get("/data.json").json
    assert body["dataset"][0]["distribution"][1]["downloadURL"] == "https://data.example.gov.cn/ogi/v1/bulk/cells.csv"
    assert body["dataset"][0]["publisher"]["name"] == "某市政务公开办"
    assert body["dataset"][0]["contactPoint"]["hasEmail"] == "mailto:open@example.gov.cn"
    assert client.get("/v1/catalog").json["@id"] == "https://data.example.gov.cn/ogi/v1/catalog"
