"""find_duplicates: normalised names, credit codes, phones and mobiles, across the whole
database; hits carry only id, name, owner, reasons and the blacklisted flag."""

from __future__ import annotations

import dataclasses

import pytest

from guanxi.core.errors import DomainError
from guanxi.customers.duplicates import DuplicateFound, Hit, check, find_duplicates
from guanxi.customers.models import Status
from guanxi.customers.validators import credit_code_check_char


def credit_code(body17: str = "91310115MA1K3YJ2X") -> str:
    return body17 + credit_code_check_char(body17)


def reasons(hits, customer):
    return next(h.reasons for h in hits if h.id == customer.pk)


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ("华新钢铁有限公司", "华新钢铁有限责任公司"),
        ("华新钢铁股份有限公司", "华新钢铁"),
        ("ＡＢＣ科技有限公司", "abc科技有限公司"),
        ("华新 钢铁 集团", "华新钢铁集团有限公司"),
        ("Shanghai Bright Trading Co., Ltd.", "SHANGHAI BRIGHT TRADING"),
        ("华新钢铁（武汉）有限公司", "华新钢铁(武汉)"),
    ],
)
def test_normalised_name_is_a_hit(make_customer, existing, typed):
    customer = make_customer(existing)
    hits = find_duplicates({"name": typed})
    assert [h.id for h in hits] == [customer.pk]
    assert hits[0].reasons == ("name",)


def test_different_name_is_no_hit(make_customer):
    make_customer("华新钢铁有限公司")
    assert find_duplicates({"name": "长江水泥有限公司"}) == []
    assert find_duplicates({}) == []
    assert find_duplicates({"name": "", "credit_code": "", "phone": ""}) == []


def test_similar_name_by_containment(make_customer):
    short = make_customer("华新钢铁有限公司")
    hits = find_duplicates({"name": "武汉华新钢铁有限公司"})
    assert reasons(hits, short) == ("similar_name",)
    assert not hits[0].strong or hits[0].reasons != ("similar_name",)


def test_short_names_are_not_looked_for_inside_the_new_name(make_customer):
    make_customer("新钢")  # key 新钢: too short for containment, trade name 新钢 ≠ 华新
    assert find_duplicates({"name": "华新钢铁"}) == []


def test_same_trade_name_in_another_city_is_a_similar_name(make_customer):
    """The live check must find the same 字号 across cities and industries (trade_key)."""
    suzhou = make_customer("苏州宏达贸易有限公司")
    nanjing_steel = make_customer("江苏省南京市宏达钢铁集团有限公司")
    make_customer("南京宏远新材料科技有限公司")  # another trade name, same city and industry
    hits = find_duplicates({"name": "南京宏达新材料科技有限公司"})
    assert sorted(h.id for h in hits) == sorted([suzhou.pk, nanjing_steel.pk])
    assert {h.reasons for h in hits} == {("similar_name",)}
    assert not any(h.strong for h in hits)


def test_new_name_contained_in_an_existing_one(make_customer):
    longer = make_customer("武汉华新钢铁集团有限公司")
    hits = find_duplicates({"name": "华新钢铁"})
    assert [(h.id, h.reasons) for h in hits] == [(longer.pk, ("similar_name",))]


def test_latin_names_with_the_same_distinctive_words(make_customer):
    similar = make_customer("Shanghai Brightstar Trading Co., Ltd.")
    hits = find_duplicates({"name": "Brightstar Logistics"})
    assert [(h.id, h.reasons) for h in hits] == [(similar.pk, ("similar_name",))]
    assert find_duplicates({"name": "Beijing Moon Logistics"}) == []


def test_similar_names_most_alike_first_and_limited(make_customer):
    others = [make_customer(f"{city}宏达{trade}有限公司") for city in ("广州", "成都", "西安") for trade in ("化工", "物流")]
    alike = make_customer("南京宏达新材料有限公司")
    hits = find_duplicates({"name": "南京宏达新材料科技有限公司"}, limit=3)
    assert len(hits) == 3
    assert hits[0].id == alike.pk
    assert {h.id for h in hits[1:]} <= {o.pk for o in others}


