"""Organisation pages: scope, filters, sorting, export, positions, trees, roles."""

import csv
import io

import pytest
from django.urls import reverse

from guanxi.accounts.models import OrgUnit, Position, Role, User
from guanxi.accounts.org_views import neutralise
from guanxi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def names_on(response):
    return [u.username for u in response.context["object_list"]]


def test_department_manager_sees_own_unit_tree_only(company, client_for):
    c = client_for(company.manager)
    seen = set(names_on(c.get(reverse("org:user_list"))))
    assert seen == {"manager", "rep", "rep2"}
    assert c.get(reverse("org:user_detail", args=[company.rep.pk])).status_code == 200
    assert c.get(reverse("org:user_detail", args=[company.service.pk])).status_code == 404
    assert c.get(reverse("org:user_detail", args=[company.gm.pk])).status_code == 404
    # Units: sales and its team only
    units = {u.name for u in c.get(reverse("org:unit_list")).context["object_list"]}
    assert units == {"Sales", "Sales East"}
    assert c.get(reverse("org:unit_detail", args=[company.units.service.pk])).status_code == 404
    # No admin rights
    assert c.get(reverse("org:user_create")).status_code == 403
    assert c.get(reverse("org:user_edit", args=[company.rep.pk])).status_code == 403
    assert c.get(reverse("org:user_export")).status_code == 403


def test_sales_rep_sees_only_self(company, client_for):
    c = client_for(company.rep)
    assert names_on(c.get(reverse("org:user_list"))) == ["rep"]
    assert c.get(reverse("org:user_detail", args=[company.rep2.pk])).status_code == 404
    assert c.get(reverse("org:user_detail", args=[company.rep.pk])).status_code == 200


def test_admin_list_filters_sorting_and_pagination(company, client_for):
    c = client_for(company.admin)
    url = reverse("org:user_list")
    assert len(names_on(c.get(url))) == 6
    assert names_on(c.get(url, {"q": "rep"})) == ["rep", "rep2"]
    assert set(names_on(c.get(url, {"unit": company.units.sales.pk}))) == {"manager", "rep", "rep2"}
    assert names_on(c.get(url, {"role": company.roles["service_staff"].pk})) == ["service"]
    company.rep2.is_active = False
    company.rep2.save()
    assert "rep2" not in names_on(c.get(url, {"is_active": "true"}))
    assert names_on(c.get(url, {"is_active": "false"})) == ["rep2"]
    assert names_on(c.get(url, {"sort": "-username"}))[0] == "service"
    # An unknown sort key is ignored, not an error.
    assert c.get(url, {"sort": "password"}).status_code == 200
    # Garbage in a filter is no 500.
    assert c.get(url, {"unit": "abc", "role": "999999"}).status_code == 200
    page = c.get(url, {"page": 99})
    assert page.status_code in (200, 404)


