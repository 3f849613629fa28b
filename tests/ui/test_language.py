"""zh-Hans by default; the language switch changes the page and is remembered on the user."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import BACKEND

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang>"
    return match.group(1)


def test_chinese_is_the_default_even_if_the_browser_prefers_english(plain_user, client_for):
    assert html_lang(Client().get(reverse("accounts:login"))) == "zh-hans"
    assert html_lang(Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("accounts:login"))) == "zh-hans"
    assert html_lang(client_for(plain_user).get("/")) == "zh-hans"


def test_switching_to_english_is_remembered_on_the_user(plain_user, client_for):
    client = client_for(plain_user)
    response = client.post(reverse("switch_language"), {"language": "en", "next": reverse("audit:workdays")})
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:workdays")
    assert html_lang(client.get("/")) == "en"
    plain_user.refresh_from_db()
    assert plain_user.language == "en"

    # Sign out and in again from a browser that has never seen the choice: still English.
    client.post(reverse("accounts:logout"))
    fresh = Client()
    fresh.force_login(plain_user, backend=BACKEND)
    assert html_lang(fresh.get("/")) == "en"

    # And back to Chinese.
    fresh.post(reverse("switch_language"), {"language": "zh-hans", "next": "/"})
    assert html_lang(fresh.get("/")) == "zh-hans"
    plain_user.refresh_from_db()
    assert plain_user.language == "zh-hans"


def test_signed_out_visitor_can_switch_too():
    client = Client()
    client.post(reverse("switch_language"), {"language": "en", "next": reverse("accounts:login")})
    assert html_lang(client.get(reverse("accounts:login"))) == "en"


def test_unknown_language_and_foreign_redirect_are_ignored(plain_user, client_for):
    client = client_for(plain_user)
    response = client.post(reverse("switch_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    plain_user.refresh_from_db()
    assert plain_user.language == "zh-hans"


def test_switch_needs_post(plain_user, client_for):
    assert client_for(plain_user).get(reverse("switch_language")).status_code == 405


def test_menu_offers_both_languages(plain_user, client_for):
    html = client_for(plain_user).get("/").content.decode()
    assert f'action="{reverse("switch_language")}"' in html
    assert 'value="en"' in html and 'value="zh-hans"' in html
