"""F-ORG-3: deactivation and role changes take effect on the very next request; the policy's
idle and absolute session limits end a session."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.accounts import services
from guanxi.accounts.middleware import LAST_SEEN_SESSION_KEY, LOGIN_AT_SESSION_KEY
from guanxi.accounts.models import UserSession
from guanxi.core import context
from guanxi.core.models import AuditEvent

from .conftest import PASSWORD, role_of

pytestmark = pytest.mark.django_db


def login_form(client, username, password=PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def assert_to_login(response):
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(reverse("accounts:login"))


def test_deactivation_ends_every_session_at_once(company, client):
    from django.test import Client

    other = Client()
    assert login_form(client, "rep").status_code == 302
    assert login_form(other, "rep").status_code == 302
    profile = reverse("accounts:profile")
    assert client.get(profile).status_code == 200 and other.get(profile).status_code == 200
    assert UserSession.objects.filter(user=company.rep).count() == 2

    context.set_actor(company.admin.pk)
    services.deactivate_user(company.rep)
    context.end()

    assert_to_login(client.get(profile))
    assert_to_login(other.get(profile))
    assert not UserSession.objects.filter(user=company.rep).exists()
    assert not [s for s in Session.objects.all() if str(s.get_decoded().get("_auth_user_id")) == str(company.rep.pk)]
    ev = AuditEvent.objects.get(event_type="user.deactivated")
    assert ev.data["sessions_ended"] == 2 and ev.actor_id == company.admin.pk
    # And the password no longer works, with the same message as a wrong one.
    response = login_form(client, "rep")
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_deactivation_through_the_page(company, client_for):
    rep_client = client_for(company.rep)
    assert rep_client.get(reverse("accounts:profile")).status_code == 200
    admin = client_for(company.admin)
    response = admin.post(reverse("org:user_deactivate", args=[company.rep.pk]))
    assert response.status_code == 302
    assert_to_login(rep_client.get(reverse("accounts:profile")))


def test_deactivation_stops_api_tokens(company):
    _token, key = services.create_api_token(company.rep, "integration")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/me/").status_code == 200
    services.deactivate_user(company.rep)
    assert api.get("/api/me/").status_code == 401
    # Reactivating does not bring revoked tokens back.
    services.reactivate_user(company.rep)
    assert api.get("/api/me/").status_code == 401


def test_role_change_applies_on_the_next_request(company, client_for):
    c = client_for(company.manager)
    url = reverse("org:user_list")
    assert c.get(url).status_code == 200
    role = role_of(company.manager)
    services.update_role(role, permissions=[p for p in role.permissions if p != "accounts.view_user"])
    assert c.get(url).status_code == 403
    # Changing the position's role back restores access immediately, too.
    services.update_role(role, permissions=[*role.permissions, "accounts.view_user"])
    assert c.get(url).status_code == 200
    services.change_role(company.manager.positions.get(), company.roles["service_staff"])
    assert c.get(reverse("org:user_detail", args=[company.rep.pk])).status_code == 404  # scope "self" now


def test_removing_the_position_takes_access_away(company, client_for):
    c = client_for(company.admin)
    assert c.get(reverse("org:role_list")).status_code == 200
    services.remove_position(company.admin.positions.get())
    assert c.get(reverse("org:role_list")).status_code == 403


def _age_session(client, *, login_ago=0, seen_ago=0):
    session = client.session
    now = time.time()
    session[LOGIN_AT_SESSION_KEY] = now - login_ago
    session[LAST_SEEN_SESSION_KEY] = now - seen_ago
    session.save()


def test_idle_timeout_logs_out(company, client_for):
    c = client_for(company.rep)
    _age_session(c, login_ago=31 * 60, seen_ago=29 * 60)
    assert c.get(reverse("accounts:profile")).status_code == 200
    _age_session(c, login_ago=62 * 60, seen_ago=31 * 60)
    response = c.get(reverse("accounts:profile"))
    assert_to_login(response)
    assert "expired=1" in response["Location"]
    assert AuditEvent.objects.filter(event_type="auth.session_expired", data__reason="idle").exists()
    assert_to_login(c.get(reverse("accounts:profile")))
    page = c.get(response["Location"])
    assert "expired" in page.content.decode().lower() or page.context["expired"]


def test_absolute_timeout_logs_out_even_when_active(company, client_for):
    c = client_for(company.rep)
    _age_session(c, login_ago=11 * 3600 + 50 * 60, seen_ago=10)
    assert c.get(reverse("accounts:profile")).status_code == 200
    _age_session(c, login_ago=12 * 3600 + 60, seen_ago=10)
    assert_to_login(c.get(reverse("accounts:profile")))
    assert AuditEvent.objects.filter(event_type="auth.session_expired", data__reason="absolute").exists()


def test_timeout_reads_the_policy(company, client_for, monkeypatch):
    import guanxi.policy.services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["security"].update(idle_timeout_minutes=5, absolute_timeout_hours=1)
    strict = policy_services.validate(data).with_version(3)
    monkeypatch.setattr(policy_services, "current", lambda: strict)
    c = client_for(company.rep)
    _age_session(c, login_ago=60, seen_ago=6 * 60)
    assert_to_login(c.get(reverse("accounts:profile")))


def test_htmx_request_gets_a_full_page_redirect(company, client_for):
    c = client_for(company.rep)
    _age_session(c, login_ago=3600, seen_ago=3600)
    response = c.get(reverse("accounts:profile"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_session_api_call_after_idle_timeout_is_anonymous(company):
    api = APIClient()
    api.force_login(company.rep, backend="guanxi.accounts.backends.PositionBackend")
    assert api.get("/api/me/").status_code == 200
    session = api.session
    session[LAST_SEEN_SESSION_KEY] = time.time() - 3600
    session.save()
    assert api.get("/api/me/").status_code in (401, 403)


def test_password_change_by_admin_ends_sessions(company, client_for):
    c = client_for(company.rep)
    services.set_password(company.rep, "Another-strong-pass-42")
    assert_to_login(c.get(reverse("accounts:profile")))


def test_principal_is_cached_between_requests_until_access_changes(company, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(company.manager)
    url = reverse("org:user_list")
    assert c.get(url).status_code == 200

    def position_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("notifications:list")).status_code == 200
        return sum(1 for q in ctx.captured_queries if 'FROM "accounts_position"' in q["sql"])

    assert position_queries() == 0  # read from the cache
    role = role_of(company.manager)
    services.update_role(role, permissions=[p for p in role.permissions if p != "accounts.view_user"])
    assert position_queries() >= 1  # rebuilt after the change …
    assert c.get(url).status_code == 403  # … with the new permissions
    assert position_queries() == 0


def test_signed_in_user_is_cached_until_it_is_saved(company, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(company.rep)
    url = reverse("accounts:profile")

    def user_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        return response, sum(
            1 for q in ctx.captured_queries if q["sql"].startswith('SELECT "accounts_user"."id", "accounts_user"."password"')
        )

    c.get(url)
    response, queries = user_queries()
    assert response.status_code == 200 and queries == 0  # read from the cache
    company.rep.full_name = "改名后"
    company.rep.save()
    response, queries = user_queries()
    assert queries == 1 and "改名后" in response.content.decode()  # read again after the save
    assert user_queries()[1] == 0
    company.rep.is_active = False
    company.rep.save(update_fields=["is_active"])
    assert_to_login(c.get(url))


def test_signed_in_request_reads_the_principal_once_per_process(company, client_for, monkeypatch):
    """After the first request the principal comes from this process (keyed by the access
    version read with the user row); a role change still applies on the next request."""
    from django.core.cache import cache

    from guanxi.accounts import access

    c = client_for(company.manager)
    url = reverse("org:user_list")
    assert c.get(url).status_code == 200
    read = []
    real_get, real_get_many = cache.get, cache.get_many
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: read.append(key) or real_get(key, *a, **k))
    monkeypatch.setattr(cache, "get_many", lambda keys, *a, **k: read.extend(keys) or real_get_many(keys, *a, **k))
    assert c.get(url).status_code == 200
    assert not [k for k in read if k.startswith("guanxi:principal:")]
    assert access.ACCESS_VERSION_KEY in read
    role = role_of(company.manager)
    services.update_role(role, permissions=[p for p in role.permissions if p != "accounts.view_user"])
    assert c.get(url).status_code == 403


def test_a_principal_by_user_id_uses_the_version_read_with_the_user(company, monkeypatch):
    """Code that knows only the acting user's id (the duplicate check's blacklist flags) finds
    the principal under the access version read along with the signed-in user: no cache read
    of its own; a change of access in the request drops the version read along."""
    from django.core.cache import caches

    from guanxi.accounts import access
    from guanxi.accounts.backends import PositionBackend
    from guanxi.core import cache_versions

    version = access.access_version()  # made on first use
    user = PositionBackend().get_user(company.manager.pk)
    assert cache_versions.read_along(access.ACCESS_VERSION_KEY) == version
    access.principal_for(user)  # this process now holds it
    cache = caches["default"]
    real_get = cache.get
    monkeypatch.setattr(
        cache, "get", lambda k, *a, **kw: pytest.fail(f"a read of {k}") if k.startswith("guanxi:") else real_get(k, *a, **kw)
    )
    assert access.principal_by_id(company.manager.pk).unit_ids == access.principal_for(user).unit_ids
    monkeypatch.setattr(cache, "get", real_get)
    access.bump_access_version()
    assert cache_versions.read_along(access.ACCESS_VERSION_KEY) is None
    cache_versions.clear_read_along()


def test_a_user_object_held_across_a_role_change_gets_the_new_principal(company):
    """A task, a shell or a test may keep a user object while an administrator edits its role:
    its memoised principal is the one of the access version it was built for."""
    from guanxi.accounts import access

    user = type(company.manager).objects.get(pk=company.manager.pk)
    assert user.has_perm("accounts.view_user")
    role = role_of(company.manager)
    services.update_role(role, permissions=[p for p in role.permissions if p != "accounts.view_user"])
    assert not user.has_perm("accounts.view_user")
    assert "accounts.view_user" not in access.principal_for(user).permissions
