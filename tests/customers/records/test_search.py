"""Search (F-CUS-10): name, pinyin, initials, phone, mobile, credit code, contact name — within
the user's data scope, through indexed lookups."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.customers import services
from guanxi.customers.search import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(env, new_customer):
    huaxin = new_customer(
        "华新钢铁集团有限公司",
        credit_code="91350100M000100Y43",
        phone="021-12345678",
        contacts=[{"name": "王建国", "mobile": "13812345678"}],
    )
    chongqing = new_customer("重庆银行股份有限公司", phone="023-66668888", contacts=[{"name": "李明", "mobile": "13900001111"}])
    other = new_customer("华新钢铁贸易公司", actor=env.rep2)  # owned by rep2: outside rep's scope
    return huaxin, chongqing, other


def names(qs):
    return sorted(c.name for c in qs)


@pytest.mark.parametrize(
    "q",
    [
        "hxgt",
        "HXGT",
        "huaxin",
        "huaxingangtie",
        "华新",
        "华新钢铁",
        "华新钢铁有限公司",
        "钢铁集团",  # inside the name
        "91350100M000100Y43",
        "９１３５０１００ｍ０００１００ｙ４３",
        "91350100",
        "021-12345678",
        "(021) 1234 5678",
        "13812345678",
        "138 1234 5678",
        "１３８１２３４５６７８",
        "王建国",
        "王建",
    ],
)
def test_each_kind_of_query_finds_the_customer(env, data, q):
    huaxin = data[0]
    assert names(search(env.rep, q)) == [huaxin.name]


def test_pinyin_with_polyphones_and_initials(env, data):
    assert names(search(env.rep, "cqyh")) == ["重庆银行股份有限公司"]
    assert names(search(env.rep, "chongqing")) == ["重庆银行股份有限公司"]
    assert names(search(env.rep, "李明")) == ["重庆银行股份有限公司"]
    assert names(search(env.rep, "13900001111")) == ["重庆银行股份有限公司"]


def test_scope_applies(env, data):
    huaxin, _chongqing, other = data
    assert names(search(env.rep2, "hxgt")) == [other.name]
    assert names(search(env.manager, "hxgt")) == sorted([huaxin.name, other.name])
    assert names(search(env.gm, "华新钢铁")) == sorted([huaxin.name, other.name])
    assert list(search(env.admin, "hxgt")) == []  # the administrator sees no customer data
    # A team member sees the customer (from the next request on: the user as a request loads it).
    services.add_member(other, env.rep, actor=env.manager)
    rep = type(env.rep).objects.get(pk=env.rep.pk)
    assert names(search(rep, "hxgt")) == sorted([huaxin.name, other.name])


def test_empty_and_unmatched_queries(env, data):
    assert list(search(env.gm, "")) == []
    assert list(search(env.gm, "   ")) == []
    assert list(search(env.gm, "zzzz")) == []
    assert list(search(env.gm, "%")) == []
    assert list(search(env.gm, "'; drop table x; --")) == []


def test_search_is_one_query_for_names_and_two_with_contacts(env, data):
    with CaptureQueriesContext(connection) as ctx:
        list(search(env.gm, "hxgt", limit=20))
    # principal (positions, roles, subordinates) + contact names + customers
    assert len(ctx.captured_queries) <= 6


@pytest.mark.postgres_only
def test_no_leading_wildcard_without_trigram_index(env, data):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'customers_customer' AND indexdef LIKE '%%gin_trgm_ops%%'")
        defs = " ".join(r[0] for r in cursor.fetchall())
    assert "name_key" in defs and "pinyin" in defs
    # A two-character query cannot use trigrams on the name: its substring match is anchored
    # by the trigram-indexed pinyin; the name key is matched by prefix only.
    sql = str(search(env.gm, "华新").query)
    assert '"name_key"::text LIKE %华新%' not in sql
    assert '"pinyin"::text LIKE %huaxin%' in sql
    assert '"name_key"::text LIKE 华新%' in sql


def test_limited_search_is_newest_first_with_many_or_few_matches(env, new_customer, monkeypatch):
    from guanxi.customers import search as search_module

    made = [new_customer(f"华新钢铁{i}号", actor=env.rep) for i in range(6)]
    newest = [c.name for c in sorted(made, key=lambda c: -c.pk)]
    assert [c.name for c in search(env.rep, "hxgt", limit=4)] == newest[:4]
    # More matches than the candidate cap: the ordered query answers, with the same rows.
    monkeypatch.setattr(search_module, "CANDIDATES_MAX", 3)
    assert [c.name for c in search(env.rep, "hxgt", limit=4)] == newest[:4]
    assert search(env.rep, "", limit=4) == []


def test_drop_down_looks_inside_names_only_when_the_rest_is_short(env, new_customer):
    """Two Chinese characters: the drop-down (a limit) reads the slow "anywhere in the name"
    branch only when prefixes, contacts and the rest find fewer customers than it shows."""
    inside = new_customer("重庆冯峰贸易有限公司", actor=env.rep)  # 冯峰 inside the name only
    people = [new_customer(f"客户{i}号有限公司", actor=env.rep, contacts=[{"name": "冯峰"}]) for i in range(3)]
    # Three contacts named 冯峰 fill a drop-down of 3: the name holding 冯峰 is not read.
    with CaptureQueriesContext(connection) as ctx:
        shown = search(env.rep, "冯峰", limit=3)
    assert [c.pk for c in shown] == sorted((c.pk for c in people), reverse=True)
    if connection.vendor == "postgresql":  # SQLite matches inside names in one LIKE anyway
        assert not [q for q in ctx.captured_queries if "%冯峰%" in q["sql"]]
    # A longer list is not filled by them: the name matches too, newest first.
    assert [c.pk for c in search(env.rep, "冯峰", limit=8)] == sorted([inside.pk, *(c.pk for c in people)], reverse=True)
    # The full results page always includes it.
    assert inside in search(env.rep, "冯峰")
