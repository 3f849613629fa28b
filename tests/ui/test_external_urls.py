"""No page makes the browser fetch anything from another host (no CDN, no web fonts)."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from guanxi.core import navigation
from guanxi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL_ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background", "cite", "manifest", "ping"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)""", re.I)
ALLOWED_SCHEMES = {"", "data", "mailto", "tel"}


class UrlCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        for name, value in attrs:
            if not value:
                continue
            if name in URL_ATTRS:
                values = [v.strip().split(" ")[0] for v in value.split(",")] if name == "srcset" else [value]
                self.found += [(f"{tag}[{name}]", v) for v in values]
            elif name == "style":
                self.found += [(f"{tag}[style]", v) for v in CSS_URL.findall(value)]

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += [("style", v) for v in CSS_URL.findall(data) + CSS_IMPORT.findall(data)]


def external(url: str, host: str = "testserver") -> bool:
    url = url.strip()
    if url.startswith("//") or url.startswith("\\\\"):
        return True
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return parts.hostname != host
    return parts.scheme.lower() not in ALLOWED_SCHEMES


def assert_no_external_urls(html: str, page: str):
    collector = UrlCollector()
    collector.feed(html)
    bad = [(where, url) for where, url in collector.found if external(url)]
    assert not bad, f"{page} references other hosts: {bad}"


def test_detector_catches_external_references():
    for url in ("https://cdn.example.com/x.js", "//fonts.example.com/a.css", "http://evil/", "javascript:alert(1)", "ftp://x/"):
        assert external(url), url
    for url in ("/static/a.css", "?page=2", "#top", "http://testserver/x", "data:image/png;base64,AA", "mailto:a@b.c", "a.css"):
        assert not external(url), url
    collector = UrlCollector()
    collector.feed('<svg xmlns="http://www.w3.org/2000/svg"></svg><div style="background:url(https://x.org/a.png)"></div>')
    assert [u for _, u in collector.found] == ["https://x.org/a.png"]


def pages_for(admin_user) -> list[str]:
    urls = {e["url"] for e in navigation.entries_for(admin_user)}
    event = AuditEvent.objects.create(event_type="test.event", actor=admin_user, data={"k": "v"})
    AuditEvent.objects.create(event_type="auth.login", actor=admin_user)  # so the dashboard draws its chart
    urls |= {reverse("dashboard"), reverse("audit:list"), reverse("audit:detail", args=[event.pk]), reverse("audit:workdays")}
    urls |= {reverse("audit:workday_add"), "/no-such-page/"}
    return sorted(urls)


def test_signed_in_pages_reference_no_other_host(admin_user, client_for):
    client = client_for(admin_user)
    for url in pages_for(admin_user):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert_no_external_urls(response.content.decode(), url)


def test_public_and_error_pages_reference_no_other_host(plain_user, client_for):
    anonymous = Client()
    login = anonymous.get(reverse("accounts:login"))
    assert login.status_code == 200
    assert_no_external_urls(login.content.decode(), "login")
    assert_no_external_urls(anonymous.get("/no-such-page/").content.decode(), "404")
    forbidden = client_for(plain_user).get(reverse("audit:list"))
    assert forbidden.status_code == 403
    assert_no_external_urls(forbidden.content.decode(), "403")
    with override_settings(ROOT_URLCONF="tests.ui.urls"):
        error = Client(raise_request_exception=False).get("/test-boom/")
    assert error.status_code == 500
    assert_no_external_urls(error.content.decode(), "500")


def test_stylesheets_load_nothing_from_other_hosts():
    """Our CSS and the vendor CSS (fonts, images, @import) stay on this server."""
    static = Path(settings.STATICFILES_DIRS[0])
    sheets = sorted(static.rglob("*.css"))
    assert any("tabler" in p.name for p in sheets), "vendor assets missing: run scripts/build-assets.mjs"
    for path in sheets:
        text = path.read_text(encoding="utf-8", errors="replace")
        refs = CSS_URL.findall(text) + CSS_IMPORT.findall(text)
        bad = [r for r in refs if external(r) and not r.startswith("data:")]
        assert not bad, f"{path.relative_to(static)} loads {bad}"
