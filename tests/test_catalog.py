"""Catalogs: DCAT-AP 3 read as RDF (rdflib) with the properties DCAT-AP 3 makes
mandatory checked for every resource, its three forms (JSON-LD, Turtle, RDF/XML) the
same graph, what portals check asked of it in SPARQL, and DCAT-US 1.1 data.json
checked against the fields its schema requires. Every link they give is followed."""
import re
from datetime import UTC
from urllib.parse import urlsplit

import pytest
import rdflib
from rdflib import namespace
from rdflib.compare import isomorphic

from api.catalog import nest
from models import Report
from tests.conftest import SEEDS

# rdflib's own JSON-LD parser uses a class rdflib deprecates
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")  # DCAT 3 (rdflib's closed DCAT lacks DatasetSeries)
DCTERMS, FOAF, RDF = namespace.DCTERMS, namespace.FOAF, namespace.RDF
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
PREFIXES = {"dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "xsd": namespace.XSD, "vcard": VCARD}
IANA = "https://www.iana.org/assignments/media-types/"
FORMS = {"application/ld+json": "json-ld", "text/turtle": "turtle", "application/rdf+xml": "xml"}

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


def parse(response) -> rdflib.Graph:
    """A catalog response read as RDF, in the form its Content-Type names."""
    g = rdflib.Graph()
    g.parse(data=response.get_data(as_text=True), format=FORMS[response.mimetype])
    return g


def graph(client, accept: str = "application/ld+json"):
    response = client.get("/v1/catalog", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    return parse(response)


def select(g: rdflib.Graph, query: str) -> list:
    return list(g.query(query, initNs=PREFIXES))


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
    assert {str(g.value(series[0], p)).rsplit("-", 1)[1] for p in (DCAT.first, DCAT.last)} == {"2020", "2023"}


def test_every_dcat_ap_link_answers(client):
    g = graph(client)
    urls = {str(o) for p in (DCAT.accessURL, DCAT.downloadURL, DCAT.endpointURL, DCAT.endpointDescription)
            for o in g.objects(None, p)}
    assert len(urls) >= 12
    for url in urls:
        assert follow(client, url) == 200, url


# --- one graph, three forms --------------------------------------------------------

def test_json_ld_turtle_and_rdf_xml_are_the_same_graph(client):
    graphs = {media: graph(client, media) for media in FORMS}
    explicit = {form: parse(client.get(f"/v1/catalog?format={form}")) for form in ("jsonld", "turtle", "rdfxml")}
    reference = graphs["application/ld+json"]
    assert len(reference) > 250  # the seeds' three years: every node, with its properties
    for g in [*graphs.values(), *explicit.values()]:
        assert len(g) == len(reference) and isomorphic(g, reference)
    assert not any(isinstance(n, rdflib.BNode) for t in reference for n in t)  # every node named: stable bytes


def test_each_form_is_the_same_bytes_each_time(client):
    for form in ("jsonld", "turtle", "rdfxml"):
        assert client.get(f"/v1/catalog?format={form}").data == client.get(f"/v1/catalog?format={form}").data


def test_json_ld_writes_each_node_once_from_the_catalog_down(client):
    body = client.get("/v1/catalog").json
    assert body["@id"] == "http://localhost/v1/catalog" and body["@type"] == "dcat:Catalog"
    full, refs = [], []

    def walk(value):
        if isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict) and "@id" in value:
            (refs if list(value) == ["@id"] else full).append(value["@id"])
            for key, v in value.items():
                if key != "@context":
                    walk(v)

    walk(body)
    assert len(full) == len(set(full)) > 30  # each described node written once in full
    assert body["dct:license"]["@type"] == "dct:LicenseDocument"  # at its first reach: the catalog
    assert [d["@id"].rsplit("#", 1)[1] for d in body["dcat:dataset"]] == [
        "corpus", "series", "year-2020", "year-2022", "year-2023"]


def test_nest_writes_a_node_where_it_is_first_reached():
    nodes = [{"@id": "a", "p": [{"@id": "c"}, {"@id": "b"}]}, {"@id": "b", "q": {"@id": "c"}},
             {"@id": "c", "r": {"@id": "a"}, "s": "x"}]
    assert nest(nodes, "a") == {"@id": "a", "p": [{"@id": "b", "q": {"@id": "c"}},
                                                  {"@id": "c", "r": {"@id": "a"}, "s": "x"}]}


# --- what portals check, in SPARQL --------------------------------------------------

def test_every_dataset_has_a_typed_licence(client):
    g = graph(client, "text/turtle")
    rows = select(g, """SELECT ?d ?licence WHERE { { ?d a dcat:Dataset } UNION { ?d a dcat:DatasetSeries }
                        ?d dct:license ?licence . ?licence a dct:LicenseDocument }""")
    datasets = set(g.subjects(RDF.type, DCAT.Dataset)) | set(g.subjects(RDF.type, DCAT.DatasetSeries))
    assert {d for d, _ in rows} == datasets and len(datasets) == 1 + 1 + 3
    assert {str(licence) for _, licence in rows} == {"https://creativecommons.org/licenses/by/4.0/"}
    untyped = select(g, "SELECT ?s WHERE { ?s dct:license ?l FILTER NOT EXISTS { ?l a dct:LicenseDocument } }")
    assert untyped == []


def test_every_distribution_has_a_typed_media_type_and_format(client):
    g = graph(client, "application/rdf+xml")
    rows = select(g, """SELECT ?dist ?media ?format WHERE { ?dist a dcat:Distribution ;
                        dcat:mediaType ?media ; dct:format ?format .
                        ?media a dct:MediaType . ?format a dct:MediaTypeOrExtent }""")
    distributions = set(g.subjects(RDF.type, DCAT.Distribution))
    assert {r[0] for r in rows} == distributions and len(rows) == len(distributions) == 7 + 2 * 3
    by_name = {str(d).rsplit("#", 1)[1]: (str(m), str(f).rsplit("/", 1)[1]) for d, m, f in rows}
    assert by_name["csv-cells"] == (IANA + "text/csv", "CSV")
    assert by_name["parquet"] == (IANA + "application/vnd.apache.parquet", "PARQUET")
    assert by_name["year-2022-api"] == (IANA + "application/json", "JSON")
    downloads = {str(d).rsplit("#", 1)[1] for d in g.subjects(DCAT.downloadURL, None)}
    assert {n for n in by_name if n not in downloads} == {"api-cells", "year-2020-api", "year-2022-api",
                                                          "year-2023-api"}  # a paged API is no download
    for d in downloads:  # a file's access URL is its download URL
        node = rdflib.URIRef(f"http://localhost/v1/catalog#{d}")
        assert g.value(node, DCAT.accessURL) == g.value(node, DCAT.downloadURL)


def test_issued_and_modified_are_typed_date_times_from_the_loads(client):
    g = graph(client)
    rows = select(g, """SELECT ?d ?issued ?modified WHERE { ?d a dcat:Dataset ; dct:issued ?issued ;
                        dct:modified ?modified
                        FILTER (datatype(?issued) = xsd:dateTime && datatype(?modified) = xsd:dateTime) }""")
    assert {d for d, _, _ in rows} == set(g.subjects(RDF.type, DCAT.Dataset))
    loaded = {}  # year -> (first, last load), read from the rows
    for report in Report.select():
        moment = report.loaded_at.replace(tzinfo=UTC, microsecond=0)
        first, last = loaded.get(report.year, (moment, moment))
        loaded[report.year] = (min(first, moment), max(last, moment))
    for d, issued, modified in rows:
        name = str(d).rsplit("#", 1)[1]
        if name == "corpus":
            expected = (min(f for f, _ in loaded.values()), max(m for _, m in loaded.values()))
        else:
            expected = loaded[int(name.removeprefix("year-"))]
        assert (issued.toPython(), modified.toPython()) == expected, name


def test_the_data_service_serves_every_dataset(client):
    g = graph(client, "text/turtle")
    rows = select(g, """SELECT ?service ?dataset ?endpoint ?description WHERE { ?service a dcat:DataService ;
                        dcat:servesDataset ?dataset ; dcat:endpointURL ?endpoint ;
                        dcat:endpointDescription ?description . ?dataset a dcat:Dataset }""")
    assert {r[1] for r in rows} == set(g.subjects(RDF.type, DCAT.Dataset))
    assert {(str(r[0]), str(r[2]), str(r[3])) for r in rows} == {
        ("http://localhost/v1/catalog#api", "http://localhost/v1/", "http://localhost/v1/openapi.json")}
    assert set(g.objects(None, DCAT.accessService)) == {rdflib.URIRef("http://localhost/v1/catalog#api")}


def test_publisher_is_an_agent_and_the_contact_a_kind_with_a_mailto(client):
    g = graph(client, "application/rdf+xml")
    publishers = select(g, "SELECT DISTINCT ?p ?name WHERE { ?x dct:publisher ?p . ?p a foaf:Agent ; foaf:name ?name }")
    assert [str(name) for _, name in publishers] == ["ogi-api"]
    contacts = select(g, """SELECT DISTINCT ?c ?email WHERE { ?x dcat:contactPoint ?c . ?c a vcard:Kind ;
                            vcard:hasEmail ?email }""")
    assert [str(email) for _, email in contacts] == ["mailto:opendata@localhost"]
    assert len(set(g.subjects(DCTERMS.publisher, None))) == len(set(g.subjects(DCAT.contactPoint, None))) == 1 + 5 + 1


def test_byte_size_is_told_of_a_file_on_disk_only(client):
    def sizes():
        g = graph(client)
        return {str(d).rsplit("#", 1)[1]: s for d, s in g.subject_objects(DCAT.byteSize)}

    assert sizes() == {}  # the Parquet file is made on first request; nothing is measured before
    parquet = client.get("/v1/bulk/cells.parquet")
    assert parquet.status_code == 200
    size = len(parquet.data)  # read before the next request closes it
    after = sizes()
    assert list(after) == ["parquet"]  # the CSV files and the data package are made as they are sent
    assert after["parquet"].datatype == namespace.XSD.nonNegativeInteger
    assert int(after["parquet"]) == size > 1000


# --- content negotiation and caching ------------------------------------------------

@pytest.mark.parametrize("accept, media", [
    (None, "application/ld+json"),
    ("*/*", "application/ld+json"),
    ("text/turtle", "text/turtle"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/turtle;q=0.9, application/ld+json;q=0.5", "text/turtle"),
    ("application/ld+json;q=0.9, text/turtle;q=0.5", "application/ld+json"),
    ("application/rdf+xml, text/turtle;q=0.8, */*;q=0.1", "application/rdf+xml"),
    ("application/json", "application/json"),  # the JSON-LD, named as asked
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/ld+json"),  # a browser
])
def test_accept_chooses_the_form(client, accept, media):
    response = client.get("/v1/catalog", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == media
    assert "Accept" in response.vary
    if media in ("text/turtle", "application/rdf+xml"):
        assert response.mimetype_params == {"charset": "utf-8"}
    assert len(parse(response) if media != "application/json" else
               rdflib.Graph().parse(data=response.get_data(as_text=True), format="json-ld")) > 250


def test_an_accept_the_catalog_cannot_serve(client):
    response = client.get("/v1/catalog", headers={"Accept": "image/png"})
    if response.status_code == 406:  # once the app refuses what it cannot serve
        assert response.mimetype == "application/problem+json"
    else:  # today: JSON-LD, as every resource answers an Accept it has no form for
        assert response.status_code == 200 and response.mimetype == "application/ld+json"


def test_format_overrides_accept_and_is_checked(client):
    response = client.get("/v1/catalog?format=rdfxml", headers={"Accept": "text/turtle"})
    assert response.mimetype == "application/rdf+xml"
    assert client.get("/v1/catalog?format=turtle").mimetype == "text/turtle"
    assert client.get("/v1/catalog?format=jsonld", headers={"Accept": "text/turtle"}).mimetype == "application/ld+json"
    bad = client.get("/v1/catalog?format=n3")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert client.get("/v1/catalog?fromat=turtle").status_code == 400  # unknown parameters refused, as elsewhere


def test_each_form_has_its_own_etag(client):
    turtle = client.get("/v1/catalog", headers={"Accept": "text/turtle"})
    jsonld = client.get("/v1/catalog", headers={"Accept": "application/ld+json"})
    explicit = client.get("/v1/catalog?format=turtle")
    etags = {r.headers["ETag"] for r in (turtle, jsonld, explicit)}
    assert len(etags) == 3 and all(r.headers["Cache-Control"].startswith("public") for r in (turtle, jsonld))
    again = client.get("/v1/catalog", headers={"Accept": "text/turtle", "If-None-Match": turtle.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and "Accept" in again.vary
    other = client.get("/v1/catalog", headers={"Accept": "application/ld+json",
                                                "If-None-Match": turtle.headers["ETag"]})
    assert other.status_code == 200 and other.mimetype == "application/ld+json"
    assert client.get("/v1/catalog?format=turtle",
                      headers={"If-None-Match": explicit.headers["ETag"]}).status_code == 304
    head = client.head("/v1/catalog", headers={"Accept": "application/rdf+xml"})
    assert head.status_code == 200 and head.mimetype == "application/rdf+xml" and head.data == b""


def test_an_empty_database_has_a_catalog(db, db_url, tmp_path):
    from api import create_app

    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "EXPORT_DIR": str(tmp_path / "exports")})
    client = app.test_client()
    graphs = [graph(client, media) for media in FORMS]
    assert all(isomorphic(g, graphs[0]) for g in graphs)
    g = graphs[0]
    assert list(g.subjects(RDF.type, DCAT.Catalog)) and not list(g.subjects(DCAT.inSeries, None))
    assert not list(g.objects(None, DCTERMS.issued)) and not list(g.objects(None, DCTERMS.temporal))


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
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", d["issued"]) and d["issued"] <= d["modified"]
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
    turtle = client.get("/v1/catalog", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "<https://data.example.gov.cn/ogi/v1/catalog> a dcat:Catalog" in turtle
    assert ('<https://data.example.gov.cn/ogi/v1/catalog#publisher> a foaf:Agent ;\n'
            '    foaf:name "某市政务公开办"') in turtle
