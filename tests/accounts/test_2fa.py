"""Optional TOTP second factor (django-otp); a role with require_2fa forces it."""

import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from guanxi.accounts import services
from guanxi.core.models import AuditEvent

from .conftest import PASSWORD, role_of

pytestmark = pytest.mark.django_db


def code(device, offset=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):0{device.digits}d}"


def password_login(client, username="rep"):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


def setup_device(client):
    """Go through the setup page; returns the confirmed device."""
    page = client.get(reverse("accounts:2fa_setup"))
    assert page.status_code == 200
    assert b"<svg" in page.content
    secret = page.context["secret"]
    assert re.fullmatch(r"[A-Z2-7=]+", secret)
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    bad = client.post(reverse("accounts:2fa_setup"), {"token": "000000" if code(device) != "000000" else "111111"})
    assert bad.status_code == 200 and bad.context["form"].errors
    # A failure makes the device wait before the next try (throttling); skip the wait.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    ok = client.post(reverse("accounts:2fa_setup"), {"token": code(device)})
    assert ok.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_optional_totp_flow(company, client):
    password_login(client)
    device = setup_device(client)
    assert AuditEvent.objects.filter(event_type="auth.2fa_enabled", actor=company.rep).exists()
    client.post(reverse("accounts:logout"))

    # With a device, the password alone is not enough.
    response = password_login(client)
    assert response["Location"].startswith(reverse("accounts:2fa"))
    held = client.get(reverse("accounts:profile"))
    assert held.status_code == 302 and held["Location"].startswith(reverse("accounts:2fa"))
    # The half-signed-in session cannot replace the device to get around the code.
    assert client.get(reverse("accounts:2fa_setup"))["Location"].startswith(reverse("accounts:2fa"))
    # Nor use the API with the session.
    assert client.get("/api/me/").status_code == 403

    wrong = client.post(reverse("accounts:2fa"), {"token": "12345x"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    # The throttle wants a pause after a failure; skip it.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    # The code of the setup step was used already (no replay): the next step's code, within
    # the device's tolerance, is accepted.
    ok = client.post(reverse("accounts:2fa") + "?next=/accounts/tokens/", {"token": code(device, 1), "next": "/accounts/tokens/"})
    assert ok.status_code == 302 and ok["Location"] == "/accounts/tokens/"
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get("/api/me/").status_code == 200
    assert AuditEvent.objects.filter(event_type="auth.2fa_verified").exists()


def test_wrong_code_is_audited_and_refused(company, client):
    password_login(client)
    device = setup_device(client)
    client.post(reverse("accounts:logout"))
    password_login(client)
    response = client.post(reverse("accounts:2fa"), {"token": "999999" if code(device) != "999999" else "888888"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(event_type="auth.2fa_failed").exists()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_role_requiring_2fa_forces_setup(company, client):
    role = role_of(company.rep)
    services.update_role(role, require_2fa=True)
    response = password_login(client)
    assert response.status_code == 302
    held = client.get(reverse("dashboard"))
    assert held["Location"].startswith(reverse("accounts:2fa"))
    setup_redirect = client.get(held["Location"])
    assert setup_redirect.status_code == 302 and setup_redirect["Location"].startswith(reverse("accounts:2fa_setup"))
    setup_device(client)
    assert client.get(reverse("accounts:profile")).status_code == 200
    # Switching it off is refused while the role requires it.
    client.post(reverse("accounts:2fa_disable"))
    assert TOTPDevice.objects.filter(user=company.rep, confirmed=True).exists()


def test_role_requirement_applies_to_a_running_session(company, client_for):
    c = client_for(company.rep)
    assert c.get(reverse("accounts:profile")).status_code == 200
    services.update_role(role_of(company.rep), require_2fa=True)
    assert c.get(reverse("accounts:profile"))["Location"].startswith(reverse("accounts:2fa"))


def test_disable_2fa_when_optional(company, client):
    password_login(client)
    setup_device(client)
    client.post(reverse("accounts:2fa_disable"))
    assert not TOTPDevice.objects.filter(user=company.rep).exists()
    assert AuditEvent.objects.filter(event_type="auth.2fa_disabled").exists()


def test_token_requests_are_not_held_by_2fa(company):
    services.update_role(role_of(company.rep), require_2fa=True)
    _t, key = services.create_api_token(company.rep, "bot")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/me/").json()["require_2fa"] is True


def test_code_from_the_neighbouring_time_step_is_accepted(company, client):
    password_login(client)
    device = setup_device(client)
    client.post(reverse("accounts:logout"))
    password_login(client)
    time.sleep(0)  # no clock games: drift -1 is within the device's tolerance
    assert client.post(reverse("accounts:2fa"), {"token": code(device, -1)}).status_code in (200, 302)
