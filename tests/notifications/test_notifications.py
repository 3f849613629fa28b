"""Notifications: a user sees only their own; mark one / all read; the bell count; the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.notifications import services
from guanxi.notifications.models import Notification
from tests.support import org

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    unit = org.make_unit("N Company", kind="company")
    alice = org.make_user("sales_rep", unit, username=org.unique("alice"))
    bob = org.make_user("sales_rep", unit, username=org.unique("bob"))
    services.notify([alice], kind="test.one", title="Alice first", url="/customers/")
    services.notify([alice], kind="test.two", title="Alice second", body="Details", url="https://evil.example.com/")
    services.notify([bob], kind="test.one", title="Bob only")
    return alice, bob


def test_list_shows_only_own_notifications(people, login):
    alice, bob = people
    body = login(alice).get(reverse("notifications:list")).content.decode()
    assert "Alice first" in body and "Alice second" in body and "Bob only" not in body
    body = login(bob).get(reverse("notifications:list")).content.decode()
    assert "Bob only" in body and "Alice" not in body


def test_unread_first_and_filters(people, login):
    alice, _bob = people
    first = Notification.objects.get(title="Alice first")
    services.mark_read(alice, [Notification.objects.get(title="Alice second").pk])
    client = login(alice)
    page = client.get(reverse("notifications:list"))
    assert [n.title for n in page.context["notifications"]] == ["Alice first", "Alice second"]
    assert [n.pk for n in client.get(reverse("notifications:list"), {"show": "unread"}).context["notifications"]] == [first.pk]
    assert [n.title for n in client.get(reverse("notifications:list"), {"show": "read"}).context["notifications"]] == ["Alice second"]
    assert client.get(reverse("notifications:list"), {"show": "bogus", "page": "x"}).status_code == 200


def test_pagination(people, login):
    alice, _ = people
    for i in range(40):
        services.notify([alice], kind="test.bulk", title=f"Bulk {i}")
    client = login(alice)
    assert len(client.get(reverse("notifications:list")).context["notifications"]) == 30
    assert len(client.get(reverse("notifications:list"), {"page": 2}).context["notifications"]) == 12


def test_mark_one_and_all_read(people, login):
    alice, bob = people
    client = login(alice)
    first = Notification.objects.get(title="Alice first")
    bobs = Notification.objects.get(recipient=bob)
    assert client.post(reverse("notifications:mark_read", args=[bobs.pk])).status_code == 404
    assert client.get(reverse("notifications:mark_read", args=[first.pk])).status_code == 405
    assert client.post(reverse("notifications:mark_read", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None and services.unread_count(alice) == 1
    client.post(reverse("notifications:mark_all_read"))
    assert services.unread_count(alice) == 0
    assert services.unread_count(bob) == 1


def test_open_marks_read_and_follows_only_local_links(people, login):
    alice, bob = people
    client = login(alice)
    first = Notification.objects.get(title="Alice first")
    second = Notification.objects.get(title="Alice second")
    response = client.get(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/customers/"
    response = client.get(reverse("notifications:open", args=[second.pk]))
    assert response["Location"] == reverse("notifications:list")  # an outside link is not followed
    assert services.unread_count(alice) == 0
    assert client.get(reverse("notifications:open", args=[Notification.objects.get(recipient=bob).pk])).status_code == 404


def test_bell_count_is_cached_and_follows_new_and_read_notifications(people, login):
    alice, bob = people
    client = login(alice)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'id="notification-bell"' in body and 'data-unread="2"' in body
    # The next page reads the count from the cache: no notification query at all.
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("dashboard"))
    assert not any("notifications_notification" in q["sql"] for q in ctx.captured_queries)
    services.mark_read(alice)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'id="notification-bell"' in body and "data-unread" not in body
    services.notify([alice, bob], kind="test", title="Third")
    assert 'data-unread="1"' in client.get(reverse("dashboard")).content.decode()


def test_anonymous_gets_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert APIClient().get("/api/notifications/").status_code in (401, 403)


def test_api_own_notifications_and_mark_read(people):
    alice, bob = people
    client = APIClient()
    client.force_login(alice, backend="guanxi.accounts.backends.PositionBackend")
    data = client.get("/api/notifications/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert {r["title"] for r in rows} == {"Alice first", "Alice second"}
    first = Notification.objects.get(title="Alice first")
    bobs = Notification.objects.get(recipient=bob)
    assert client.get(f"/api/notifications/{bobs.pk}/").status_code == 404
    assert client.post(f"/api/notifications/{bobs.pk}/read/").status_code == 404
    response = client.post(f"/api/notifications/{first.pk}/read/")
    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 1}
    data = client.get("/api/notifications/", {"unread": "true"}).json()
    rows = data["results"] if isinstance(data, dict) else data
    assert [r["title"] for r in rows] == ["Alice second"]
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1, "unread": 0}
    assert services.unread_count(bob) == 1


def test_the_bell_count_comes_with_the_signed_in_user(people, login, monkeypatch):
    """The unread count is read in the same cache round trip as the user row; a change in the
    same request drops it (no stale count), and the request's end clears it."""
    from django.core.cache import caches

    from guanxi.accounts.backends import PositionBackend
    from guanxi.core import cache_versions

    alice, _bob = people
    key = services.unread_count_key(alice.pk)
    cache = caches["default"]  # the object behind the proxy the services use
    cache.set(key, 7)
    user = PositionBackend().get_user(alice.pk)
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda k, *a, **kw: pytest.fail("a read of its own") if k == key else real_get(k, *a, **kw))
    assert services.unread_count(user) == 7
    monkeypatch.setattr(cache, "get", real_get)

    services.mark_read(user)  # forgets the cached count, and the one read along
    assert cache_versions.read_along(key) is None
    assert services.unread_count(user) == 0

    cache.set(key, 4)
    login(alice).get(reverse("notifications:list"))
    assert cache_versions.read_along(key) is None  # not carried into the next request on this thread