def test_export_csv_is_neutralised_and_audited(company, client_for):
    company.rep.full_name = '=HYPERLINK("http://evil")'
    company.rep.mobile = "+8613800000000"
    company.rep.save()
    c = client_for(company.admin)
    response = c.get(reverse("org:user_export"), {"q": "rep"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3  # header + rep, rep2
    rep_row = next(r for r in rows if r[0] == "rep")
    assert rep_row[1].startswith("'=") and rep_row[4].startswith("'+")
    ev = AuditEvent.objects.get(event_type="export.downloaded")
    assert ev.data["rows"] == 2 and ev.data["model"] == "accounts.user" and ev.actor_id == company.admin.pk


@pytest.mark.parametrize(
    ("value", "expected"), [("=1+1", "'=1+1"), ("-2", "'-2"), ("@SUM", "'@SUM"), ("+1", "'+1"), ("ok", "ok"), (None, "")]
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_create_user_with_position(company, client_for):
    c = client_for(company.admin)
    data = {
        "username": "new.hire",
        "full_name": "New Hire",
        "email": "",
        "employee_no": "E-7",
        "mobile": "",
        "language": "zh-hans",
        "password1": "Very-strong-pass-31",
        "password2": "Very-strong-pass-31",
        "unit": company.units.east.pk,
        "role": company.roles["sales_rep"].pk,
        "reports_to": company.manager.pk,
    }
    response = c.post(reverse("org:user_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="new.hire")
    assert user.check_password("Very-strong-pass-31")
    pos = user.positions.get()
    assert pos.role.code == "sales_rep" and pos.reports_to == company.manager
    assert AuditEvent.objects.filter(event_type="user.created", actor=company.admin).exists()
    # weak password → form error, nothing created
    bad = c.post(reverse("org:user_create"), {**data, "username": "weak", "password1": "123", "password2": "123"})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert not User.objects.filter(username="weak").exists()


def test_edit_user_and_set_password(company, client_for):
    c = client_for(company.admin)
    url = reverse("org:user_edit", args=[company.rep.pk])
    assert c.get(url).status_code == 200
    data = {
        "full_name": "Rep One",
        "employee_no": "",
        "email": "rep@example.com",
        "mobile": "",
        "language": "en",
        "new_password": "Brand-new-pass-77",
    }
    assert c.post(url, data).status_code == 302
    company.rep.refresh_from_db()
    assert company.rep.full_name == "Rep One" and company.rep.language == "en"
    assert company.rep.check_password("Brand-new-pass-77")
    assert AuditEvent.objects.filter(event_type="user.password_changed").exists()


def test_positions_inline(company, client_for):
    c = client_for(company.admin)
    detail = c.get(reverse("org:user_detail", args=[company.service.pk]))
    assert detail.status_code == 200 and detail.context["position_form"] is not None
    add = reverse("org:position_add", args=[company.service.pk])
    response = c.post(
        add, {"unit": company.units.sales.pk, "role": company.roles["operations"].pk, "reports_to": company.manager.pk, "is_primary": "on"}
    )
    assert response.status_code == 302
    pos = Position.objects.get(user=company.service, unit=company.units.sales)
    # duplicate → the page again with the error, status 400
    dup = c.post(add, {"unit": company.units.sales.pk, "role": company.roles["operations"].pk})
    assert dup.status_code == 400 and dup.context["position_form"].errors
    # reporting to oneself → error
    selfrep = c.post(add, {"unit": company.units.east.pk, "role": company.roles["operations"].pk, "reports_to": company.service.pk})
    assert selfrep.status_code == 400
    # change the role inline
    change = reverse("org:position_change", args=[company.service.pk, pos.pk])
    prefix = f"pos{pos.pk}"
    assert (
        c.post(
            change, {f"{prefix}-role": company.roles["finance"].pk, f"{prefix}-reports_to": "", f"{prefix}-is_primary": "on"}
        ).status_code
        == 302
    )
    pos.refresh_from_db()
    assert pos.role.code == "finance" and pos.reports_to is None
    assert AuditEvent.objects.filter(event_type="user.role_changed").exists()
    assert c.post(change, {"remove": "1"}).status_code == 302
    assert not Position.objects.filter(pk=pos.pk).exists()
    # Another user's position cannot be reached through this user's URL.
    other = company.rep.positions.get()
    assert c.post(reverse("org:position_change", args=[company.service.pk, other.pk]), {"remove": "1"}).status_code == 404


def test_unit_tree_page_and_move_refused(company, client_for):
    c = client_for(company.admin)
    page = c.get(reverse("org:unit_list"))
    nodes = page.context["object_list"]
    names = [n.name for n in nodes]
    assert names.index("Test Company") < names.index("Sales") < names.index("Sales East")
    assert {n.name: n.indent for n in nodes}["Sales East"] == 2
    # The edit form does not offer the unit's own subtree as parent, so a crafted POST fails.
    sales = company.units.sales
    url = reverse("org:unit_edit", args=[sales.pk])
    form = c.get(url).context["form"]
    assert company.units.east.pk not in [u.pk for u in form.fields["parent"].queryset]
    bad = c.post(
        url, {"name": "Sales", "code": sales.code, "kind": sales.kind, "parent": company.units.east.pk, "sort_order": 0, "is_active": "on"}
    )
    assert bad.status_code == 200 and "parent" in bad.context["form"].errors
    ok = c.post(
        url,
        {"name": "Sales", "code": sales.code, "kind": sales.kind, "parent": company.units.service.pk, "sort_order": 0, "is_active": "on"},
    )
    assert ok.status_code == 302
    assert OrgUnit.objects.get(pk=company.units.east.pk).depth == 3
    detail = c.get(reverse("org:unit_detail", args=[sales.pk]))
    assert detail.status_code == 200 and detail.context["children"]


def test_region_pages(company, client_for):
    c = client_for(company.admin)
    response = c.post(reverse("org:region_create"), {"name": "华东", "code": "east-china", "kind": "area", "is_active": "on"})
    assert response.status_code == 302
    from guanxi.accounts.models import Region

    east = Region.objects.get(code="east-china")
    assert (
        c.post(
            reverse("org:region_create"), {"name": "上海", "code": "sh", "kind": "province", "parent": east.pk, "is_active": "on"}
        ).status_code
        == 302
    )
    page = c.get(reverse("org:region_list"))
    assert [n.indent for n in page.context["object_list"]] == [0, 1]
    assert c.get(reverse("org:region_detail", args=[east.pk])).status_code == 200
    # Everyone with the view code reads the whole region tree.
    assert client_for(company.rep).get(reverse("org:region_detail", args=[east.pk])).status_code == 200


def test_role_pages(company, client_for):
    c = client_for(company.admin)
    assert c.get(reverse("org:role_list")).status_code == 200
    gm = company.roles["general_manager"]
    assert c.get(reverse("org:role_detail", args=[gm.pk])).status_code == 200
    data = {
        "code": "auditor",
        "name": "审计",
        "name_en": "Auditor",
        "description": "",
        "data_scope": "unit",
        "permissions": ["accounts.view_user"],
        "scope_overrides": '{"accounts.user": "all"}',
        "is_active": "on",
    }
    assert c.post(reverse("org:role_create"), data).status_code == 302
    role = Role.objects.get(code="auditor")
    assert role.scope_overrides == {"accounts.user": "all"}
    bad = c.post(reverse("org:role_edit", args=[role.pk]), {**data, "scope_overrides": '{"accounts.user": "galaxy"}'})
    assert bad.status_code == 200 and bad.context["form"].errors
    ok = c.post(reverse("org:role_edit", args=[role.pk]), {**data, "code": "renamed", "require_2fa": "on"})
    assert ok.status_code == 302
    role.refresh_from_db()
    assert role.code == "auditor" and role.require_2fa
    # A sales rep sees only the roles they hold.
    rep_roles = [r.code for r in client_for(company.rep).get(reverse("org:role_list")).context["object_list"]]
    assert rep_roles == ["sales_rep"]


def test_detail_pages_show_history(company, client_for):
    c = client_for(company.admin)
    from guanxi.accounts import services

    services.update_user(company.rep, full_name="Renamed")
    page = c.get(reverse("org:user_detail", args=[company.rep.pk]))
    assert "Renamed" in page.content.decode()
    assert "History" in page.content.decode() or "历史" in page.content.decode()


def test_profile_and_tokens_pages(company, client_for):
    c = client_for(company.rep)
    assert c.get(reverse("accounts:profile")).status_code == 200
    page = c.post(reverse("accounts:tokens"), {"name": "Excel"})
    assert page.status_code == 200
    key = page.context["new_key"]
    assert key.startswith("gx_") and key in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    # Shown once: the list page does not contain the key again.
    assert key not in c.get(reverse("accounts:tokens")).content.decode()
    token = company.rep.api_tokens.get()
    # Someone else's token cannot be revoked.
    assert client_for(company.rep2).post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert c.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_user_lookup_answers_within_scope(company, client_for):
    """The JSON behind searchable user selects (core.widgets.RemoteSelect) follows the data scope."""
    url = reverse("org:user_lookup")
    found = client_for(company.manager).get(url, {"q": "rep"}).json()["results"]
    assert {r["value"] for r in found} == {company.rep.pk, company.rep2.pk}
    assert all(set(r) == {"value", "text"} for r in found)
    everyone = {r["value"] for r in client_for(company.manager).get(url).json()["results"]}
    assert company.gm.pk not in everyone and company.service.pk not in everyone
    assert [r["value"] for r in client_for(company.rep).get(url).json()["results"]] == [company.rep.pk]


def test_remote_select_renders_only_the_chosen_user(company, client_for):
    from django import forms

    from guanxi.core.widgets import RemoteSelect

    field = forms.ModelChoiceField(queryset=User.objects.all(), widget=RemoteSelect("org:user_lookup"), empty_label="All")
    html = field.widget.render("owner", company.rep.pk)
    assert html.count("<option") == 2  # the empty choice and the selected user, not every user
    assert f'value="{company.rep.pk}" selected' in html
    assert f'data-remote="{reverse("org:user_lookup")}"' in html
    assert field.widget.render("owner", "not-a-number").count("<option") == 1
