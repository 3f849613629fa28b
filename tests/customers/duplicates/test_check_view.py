"""The live duplicate check on the create form (customers:duplicate_check): any user who may
add customers sees hits from the whole database, out-of-scope ones with name and owner only."""

from __future__ import annotations

from django.urls import reverse

from tests.support import org

URL = "customers:duplicate_check"


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse(URL), {"name": "华新钢铁"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_without_add_permission_is_forbidden(login, org_env):
    viewer = org.make_user("dup_viewer", org_env.east, scope="all", permissions=["customers.view_customer"])
    assert login(viewer).get(reverse(URL), {"name": "华新钢铁"}).status_code == 403


def test_out_of_scope_hit_shows_name_and_owner_only(login, org_env, make_customer):
    theirs = make_customer(
        "华新钢铁有限公司",
        unit=org_env.west,
        owner=org_env.rep_west,
        phone="021-87654321",
        address="武汉市青山区秘密路8号",
        legal_representative="秘密法人",
    )
    response = login(org_env.rep_east).get(reverse(URL), {"name": "华新钢铁有限责任公司"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "华新钢铁有限公司" in html
    assert "李西" in html  # the owner
    assert reverse("customers:detail", args=[theirs.pk]) not in html
    for secret in ("87654321", "秘密路", "秘密法人"):
        assert secret not in html


def test_in_scope_hit_links_to_the_record(login, org_env, make_customer):
    mine = make_customer("长江水泥有限公司", owner=org_env.rep_east)
    html = login(org_env.rep_east).get(reverse(URL), {"name": "长江水泥"}).content.decode()
    assert reverse("customers:detail", args=[mine.pk]) in html


def test_contact_numbers_of_the_inline_rows_are_checked(login, org_env, make_customer):
    make_customer("丁公司", unit=org_env.west, owner=org_env.rep_west, contacts=[{"name": "王五", "mobile": "13812345678"}])
    response = login(org_env.rep_east).get(reverse(URL), {"name": "新客户", "contacts-0-mobile": "138-1234-5678"})
    assert "丁公司" in response.content.decode()


def test_no_hit_and_bad_input_give_a_clean_fragment(login, org_env, make_customer):
    make_customer("某公司")
    client = login(org_env.rep_east)
    response = client.get(reverse(URL), {"name": "毫不相干", "credit_code": "bad", "phone": "x", "exclude": "abc"})
    assert response.status_code == 200
    assert "data-duplicates" not in response.content.decode()
    assert client.get(reverse(URL)).status_code == 200


def test_exclude_leaves_out_the_record_being_edited(login, org_env, make_customer):
    mine = make_customer("长江水泥有限公司")
    html = login(org_env.rep_east).get(reverse(URL), {"name": "长江水泥", "exclude": mine.pk}).content.decode()
    assert "data-duplicates" not in html
