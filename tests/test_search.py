"""Full-text search: /v1/sections?q= and q= on /v1/reports, over the seeds' real prose,
on SQLite (FTS5, bm25) and PostgreSQL (tsvector, GIN, ts_rank)."""
from urllib.parse import quote

import pytest

from api import create_app
from loaders.load import load_paths
from loaders.store import retract_report
from models import Meta, Report, SearchDoc, Section, database, open_database
from models import schema as schema_module
from models.search import passage, query_tokens, tokens
from models.section import Section as SectionModel
from tests.conftest import SEEDS, seed


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def search(client, q, path="/v1/sections", extra=""):
    return get(client, f"{path}?q={quote(q)}&limit=1000{extra}")


def holding(word, current=True):
    """The ids of the stored sections whose title or text holds ``word`` (as Python reads it)."""
    query = Section.select(Section.id, Section.title, Section.text).join(Report)
    if current:
        query = query.where(Report.is_current == True)  # noqa: E712
    return {s.id for s in query if word in "".join(f"{s.title}\n{s.text}".split())}


# the tokenizer

def test_tokens_are_characters_pairs_and_words():
    assert tokens("行政复议 2021年 PDF") == ["行", "政", "复", "议", "行政", "政复", "复议", "2021", "年", "pdf"]
    assert tokens("标\n准化") == ["标", "准", "化", "标准", "准化"]  # a line broken inside a word
    assert tokens("ＡＢＣ１２３") == ["abc123"]  # width and case folded


def test_a_query_asks_for_pairs_a_lone_character_or_words():
    assert query_tokens("复议") == ["复议"]
    assert query_tokens("行政复议") == ["行政", "政复", "复议"]
    assert query_tokens("税") == ["税"]
    assert query_tokens("行政 税") == ["行政", "税"]  # a space parts words in a query
    assert query_tokens('"NEAR(a b)" -c:d* 复议') == ["near", "a", "b", "c", "d", "复议"]
    assert query_tokens("*** ：“”") == []


def test_the_passage_marks_the_matches_and_escapes_the_rest():
    text = "前言。" + "甲" * 50 + "。本机关办理行政复议案件<3>件，行政复议决定维持。" + "乙" * 200
    plain, html = passage(text, "行政复议")
    assert plain.startswith("…本机关办理行政复议案件<3>件") and plain.endswith("…")
    assert html.startswith("…本机关办理<mark>行政复议</mark>案件&lt;3&gt;件，<mark>行政复议</mark>决定维持。")
    assert passage("短文", None) == ("短文", "短文")
    assert passage("见ＰＤＦ文件与行政\n复议", "pdf 行政复议")[1] == "见<mark>ＰＤＦ</mark>文件与<mark>行政 复议</mark>"


# /v1/sections

def test_a_two_character_word_finds_the_sections_that_hold_it_ranked(client):
    body = search(client, "复议")
    expected = holding("复议")
    assert expected and {s["id"] for s in body["data"]} == expected
    assert body["meta"]["total"] == len(expected)
    scores = [s["score"] for s in body["data"]]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    for s in body["data"]:
        assert "复议" in s["passage"] and "<mark>复议</mark>" in s["passage_html"]
        assert s["is_current"] and s["numeral"] in "一二三四五六"


