"""The sidebar: every entry a user may open renders, entries without permission are hidden,
and a module whose URLs do not exist never breaks the page."""

import re

import pytest
from django.urls import reverse

from guanxi.core import navigation

from .conftest import nav_permissions

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> set[str]:
    aside = html[html.index("<aside") : html.index("</aside>")]
    return set(re.findall(r'href="(/[^"#]*)"', aside))


def test_every_nav_entry_renders_for_a_user_with_the_permission(admin_user, client_for):
    client = client_for(admin_user)
    entries = navigation.entries_for(admin_user)
    assert {e["url_name"] for e in entries} >= {"dashboard", "audit:list", "audit:workdays"}
    home = client.get("/").content.decode()
    for entry in entries:
        assert entry["url"] in nav_links(home), entry["url_name"]
        response = client.get(entry["url"])
        assert response.status_code == 200, (entry["url_name"], response.status_code)


def test_entries_without_permission_are_hidden_and_refused(plain_user, client_for):
    client = client_for(plain_user)
    links = nav_links(client.get("/").content.decode())
    visible = {e["url_name"] for e in navigation.entries_for(plain_user)}
    for node in navigation.MENU:
        for entry in getattr(node, "children", None) or (node,):
            if entry.perm is None:
                continue
            assert entry.url_name not in visible
            try:
                url = reverse(entry.url_name)
            except Exception:
                continue
            assert url not in links
            assert client.get(url).status_code == 403, entry.url_name
    assert reverse("dashboard") in links


def test_each_permission_shows_only_its_own_entry(ui_user, client_for):
    for code in sorted(nav_permissions()):
        user = ui_user([code])
        names = {e["url_name"] for e in navigation.entries_for(user)}
        gated = {e.url_name for node in navigation.MENU for e in (getattr(node, "children", None) or (node,)) if e.perm}
        shown = names & gated
        expected = {e.url_name for node in navigation.MENU for e in (getattr(node, "children", None) or (node,)) if e.perm == code}
        assert shown <= expected, (code, shown)


def test_entry_whose_url_does_not_exist_is_skipped(admin_user, client_for, monkeypatch):
    broken = navigation.Entry("Not built yet", "nowhere:list", "ti-x", None, "dashboard")
    monkeypatch.setattr(navigation, "MENU", (*navigation.MENU, broken))
    response = client_for(admin_user).get("/")
    assert response.status_code == 200
    assert "Not built yet" not in response.content.decode()


def test_active_entry_is_the_longest_match(admin_user):
    items = navigation.menu_for_user(admin_user, reverse("audit:workdays"))
    active = [e["url_name"] for item in items for e in (item["children"] or [item]) if e["active"]]
    assert active == ["audit:workdays"]
    items = navigation.menu_for_user(admin_user, "/")
    active = [e["url_name"] for item in items for e in (item["children"] or [item]) if e["active"]]
    assert active == ["dashboard"]


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
