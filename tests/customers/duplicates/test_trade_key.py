"""normalize.trade_key: the trade name 字号 of a company name (行政区划 + 字号 + 行业 + 组织形式)."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Customer
from guanxi.customers.normalize import trade_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("南京宏达新材料科技有限公司", "宏达"),
        ("江苏省南京市宏达钢铁集团有限公司", "宏达"),
        ("华新钢铁", "华新"),
        ("苏州宏达贸易有限公司", "宏达"),
        ("武汉华新钢铁集团有限公司", "华新"),
        ("深圳市华为技术有限公司", "华为"),
        ("广西壮族自治区南宁市宏达化工有限公司", "宏达"),
        ("中国宏达实业集团有限公司", "宏达"),
        ("南京市玄武区宏达五金建材店", "宏达"),
        ("玄武区宏达钢材门市部", "宏达"),
        ("浦东新区宏达电子有限公司", "宏达"),
        ("宏达（上海）钢铁有限公司", "宏达"),
        ("华新钢铁 （集团）", "华新"),
        ("宏达钢铁有限公司南京分公司", "宏达"),
        ("宏达钢铁有限公司（南京分公司）", "宏达"),
        ("ＡＢＣ科技有限公司", "abc"),
        ("Shanghai Brightstar Trading Co., Ltd.", "brightstar"),
    ],
)
def test_region_industry_and_form_are_stripped(name, key):
    assert trade_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("南京钢铁", "南京"),  # no trade name beyond the city: the city stays
        ("南京泰安钢铁有限公司", "泰安"),  # a trade name that is also a city name
        ("中山机械有限公司", "中山"),
        ("钢铁贸易有限公司", "钢铁"),
        ("中国石化", "中国石化"),  # 中国 alone is no trade name
        ("公司", "公司"),
        ("宏", "宏"),
        ("", ""),
        (None, ""),
    ],
)
def test_at_least_two_characters_stay(name, key):
    assert trade_key(name) == key


def test_width_case_and_spaces_fold():
    assert trade_key("南京 宏达 新材料科技 有限公司") == trade_key("南京宏达新材料科技有限公司") == "宏达"
    assert trade_key("ＡＢＣ Trading") == trade_key("abc trading")


def test_refresh_keys_sets_the_trade_key():
    from guanxi.customers.services import refresh_keys

    customer = Customer(name="苏州宏达贸易有限公司")
    assert refresh_keys(customer)
    assert customer.trade_key == "宏达"
    assert customer.name_key == "苏州宏达贸易"


def test_migration_fills_existing_rows(make_customer, monkeypatch):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("guanxi.customers.migrations.0010_customer_trade_key")
    monkeypatch.setattr(migration, "CHUNK", 2)  # several chunks, one of them empty
    customers = [make_customer(name) for name in ("苏州宏达贸易有限公司", "华新钢铁", "南京宏远新材料科技有限公司")]
    Customer.objects.update(trade_key="")
    Customer.objects.filter(pk=customers[1].pk).update(trade_key="华新")  # already right: left alone
    # The fill uses only the editor's connection (a real editor cannot open inside the test's
    # transaction on SQLite).
    migration.fill_trade_keys(apps, SimpleNamespace(connection=connection))
    assert dict(Customer.objects.values_list("name", "trade_key")) == {
        "苏州宏达贸易有限公司": "宏达",
        "华新钢铁": "华新",
        "南京宏远新材料科技有限公司": "宏远",
    }
