"""Quick search (header box → customers:search): pinyin initials, phone, contact name; scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SEARCH = reverse("customers:search")


def test_search_by_pinyin_initials_within_scope(env, make_customer, login):
    mine = make_customer("华新钢铁")
    make_customer("华夏钢铁", owner=env.other_rep, unit=env.units.sales)  # hxgt too, out of scope
    make_customer("长江电力")
    response = login(env.rep).get(SEARCH, {"q": "hxgt"})
    assert response.status_code == 200
    html = response.content.decode()
    results = html[html.index('id="search-results"') :]
    assert "华新钢铁" in results
    assert "华夏钢铁" not in results
    assert "长江电力" not in results
    assert mine.get_absolute_url() in results


def test_search_by_phone_and_contact_name(env, make_customer, login):
    make_customer("东方机械", phone="021-66668888", contacts=[{"name": "孙经理", "mobile": "13911112222"}])
    client = login(env.rep)
    assert "东方机械" in client.get(SEARCH, {"q": "021 6666 8888"}).content.decode()
    assert "东方机械" in client.get(SEARCH, {"q": "孙经理"}).content.decode()
    assert "东方机械" in client.get(SEARCH, {"q": "13911112222"}).content.decode()


def test_empty_and_missing_results(env, login):
    client = login(env.rep)
    assert client.get(SEARCH).status_code == 200
    assert "No customer found" in client.get(SEARCH, {"q": "zzzz"}).content.decode()


def test_header_box_only_for_users_who_may_view_customers(env, login, make_user):
    html = login(env.rep).get("/").content.decode()
    assert 'id="quick-search"' in html and f'action="{SEARCH}"' in html
    assert reverse("customers:list") in html[html.index("<aside") : html.index("</aside>")]
    nobody = make_user(None, env.units.sales, permissions=[])
    html = login(nobody).get("/").content.decode()
    assert 'id="quick-search"' not in html
    assert reverse("customers:list") not in html[html.index("<aside") : html.index("</aside>")]


def test_header_box_drops_down_the_first_matches_while_typing(env, make_customer, login):
    for i in range(10):
        make_customer(f"华新钢铁{i}号")
    make_customer("华夏钢铁", owner=env.other_rep, unit=env.units.sales)  # out of scope
    client = login(env.rep)
    home = client.get("/").content.decode()
    assert f'hx-get="{SEARCH}"' in home and 'hx-target="#quick-search-results"' in home
    response = client.get(SEARCH, {"q": "hxgt"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<aside" not in html  # a fragment, not a page
    assert html.count('class="list-group-item') == 8  # the first matches only …
    assert "华夏钢铁" not in html
    assert f'href="{SEARCH}?q=hxgt"' in html  # … and the way to all of them
    empty = client.get(SEARCH, {"q": "zzzz"}, HTTP_HX_REQUEST="true").content.decode()
    assert "No customer found" in empty and "<aside" not in empty
    assert client.get(SEARCH, {"q": ""}, HTTP_HX_REQUEST="true").content.decode().strip() == ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_hit_shows_name_category_code_phone_owner_and_status(env, make_customer, login, language):
    from django.utils import translation

    from guanxi.customers.models import Category, Status

    hit = make_customer(
        "华新<钢铁>&有限公司", is_key=True, credit_code="91350100M000100Y43", phone="021-66668888", category=Category.DISTRIBUTOR
    )
    plain = make_customer("华新钢铁二厂", status=Status.LOST)
    client = login(env.rep)
    session = client.session
    session["_language"] = language  # as the language switch does
    session.save()
    with translation.override(language):
        lost, distributor = str(Status.LOST.label), str(Category.DISTRIBUTOR.label)
    for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
        html = client.get(SEARCH, {"q": "hxgt"}, **headers).content.decode()
        items = html.split('class="list-group-item')[1:]
        assert len(items) == 2
        first, second = items  # newest first
        assert f'href="{plain.get_absolute_url()}"' in html.split('class="list-group-item')[0][-60:] + first
        assert "华新钢铁二厂" in first and lost in first and "ti-star-filled" not in first
        assert "华新&lt;钢铁&gt;&amp;有限公司" in second and "<钢铁>" not in second
        assert (
            hit.get_absolute_url() in first + second
            and "ti-star-filled" in second
            and "91350100M000100Y43" in second
            and "021-66668888" in second
        )
        assert distributor in second and env.rep.get_full_name() in second


def test_a_hit_found_through_a_contact_names_the_contact_with_a_masked_mobile(env, make_customer, login, make_user):
    make_customer("东方机械", contacts=[{"name": "孙经理", "mobile": "13911112222"}, {"name": "钱会计", "mobile": "13700001111"}])
    make_customer("孙氏五金")  # found by its own name: no contact line
    client = login(env.rep)
    for q in ("孙经理", "13911112222"):
        html = client.get(SEARCH, {"q": q}, HTTP_HX_REQUEST="true").content.decode()
        hit = next(item.split("</a>")[0] for item in html.split('class="list-group-item')[1:] if "东方机械" in item)
        assert "孙经理" in hit and "139****2222" in hit and "13911112222" not in hit and "钱会计" not in hit
    html = client.get(SEARCH, {"q": "孙"}, HTTP_HX_REQUEST="true").content.decode()
    own = next(item.split("</a>")[0] for item in html.split('class="list-group-item')[1:] if "孙氏五金" in item)
    assert "ti-user" not in own
    # Without the right to view contacts, the customer is still found but the contact is not named.
    no_contacts = make_user("ui_nocontacts", env.units.east, scope="all", permissions=["customers.view_customer"])
    html = login(no_contacts).get(SEARCH, {"q": "孙经理"}, HTTP_HX_REQUEST="true").content.decode()
    assert "东方机械" in html and "孙经理" not in html.replace("“孙经理”", "")
