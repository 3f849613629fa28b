"""Pages and API of grading: the customer panel, confirm/override, the quota page, the
reports, the figures import, the API actions and the OpenAPI schema."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.grading import engine, services
from guanxi.grading.models import BusinessFigure, CustomerGrade

pytestmark = pytest.mark.django_db
BACKEND = "guanxi.accounts.backends.PositionBackend"


def api(user):
    client = APIClient()
    client.force_login(user, backend=BACKEND)
    return client


def test_customer_page_shows_the_explanation_and_the_forms(env, customer, login, Y):
    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    page = login(env.manager).get(reverse("customers:detail", args=[c.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="grade-explanation"' in text and "grade-override-form" in text and "grade-confirm-form" in text
    assert "grading.schemes.abcd" in text
    rep_page = login(env.rep).get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert 'id="grade-explanation"' in rep_page and "grade-override-form" not in rep_page


def test_override_through_the_page(env, customer, login, Y):
    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    client = login(env.manager)
    url = reverse("grading:override", args=[c.pk])
    client.post(url, {"level": "A", "reason": ""})
    assert not CustomerGrade.objects.filter(customer=c, level="A").exists()
    response = client.post(url, {"level": "A", "reason": "Key account"}, follow=True)
    assert CustomerGrade.objects.get(customer=c).level == "A"
    assert response.status_code == 200
    assert login(env.rep).post(reverse("grading:confirm", args=[c.pk])).status_code == 403
    other = customer(unit=env.units.service, owner=env.other_rep)
    assert login(env.rep).post(reverse("grading:refresh", args=[other.pk])).status_code == 404


def test_quota_page_and_reports(env, customer, login, Y):
    cs = [customer(category="distributor") for _ in range(4)]
    engine.run(year=Y)
    client = login(env.manager)
    client.post(reverse("grading:override", args=[cs[0].pk]), {"level": "preferred", "reason": "x"})
    quota = client.get(reverse("grading:quota"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sales" in quota and ">1<" in quota and ">4<" in quota
    assert client.get(reverse("grading:grade_list")).status_code == 200
    assert client.get(reverse("grading:changes")).status_code == 200
    export = client.get(reverse("grading:changes_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert login(env.rep).get(reverse("grading:grade_list_export")).status_code == 403  # reps do not export
    run = client.post(reverse("grading:run"))
    assert run.status_code == 302
    assert login(env.rep).post(reverse("grading:run")).status_code == 403


def _xlsx(rows):
    from guanxi.customers.xlsx import write_workbook

    return io.BytesIO(write_workbook([("figures", ["客户名称", "年度", "销售额", "回款额", "逾期次数"], rows)]))


def test_import_reports_every_bad_row_and_saves_nothing(env, customer, login, Y):
    a = customer("甲公司")
    customer("乙公司")
    client = login(env.manager)
    bad = _xlsx(
        [
            ["甲公司", Y, "1000", "900", 0],
            ["无此公司", Y, "1", "1", 0],
            ["乙公司", "明年", "1", "1", 0],
            ["甲公司", Y, "-5", "0", 0],
            ["甲公司", Y, "2", "2", 0],
        ]
    )
    bad.name = "figures.xlsx"
    response = client.post(reverse("grading:figures_import"), {"file": bad})
    text = response.content.decode()
    assert response.status_code == 400 and 'id="import-errors"' in text
    assert text.count("<tr><td>") == 4  # rows 3, 4, 5, 6
    assert not BusinessFigure.objects.exists()
    good = _xlsx([["甲公司", Y, "1,000.5", "900", 1], ["乙公司", Y - 1, "20", "0", 0]])
    good.name = "figures.xlsx"
    response = client.post(reverse("grading:figures_import"), {"file": good})
    assert response.status_code == 302
    assert BusinessFigure.objects.get(customer=a, year=Y).sales == __import__("decimal").Decimal("1000.50")
    assert login(env.rep).get(reverse("grading:figures_import")).status_code == 200  # reps import their own figures


def test_api_confirm_and_override(env, customer, Y):
    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    grade = services.ensure_grade(c)
    url = f"/api/grading/grades/{grade.pk}/"
    assert api(env.manager).get(url + "explanation/").json()["level"] == "B"
    response = api(env.rep).post(url + "confirm/", {}, format="json")
    assert response.status_code == 403
    response = api(env.manager).post(url + "override/", {"level": "A", "reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["detail"].lower()
    response = api(env.manager).post(url + "confirm/", {}, format="json")
    assert response.status_code == 200 and response.json()["level"] == "B"
    assert api(env.manager).post("/api/grading/grades/", {}, format="json").status_code == 405


def test_openapi_schema_has_the_grading_endpoints_without_warnings(capsys):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/grading/grades/{id}/override/" in schema["paths"]
    assert "/api/grading/figures/" in schema["paths"]
    err = capsys.readouterr().err
    assert "grading" not in err.lower(), err