def test_live_check_uses_no_substring_or_trigram_search(make_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_customer("南京宏达新材料科技有限公司", phone="025-52345678")
    with CaptureQueriesContext(connection) as ctx:
        hits = find_duplicates({"name": "苏州宏达贸易有限公司", "phone": "021-12345678", "credit_code": credit_code()})
    assert [h.reasons for h in hits] == [("similar_name",)]
    sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
    assert " like " not in sql and "similarity(" not in sql and "%%" not in sql
    # credit code, phone, contacts' mobiles (none here: a landline), name, trade name,
    # contained names, the hits' rows, the blacklist entries (the acting user's units come
    # from the cached principal)
    assert len(ctx.captured_queries) <= 8


def test_credit_code_hit_accepts_full_width_and_lower_case(make_customer):
    code = credit_code()
    customer = make_customer("甲公司", credit_code=code)
    typed = code.lower().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    hits = find_duplicates({"name": "完全不同的名字", "credit_code": typed})
    assert [(h.id, h.reasons) for h in hits] == [(customer.pk, ("credit_code",))]


def test_phone_hit_on_customer_phone(make_customer):
    customer = make_customer("乙公司", phone="021-12345678")
    hits = find_duplicates({"name": "丙", "phone": "（021）1234 5678"})
    assert [(h.id, h.reasons) for h in hits] == [(customer.pk, ("phone",))]


def test_mobile_hit_on_contact_mobile(make_customer):
    customer = make_customer("丁公司", contacts=[{"name": "王五", "mobile": "13812345678"}])
    by_field = find_duplicates({"mobile": "138 1234 5678"})
    by_contact = find_duplicates({"name": "戊"}, contacts=[{"name": "x", "mobile": "+86 13812345678"}])
    assert [(h.id, h.reasons) for h in by_field] == [(customer.pk, ("mobile",))]
    assert [(h.id, h.reasons) for h in by_contact] == [(customer.pk, ("mobile",))]


def test_mobile_typed_as_phone_matches_customer_mobile_key(make_customer):
    customer = make_customer("己公司", phone="13900001111")
    hits = find_duplicates({"name": "庚"}, contacts=[{"mobile": "13900001111"}])
    assert [(h.id, h.reasons) for h in hits] == [(customer.pk, ("mobile",))]


def test_several_reasons_and_order(make_customer):
    code = credit_code()
    strong = make_customer("华新钢铁有限公司", credit_code=code, phone="021-12345678")
    weak = make_customer("华新钢铁有限责任公司")
    hits = find_duplicates({"name": "华新钢铁", "credit_code": code, "phone": "02112345678"})
    assert [h.id for h in hits] == [strong.pk, weak.pk]
    assert hits[0].reasons == ("credit_code", "phone", "name")
    assert hits[1].reasons == ("name",)


def test_excluded_and_merged_records_are_no_hits(make_customer):
    kept = make_customer("华新钢铁有限公司")
    merged = make_customer("华新钢铁集团", merged_into=kept)
    assert [h.id for h in find_duplicates({"name": "华新钢铁"})] == [kept.pk]
    assert find_duplicates({"name": "华新钢铁"}, exclude_pk=kept.pk) == []
    assert merged.pk not in [h.id for h in find_duplicates({"name": "华新钢铁"}, exclude_pk=kept.pk)]


def test_blacklisted_flag_and_owner_name(make_customer, org_env):
    customer = make_customer("黑名单公司", status=Status.BLACKLISTED, owner=org_env.rep_west, unit=org_env.west)
    (hit,) = find_duplicates({"name": "黑名单有限公司"})
    assert hit == Hit(id=customer.pk, name="黑名单公司", owner="李西", reasons=("name",), blacklisted=True)


def test_hit_carries_nothing_else(make_customer):
    make_customer("秘密公司", phone="021-87654321", address="上海市秘密路1号", credit_code=credit_code())
    (hit,) = find_duplicates({"name": "秘密公司"})
    # flags: labels other apps register (e.g. "Company blacklist"), never the record's data.
    assert {f.name for f in dataclasses.fields(hit)} == {"id", "name", "owner", "reasons", "blacklisted", "flags"}
    assert set(hit.as_dict()) == {"id", "name", "owner", "reasons", "blacklisted", "flags"}
    assert "秘密路" not in repr(hit)


def test_malformed_input_is_no_error(make_customer):
    make_customer("某公司", phone="021-12345678")
    assert find_duplicates({"name": "%_\\", "credit_code": "not a code", "phone": "abc", "mobile": "12"}) == []


def test_duplicate_found_is_a_domain_error(make_customer):
    make_customer("华新钢铁有限公司")
    with pytest.raises(DuplicateFound) as exc:
        check({"name": "华新钢铁"})
    assert isinstance(exc.value, DomainError)
    assert exc.value.status == 409
    assert exc.value.field == "name"
    assert [h.name for h in exc.value.hits] == ["华新钢铁有限公司"]
    assert "华新钢铁有限公司" in str(exc.value)
    assert check({"name": "华新钢铁"}, confirm=True)


def test_records_service_raises_duplicate_found(make_customer, org_env):
    services = pytest.importorskip("guanxi.customers.services")
    make_customer("华新钢铁有限公司", owner=org_env.rep_west, unit=org_env.west)
    with pytest.raises(DuplicateFound) as exc:
        services.create_customer(actor=org_env.rep_east, data={"name": "华新钢铁有限责任公司"})
    assert exc.value.hits[0].owner == "李西"
