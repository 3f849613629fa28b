"""Panels other apps add to the customer page (customers.panels): shown in their position with
their context, left out when they return None, and a failing panel never breaks the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers import panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(tmp_path, settings):
    (tmp_path / "panel_test.html").write_text('<div class="test-panel">{{ panel.text }} / {{ customer.name }}</div>')
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], str(tmp_path)]}]  # a new list resets the engines
    keys = []

    def add(key, context, position="side"):
        panels.register(key, template="panel_test.html", context=context, position=position)
        keys.append(key)

    yield add
    for key in keys:
        panels.unregister(key)


def test_panels_render_in_their_position_and_skip_none_or_failing(env, make_customer, login, registered):
    customer = make_customer("南京宏达贸易有限公司")
    registered("t_banner", lambda c, u: {"text": "banner-text"}, position="banner")
    registered("t_side", lambda c, u: {"text": f"side-for-{u.username}"})
    registered("t_none", lambda c, u: None, position="main")
    registered("t_broken", lambda c, u: 1 / 0, position="main")

    html = login(env.rep).get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "banner-text / 南京宏达贸易有限公司" in html
    assert f"side-for-{env.rep.username}" in html
    assert 'id="panel-t_side"' in html
    assert 'id="panel-t_none"' not in html and 'id="panel-t_broken"' not in html
    assert html.index("banner-text") < html.index("Company information")


def test_unknown_position_is_refused():
    with pytest.raises(ValueError):
        panels.register("x", template="x.html", context=lambda c, u: {}, position="footer")
