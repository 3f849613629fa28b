"""Error pages are styled, translatable, link home, and never show a traceback."""

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from guanxi.core.views import error_500

pytestmark = pytest.mark.django_db

STYLED = "vendor/tabler/tabler.min.css"


@override_settings(DEBUG=False)
def test_404_page_is_styled(plain_user, client_for):
    for client in (Client(), client_for(plain_user)):
        response = client.get("/there-is-no-such-page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert STYLED in html
        assert 'class="page page-center"' in html
        assert '<html lang="zh-hans">' in html
        assert 'href="/"' in html
        assert "Traceback" not in html and "URLconf" not in html


@override_settings(DEBUG=False)
def test_403_page_is_styled(plain_user, client_for):
    response = client_for(plain_user).get(reverse("audit:list"))
    assert response.status_code == 403
    html = response.content.decode()
    assert STYLED in html and "403" in html and 'href="/"' in html


@override_settings(DEBUG=False, ROOT_URLCONF="tests.ui.urls")
def test_403_from_a_view_that_raises(plain_user, client_for):
    response = client_for(plain_user).get("/test-forbidden/")
    assert response.status_code == 403
    assert STYLED in response.content.decode()


@override_settings(DEBUG=False, ROOT_URLCONF="tests.ui.urls")
def test_500_page_is_styled_and_shows_no_traceback(plain_user, client_for):
    for client in (Client(raise_request_exception=False), client_for(plain_user, raise_request_exception=False)):
        response = client.get("/test-boom/")
        assert response.status_code == 500
        html = response.content.decode()
        assert STYLED in html and "500" in html and 'href="/"' in html
        for leak in ("Traceback", "RuntimeError", "internal detail", "test_errors.py"):
            assert leak not in html


def test_500_handler_does_not_touch_the_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = error_500(request)
    assert response.status_code == 500
    assert b"<html" in response.content


@override_settings(DEBUG=False, ROOT_URLCONF="tests.ui.urls")
def test_500_page_in_english(plain_user, client_for):
    plain_user.language = "en"
    plain_user.save()
    response = client_for(plain_user, raise_request_exception=False).get("/test-boom/")
    assert '<html lang="en">' in response.content.decode()