def test_the_section_that_says_it_most_ranks_first(client):
    body = search(client, "公开")
    counts = {s.id: s.text.count("公开") / max(len(s.text), 1) for s in SectionModel.select()}
    first = body["data"][0]["id"]
    assert counts[first] >= sorted(counts.values())[len(counts) // 2]  # denser than the median section


def test_a_word_not_there_finds_nothing(client):
    body = search(client, "蓝鲸")
    assert body["data"] == [] and body["meta"]["total"] == 0
    assert search(client, "zzzq")["data"] == []


def test_one_character_matches_by_itself(client):
    body = search(client, "税")
    assert {s["id"] for s in body["data"]} == holding("税") != set()
    assert all("<mark>税</mark>" in s["passage_html"] for s in body["data"])


def test_search_takes_the_list_filters_paging_and_csv(client):
    everything = search(client, "复议")["data"]
    in_2023 = search(client, "复议", extra="&year=2023")["data"]
    assert in_2023 and {s["id"] for s in in_2023} == {s["id"] for s in everything if s["year"] == 2023}
    page = get(client, f"/v1/sections?q={quote('复议')}&limit=2&offset=1")
    assert [s["id"] for s in page["data"]] == [s["id"] for s in everything[1:3]]
    assert page["meta"]["total"] == len(everything)
    by_year = search(client, "复议", extra="&sort=year")["data"]
    assert [s["year"] for s in by_year] == sorted(s["year"] for s in everything)
    csv = client.get(f"/v1/sections?q={quote('税')}&format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("id,report_id,agency_id,agency_name") and "<mark>税</mark>" in csv


def test_sections_without_q_are_listed_in_order(client):
    body = get(client, "/v1/sections?limit=1000")
    assert body["meta"]["total"] == Section.select().count()
    assert all(s["score"] is None for s in body["data"])


SPECIAL = ['"', "'", "*", "复议*", "NEAR", "NEAR(复议 行政)", "-复议", "body:复议", "agency : 晋江", "^复议",
           "a' OR '1'='1", "\\", "%", "_", "&|!():*", "AND", "OR 复议", "NOT 复议", "复议 OR 公开", "{body}: x",
           "'复议':*", "复议:D", "<mark>", ";", "--", "/*", "()", "𠀀𠀁", "\u200b", "复议" * 100]


@pytest.mark.parametrize("path", ["/v1/sections", "/v1/reports"])
def test_sql_and_fts_syntax_in_q_never_errors(client, path):
    for q in SPECIAL:
        response = client.get(f"{path}?q={quote(q)}")
        assert response.status_code == 200, (q, response.get_data(as_text=True))
    assert get(client, f"/v1/sections?q={quote('复议*')}")["meta"]["total"] == len(holding("复议"))
    assert get(client, f"/v1/sections?q={quote('NOT 复议')}")["data"] == []  # "not" is a word, not there


def test_a_query_of_punctuation_alone_finds_nothing(client):
    assert get(client, f"/v1/sections?q={quote('**，')}")["data"] == []


# q on /v1/reports

def test_q_on_reports_keeps_the_agency_name_substring(client):
    for part in ("西园", "城市管理", "人民政府", "晋江市西园街道"):
        names = [r["agency_name"] for r in search(client, part, "/v1/reports")["data"]]
        assert names and names[0].find(part) >= 0
        assert {n for n in names if part in n} == {a for a in _agency_names(client) if part in a}
    assert search(client, "（", "/v1/reports")["data"] == []  # punctuation: the substring alone


def _agency_names(client):
    return {a["name"] for a in get(client, "/v1/agencies?limit=100")["data"]}


def test_q_on_reports_searches_the_prose_ranked(client):
    body = search(client, "复议", "/v1/reports")
    assert {r["id"] for r in body["data"]} == {s.report_id for s in Section.select()
                                               if s.id in holding("复议")}
    assert search(client, "蓝鲸", "/v1/reports")["data"] == []
    both = search(client, "西园 复议", "/v1/reports")["data"]  # the agency's name and its prose
    assert [r["agency_name"] for r in both] == ["晋江市西园街道"]


def test_a_name_match_outranks_a_mention_in_the_prose(client):
    # 城市管理 is the name of one agency, and is written in other agencies' prose
    names = [r["agency_name"] for r in search(client, "城市管理", "/v1/reports")["data"]]
    assert names[0] == "晋江市城市管理局"


# the index kept up to date

def test_a_revision_and_a_retraction_change_what_is_found(db, db_url, tmp_path):
    original = seed("004").read_text(encoding="utf-8")
    assert "扎实做好全市政府信息公开日常工作" in original
    revised = tmp_path / "004_revised.txt"
    revised.write_text(original.replace("扎实做好全市政府信息公开日常工作", "扎实做好全市蓝鲸信息公开日常工作"),
                       encoding="utf-8")
    assert load_paths([seed("004"), revised]).counts == {"loaded": 1, "revised": 1}
    client = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    first, second = Report.select().order_by(Report.revision)
    assert [s["report_id"] for s in search(client, "蓝鲸")["data"]] == [second.id]
    assert search(client, "扎实做好全市政府信息")["data"] == []  # the old words: only in the old revision
    old = search(client, "扎实做好全市政府信息", extra="&revisions=all")["data"]
    assert [(s["report_id"], s["is_current"]) for s in old] == [(first.id, False)]
    assert [r["id"] for r in search(client, "蓝鲸", "/v1/reports")["data"]] == [second.id]

    retract_report(second)
    assert search(client, "蓝鲸")["data"] == []
    assert [s["report_id"] for s in search(client, "扎实做好全市政府信息")["data"]] == [first.id]
    assert load_paths([revised]).counts == {"unchanged": 1}  # loaded again: nothing new
    assert SearchDoc.select().where(SearchDoc.report == second.id).count() == 1 + Section.select().where(
        Section.report == second.id).count()


def test_version_9_databases_get_the_index_filled(db, db_url):
    load_paths(SEEDS)
    client = create_app({"DATABASE_URL": db_url, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    before = search(client, "复议")["data"]
    docs = SearchDoc.select().count()
    assert docs == Report.select().count() + Section.select().count()
    # a version 9 database: no search_doc, no FTS table
    if db_url.startswith("sqlite"):
        database.execute_sql("DROP TABLE search_fts")
    database.drop_tables([SearchDoc])
    Meta.update(value="9").where(Meta.key == "schema_version").execute()

    open_database(db_url)
    assert Meta.get(Meta.key == "schema_version").value == str(schema_module.SCHEMA_VERSION)
    assert SearchDoc.select().count() == docs
    after = search(client, "复议")["data"]
    assert [(s["id"], s["passage"]) for s in after] == [(s["id"], s["passage"]) for s in before]
    Meta.update(value="9").where(Meta.key == "schema_version").execute()
    open_database(db_url)  # migrated again, the index there already: made afresh, not doubled
    assert SearchDoc.select().count() == docs
    assert search(client, "复议")["data"] == after
