"""Pages, exports, the customer panel and the API of reviews."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from guanxi.approvals import services as approvals
from guanxi.reviews import services
from guanxi.reviews.models import DowngradeTask, Review, ReviewCycle

GOOD = {"contract_performance": "good", "payment_timeliness": "good", "credit": "good", "result": "good"}


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _sheet_text(response) -> str:
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None)


def test_pending_list_form_and_submit_by_the_owner(env, login):
    customer = env.customer("qualified")
    env.fill(10)
    services.open_cycle(env.dept, actor=env.dm)
    review = Review.objects.get(customer=customer)
    client = login(env.rep)
    page = client.get(reverse("reviews:pending"))
    assert page.status_code == 200 and customer.name in page.content.decode()
    assert client.get(reverse("reviews:edit", args=[review.pk])).status_code == 200
    response = client.post(reverse("reviews:edit", args=[review.pk]), {**GOOD, "proposed_level": "preferred", "submit": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "submitted" and review.proposed_level == "preferred"
    # submitting again from the page: refused with a message, nothing new
    client.post(reverse("reviews:submit", args=[review.pk]))
    assert Review.objects.get(pk=review.pk).approval_id == review.approval_id
    detail = client.get(reverse("reviews:detail", args=[review.pk]))
    assert detail.status_code == 200


def test_manager_opens_a_cycle_from_the_page(env, login):
    env.customer()
    client = login(env.dm)
    assert client.get(reverse("reviews:cycle_open")).status_code == 200
    response = client.post(reverse("reviews:cycle_open"), {"unit": env.dept.pk})
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302 and response["Location"] == cycle.get_absolute_url()
    again = client.post(reverse("reviews:cycle_open"), {"unit": env.dept.pk})
    assert again.status_code == 200 and ReviewCycle.objects.count() == 1
    assert client.get(reverse("reviews:cycle_list")).status_code == 200
    assert client.get(cycle.get_absolute_url()).status_code == 200


def test_classification_table_xlsx(env, login):
    customer = env.customer("qualified")
    env.fill(10)
    services.open_cycle(env.dept, actor=env.dm)
    review = services.submit_review(Review.objects.get(customer=customer), actor=env.rep, data={**GOOD, "proposed_level": "preferred"})
    approvals.approve(review.approval, env.dm)
    approvals.approve(review.approval, env.fin)
    response = login(env.dm).get(reverse("reviews:classification"), {"year": review.cycle.period_start.year})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    mine = next(r for r in rows if r[0] == customer.name)
    assert mine[4] == "preferred" and "preferred" in mine
    assert len(rows) == 12  # header + every customer of the scope
    assert login(env.odm).get(reverse("reviews:classification")).status_code == 200


def test_customer_page_panel_and_timeline_show_the_task(env, login):
    customer = env.customer("vip")
    services.record_incident(customer, actor=env.rep, kind="breach", serious=True, date=None, description="违约未交货")
    page = login(env.dm).get(customer.get_absolute_url()).content.decode()
    assert 'id="panel-reviews"' in page
    assert reverse("reviews:downgrade_detail", args=[DowngradeTask.objects.get().pk]) in page


def test_downgrade_pages_and_completion(env, login):
    customer = env.customer("vip")
    env.fill(10)
    services.record_incident(customer, actor=env.rep, kind="crisis", serious=True, date=None, description="经营危机")
    task = DowngradeTask.objects.get()
    client = login(env.dm)
    assert client.get(reverse("reviews:downgrade_list")).status_code == 200
    assert client.get(task.get_absolute_url()).status_code == 200
    response = client.post(reverse("reviews:downgrade_complete", args=[task.pk]), {"level": "preferred"})
    assert response.status_code == 302
    assert DowngradeTask.objects.get().status == "done"
    export = client.get(reverse("reviews:downgrade_export"))
    assert customer.name in _sheet_text(export)


def test_incident_page_from_the_customer(env, login):
    customer = env.customer("vip")
    client = login(env.rep)
    url = reverse("reviews:incident_create") + f"?customer={customer.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        reverse("reviews:incident_create"),
        {"customer": customer.pk, "kind": "late_payment", "serious": "on", "date": services.today().isoformat(), "description": "逾期"},
    )
    assert response.status_code == 302
    assert DowngradeTask.objects.filter(customer=customer).exists()


def test_api_fill_in_submit_and_submit_twice(env):
    customer = env.customer("qualified")
    env.fill(10)
    services.open_cycle(env.dept, actor=env.dm)
    review = Review.objects.get(customer=customer)
    api = _api(env.rep)
    url = f"/api/reviews/forms/{review.pk}/"
    assert api.patch(url, {"comment": "接口填写"}, format="json").status_code == 200
    first = api.post(url + "submit/", GOOD, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "submitted"
    second = api.post(url + "submit/", {}, format="json")
    assert second.status_code == 409 and second.json()["detail"] == "该阶段评价已提交，正在等待审批。"  # the user's language (zh-hans)
    assert api.post("/api/reviews/forms/", {}, format="json").status_code in (403, 405)


def test_api_incident_and_complete_task(env):
    customer = env.customer("vip")
    env.fill(10)
    response = _api(env.rep).post(
        "/api/reviews/incidents/", {"customer": customer.pk, "kind": "late_payment", "serious": True, "description": "逾期"}, format="json"
    )
    assert response.status_code == 201, response.content
    task = DowngradeTask.objects.get()
    done = _api(env.dm).post(f"/api/reviews/downgrade-tasks/{task.pk}/complete/", {}, format="json")
    assert done.status_code == 200 and done.json()["applied_level"] == "preferred"
    again = _api(env.dm).post(f"/api/reviews/downgrade-tasks/{task.pk}/complete/", {}, format="json")
    assert again.status_code == 409


def test_schema_has_no_warnings_for_reviews():
    err = io.StringIO()
    call_command("spectacular", "--validate", stdout=io.StringIO(), stderr=err)
    lines = [
        line
        for line in err.getvalue().splitlines()
        if "reviews" in line.lower() or "incident" in line.lower() or "downgrade" in line.lower()
    ]
    assert not lines, lines
