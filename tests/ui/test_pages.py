"""Dashboard, audit log, working-day overrides and the generic object templates."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse

from guanxi.core import views as core_views
from guanxi.core.models import AuditEvent, WorkdayOverride

pytestmark = pytest.mark.django_db

WORKDAY_PERMS = [f"core.{a}_workdayoverride" for a in ("view", "add", "change", "delete")]


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_greets_by_name_and_role(ui_user, client_for):
    user = ui_user([], full_name="李雷", role_code="ui-dashboard-role")
    html = client_for(user).get("/").content.decode()
    assert "李雷" in html
    assert "UI role" in html  # the role's name, in the greeting and the user menu


def test_holiday_warning_only_for_those_who_can_fix_it(admin_user, plain_user, client_for, monkeypatch):
    monkeypatch.setattr(core_views.workdays, "unknown_years", lambda today=None: [2031])
    html = client_for(admin_user).get("/").content.decode()
    assert "2031" in html
    assert reverse("audit:workdays") in html
    assert "2031" not in client_for(plain_user).get("/").content.decode()


def test_login_chart_only_with_real_sign_ins(admin_user, client_for, monkeypatch):
    assert core_views._logins_per_day(admin_user) is None  # nobody has signed in yet
    client = client_for(admin_user)  # this sign-in is audited
    html = client.get("/").content.decode()
    assert 'id="login-chart"' in html
    assert "echarts.min.js" in html
    assert core_views._logins_per_day(admin_user)["values"][-1] == 1
    monkeypatch.setattr(core_views, "_logins_per_day", lambda user: None)
    assert 'id="login-chart"' not in client.get("/").content.decode()


def test_dashboard_survives_a_failing_card(admin_user, client_for, monkeypatch):
    def broken(user):
        raise RuntimeError("approvals down")

    monkeypatch.setattr(core_views, "_logins_per_day", broken)
    try:
        from guanxi.approvals import queries
    except ImportError:
        queries = None
    if queries is not None and hasattr(queries, "counts"):
        monkeypatch.setattr(queries, "counts", broken)
    assert client_for(admin_user).get("/").status_code == 200


# --- audit log -------------------------------------------------------------------------------


@pytest.fixture
def events(admin_user, plain_user):
    ct = ContentType.objects.get_for_model(WorkdayOverride)
    a = AuditEvent.objects.create(event_type="policy.activated", actor=admin_user, source="web", data={"version": 3, "note": "生效"})
    b = AuditEvent.objects.create(event_type="auth.login", actor=plain_user, source="api", subject_type=ct, subject_id="7")
    return a, b


def test_audit_list_filters(admin_user, client_for, events):
    a, b = events
    client = client_for(admin_user)
    html = client.get(reverse("audit:list")).content.decode()
    assert reverse("audit:detail", args=[a.pk]) in html and reverse("audit:detail", args=[b.pk]) in html
    for query in (
        {"event_type": "auth.login"},
        {"source": "api"},
        {"actor": b.actor_id},
        {"subject_type": b.subject_type_id, "subject_id": "7"},
    ):
        html = client.get(reverse("audit:list"), query).content.decode()
        assert reverse("audit:detail", args=[b.pk]) in html, query
        assert reverse("audit:detail", args=[a.pk]) not in html, query
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    html = client.get(reverse("audit:list"), {"date_from": tomorrow}).content.decode()
    assert reverse("audit:detail", args=[a.pk]) not in html


def test_audit_list_sorts_and_paginates(admin_user, client_for):
    AuditEvent.objects.bulk_create([AuditEvent(event_type=f"test.e{i:02d}", actor=admin_user) for i in range(60)])
    first = AuditEvent.objects.get(event_type="test.e00").get_absolute_url()
    last = AuditEvent.objects.get(event_type="test.e59").get_absolute_url()
    client = client_for(admin_user)
    page1 = client.get(reverse("audit:list"), {"sort": "event_type"}).content.decode()
    assert f'href="{first}"' in page1 and f'href="{last}"' not in page1
    assert "page=2" in page1 and "sort=event_type" in page1
    page2 = client.get(reverse("audit:list"), {"sort": "event_type", "page": 2}).content.decode()
    assert f'href="{last}"' in page2
    desc = client.get(reverse("audit:list"), {"sort": "-event_type"}).content.decode()
    assert f'href="{last}"' in desc and f'href="{first}"' not in desc


def test_audit_detail_shows_data_pretty(admin_user, client_for, events):
    a, _ = events
    html = client_for(admin_user).get(reverse("audit:detail", args=[a.pk])).content.decode()
    assert "policy.activated" in html
    assert "&quot;version&quot;: 3" in html
    assert "生效" in html  # not escaped to \\u codes


def test_audit_is_restricted_to_scope(ui_user, client_for, events, admin_user):
    a, _ = events
    own_only = ui_user(["core.view_auditevent"], scope="self")
    mine = AuditEvent.objects.create(event_type="test.mine", actor=own_only)
    client = client_for(own_only)
    html = client.get(reverse("audit:list")).content.decode()
    assert reverse("audit:detail", args=[mine.pk]) in html
    assert reverse("audit:detail", args=[a.pk]) not in html
    assert client.get(reverse("audit:detail", args=[a.pk])).status_code == 404


def test_audit_needs_permission(plain_user, client_for, events):
    client = client_for(plain_user)
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:detail", args=[events[0].pk])).status_code == 403


# --- working-day overrides -------------------------------------------------------------------


def test_workday_override_add_and_delete(ui_user, client_for):
    user = ui_user(WORKDAY_PERMS)
    client = client_for(user)
    assert client.get(reverse("audit:workdays")).status_code == 200
    response = client.post(reverse("audit:workday_add"), {"date": "2031-10-01", "is_workday": "", "note": "国庆节"})
    assert response.status_code == 302
    override = WorkdayOverride.objects.get(date=dt.date(2031, 10, 1))
    assert not override.is_workday and override.note == "国庆节"
    assert AuditEvent.objects.filter(event_type="workdays.override_added", subject_id=str(override.pk)).exists()
    html = client.get(reverse("audit:workdays")).content.decode()
    assert "国庆节" in html and reverse("audit:workday_delete", args=[override.pk]) in html

    # The confirmation page (generic template) and the delete itself.
    confirm = client.get(reverse("audit:workday_delete", args=[override.pk]))
    assert confirm.status_code == 200 and b"btn-danger" in confirm.content
    assert client.post(reverse("audit:workday_delete", args=[override.pk])).status_code == 302
    assert not WorkdayOverride.objects.filter(pk=override.pk).exists()
    assert AuditEvent.objects.filter(event_type="workdays.override_deleted").exists()


def test_workday_form_errors_keep_the_input(ui_user, client_for):
    user = ui_user(WORKDAY_PERMS)
    client = client_for(user)
    WorkdayOverride.objects.create(date=dt.date(2031, 1, 2), is_workday=False)
    response = client.post(reverse("audit:workday_add"), {"date": "2031-01-02", "note": "重复"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "is-invalid" in html and "invalid-feedback" in html
    assert 'value="重复"' in html
    response = client.post(reverse("audit:workday_add"), {"date": "not a date", "note": "x"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def test_workday_pages_need_permission(ui_user, client_for):
    override = WorkdayOverride.objects.create(date=dt.date(2031, 1, 3), is_workday=False)
    assert client_for(ui_user([])).get(reverse("audit:workdays")).status_code == 403
    reader = client_for(ui_user(["core.view_workdayoverride"]))
    html = reader.get(reverse("audit:workdays")).content.decode()
    assert reverse("audit:workday_add") not in html
    assert reverse("audit:workday_delete", args=[override.pk]) not in html
    assert reader.post(reverse("audit:workday_add"), {"date": "2031-01-02"}).status_code == 403
    assert reader.post(reverse("audit:workday_delete", args=[override.pk])).status_code == 403
    assert WorkdayOverride.objects.filter(pk=override.pk).exists()


@override_settings(ROOT_URLCONF="tests.ui.urls")
def test_generic_detail_page_with_history(ui_user, client_for):
    user = ui_user(WORKDAY_PERMS)
    override = WorkdayOverride.objects.create(date=dt.date(2031, 5, 1), is_workday=False, note="劳动节")
    override.note = "劳动节假期"
    override.save()
    html = client_for(user).get(f"/test-workday/{override.pk}/").content.decode()
    assert "劳动节假期" in html
    assert "text-decoration-line-through" in html  # before → after in the history panel
