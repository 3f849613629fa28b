"""F-ORG-4: lockout (per account and per address, lifting after the cool-off), no user
enumeration, every login and failure audited, logout by POST, language of the user."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from guanxi.core.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"


def attempt(client, username, password="wrong-password-1", ip="10.1.1.1"):
    return client.post(URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_page_and_success_audited(company, client):
    page = client.get(URL)
    assert page.status_code == 200 and b'name="username"' in page.content
    response = attempt(client, "rep", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    ev = AuditEvent.objects.get(event_type="auth.login")
    assert ev.actor_id == company.rep.pk and ev.ip == "10.1.1.1" and ev.source == "web"


def test_same_message_for_unknown_user_wrong_password_and_inactive(company, client):
    unknown = attempt(client, "nobody-here", ip="10.0.0.1")
    wrong = attempt(client, "rep", ip="10.0.0.2")
    company.service.is_active = False
    company.service.save()
    inactive = attempt(client, "service", PASSWORD, ip="10.0.0.3")
    bodies = []
    for r in (unknown, wrong, inactive):
        assert r.status_code == 200
        bodies.append(r.context["form"].non_field_errors())
    assert bodies[0] == bodies[1] == bodies[2]
    assert "username or password is not correct" in str(bodies[0]).lower() or bodies[0]
    fails = AuditEvent.objects.filter(event_type="auth.login_failed")
    assert fails.count() == 3
    assert {e.data["username"] for e in fails} == {"nobody-here", "rep", "service"}
    assert all("password" not in e.data for e in fails)


def test_lockout_per_account(company, client):
    for i in range(4):
        assert attempt(client, "rep", ip=f"10.2.0.{i}").status_code == 200
    locked = attempt(client, "rep", ip="10.2.0.9")
    assert locked.status_code == 429
    assert b"15" in locked.content
    # The right password from yet another address is refused while locked.
    assert attempt(client, "rep", PASSWORD, ip="10.2.0.77").status_code == 429
    assert not client.session.get("_auth_user_id")
    # Another account from another address is not affected.
    assert attempt(client, "rep2", PASSWORD, ip="10.3.0.1").status_code == 302


def test_lockout_per_address(company, client):
    for i in range(4):
        assert attempt(client, f"guess{i}", ip="10.9.9.9").status_code == 200
    assert attempt(client, "guess5", ip="10.9.9.9").status_code == 429
    # Even a real user with the right password is held at that address ...
    assert attempt(client, "rep", PASSWORD, ip="10.9.9.9").status_code == 429
    # ... but not elsewhere.
    assert attempt(client, "rep", PASSWORD, ip="10.9.9.10").status_code == 302


def test_lockout_lifts_after_the_cool_off(company, client):
    for i in range(5):
        attempt(client, "rep", ip=f"10.4.0.{i}")
    assert attempt(client, "rep", PASSWORD, ip="10.4.0.50").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert attempt(client, "rep", PASSWORD, ip="10.4.0.50").status_code == 302


def test_lockout_page_text(company, client):
    for _ in range(5):
        response = attempt(client, "rep")
    assert response.status_code == 429
    assert "accounts/locked.html" in [t.name for t in response.templates]
    assert b"15" in response.content


def test_logout_is_post_only_and_audited(company, client):
    attempt(client, "rep", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type="auth.logout", actor=company.rep).exists()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_login_applies_the_users_language(company, client):
    company.rep.language = "en"
    company.rep.save()
    client.cookies["django_language"] = "zh-hans"
    attempt(client, "rep", PASSWORD)
    assert client.session["_language"] == "en"
    page = client.get(reverse("accounts:profile"))
    assert page.wsgi_request.LANGUAGE_CODE == "en"


def test_profile_language_is_saved_and_applied(company, client_for):
    c = client_for(company.rep)
    response = c.post(reverse("accounts:profile"), {"language": "en"})
    assert response.status_code == 302
    company.rep.refresh_from_db()
    assert company.rep.language == "en"
    assert c.get(reverse("accounts:profile")).wsgi_request.LANGUAGE_CODE == "en"
    c.post(reverse("accounts:profile"), {"language": "zh-hans"})
    assert c.get(reverse("accounts:profile")).wsgi_request.LANGUAGE_CODE == "zh-hans"


def test_next_parameter_is_kept_and_safe(company, client):
    r = client.post(URL + "?next=/org/users/", {"username": "rep", "password": PASSWORD, "next": "/org/users/"})
    assert r["Location"] == "/org/users/"
    client.post(reverse("accounts:logout"))
    r = client.post(URL, {"username": "rep", "password": PASSWORD, "next": "https://evil.example.com/"})
    assert r["Location"] == reverse("dashboard")


def test_passwords_are_hashed_with_argon2_in_production(company, client):
    # The suite speeds hashing up with MD5; the production setting is what is checked here.
    from django.test import override_settings

    from guanxi import settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=prod.PASSWORD_HASHERS):
        company.rep.set_password("Another-Strong-pass-42")
        company.rep.save()
        company.rep.refresh_from_db()
        assert company.rep.password.startswith("argon2$argon2id$")
        assert attempt(client, "rep", "Another-Strong-pass-42").status_code == 302


def test_lockout_follows_the_policy(company, client, monkeypatch):
    """security.lockout_failures and lockout_window_minutes rule the next attempt."""
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["security"].update(lockout_failures=3, lockout_window_minutes=30)
    policy = policy_services.validate(data).with_version(7)
    monkeypatch.setattr(policy_services, "current", lambda: policy)
    for i in range(2):
        assert attempt(client, "rep", ip=f"10.5.0.{i}").status_code == 200
    locked = attempt(client, "rep", ip="10.5.0.9")
    assert locked.status_code == 429 and b"30" in locked.content
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert attempt(client, "rep", PASSWORD, ip="10.5.0.50").status_code == 429  # 15 minutes are not enough
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert attempt(client, "rep", PASSWORD, ip="10.5.0.50").status_code == 302
