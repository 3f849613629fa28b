"""REST API of customers and contacts: CRUD through the services, filters, search, duplicate
check (409 with hits), optimistic version, masking of personal data, scope (404 outside), the
OpenAPI schema — and the shared scope matrix for Customer and Contact."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from guanxi.core.models import AuditEvent
from guanxi.customers import services
from guanxi.customers.models import Contact, Customer
from tests.support.scoped import ScopedObjectTests

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/customers/"
CONTACTS = "/api/contacts/"


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_create_read_update_delete(env, api):
    client = api(env.rep)
    response = client.post(
        CUSTOMERS,
        {
            "name": "华新钢铁集团有限公司",
            "credit_code": "９１３５０１００Ｍ０００１００Ｙ４３",
            "phone": "021 1234 5678",
            "category": "distributor",
            "tags": ["钢铁"],
            "departments": [{"name": "采购部"}],
            "contacts": [{"name": "王总", "mobile": "13812345678", "department_name": "采购部"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credit_code"] == "91350100M000100Y43" and body["phone"] == "021-12345678"
    assert body["owner"] == env.rep.pk and body["unit"] == env.units.east.pk and body["version"] == 1
    assert body["tags"] == ["钢铁"] and body["departments"][0]["name"] == "采购部"
    pk = body["id"]
    contact = Contact.objects.get(customer_id=pk)
    assert contact.department.name == "采购部"
    assert AuditEvent.objects.get(event_type="customer.created", subject_id=str(pk)).source == "api"

    assert client.get(f"{CUSTOMERS}{pk}/").json()["name"] == "华新钢铁集团有限公司"
    response = client.patch(f"{CUSTOMERS}{pk}/", {"industry": "钢铁", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["industry"] == "钢铁"
    # The rep may not delete; the general manager may.
    assert client.delete(f"{CUSTOMERS}{pk}/").status_code == 403
    assert api(env.gm).delete(f"{CUSTOMERS}{pk}/").status_code == 204
    assert not Customer.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X公司", "credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"name": "X公司", "phone": "12345678"}, "phone"),
        ({"name": "X公司", "contacts": [{"name": "甲", "mobile": "1381234"}]}, "contacts.0.mobile"),
        ({"name": "X公司", "custom_data": {"nope": 1}}, "custom_data"),
    ],
)
def test_bad_input_gives_400_with_the_field(env, api, payload, field):
    response = api(env.rep).post(CUSTOMERS, payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field and response.json()["detail"]
    assert not Customer.objects.exists()


def test_duplicate_gives_409_with_hits_unless_confirmed(env, api, new_customer):
    existing = new_customer("华新钢铁有限公司", actor=env.rep2)  # outside rep's scope
    client = api(env.rep)
    response = client.post(CUSTOMERS, {"name": "华新钢铁股份有限公司"}, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "duplicate"
    hit = next(h for h in body["hits"] if h["id"] == existing.pk)
    # Only name and owner of an out-of-scope record.
    assert set(hit) <= {"id", "name", "owner", "reasons", "blacklisted", "flags"}
    assert hit["owner"] == "李四"
    assert Customer.objects.count() == 1
    assert client.post(f"{CUSTOMERS}?confirm_duplicates=true", {"name": "华新钢铁股份有限公司"}, format="json").status_code == 201
    assert client.post(CUSTOMERS, {"name": "华新钢铁股份公司", "confirm_duplicates": True}, format="json").status_code == 201


def test_stale_version_gives_409_and_nothing_saved(env, api, new_customer):
    customer = new_customer()
    client = api(env.rep)
    assert client.patch(f"{CUSTOMERS}{customer.pk}/", {"industry": "A", "version": 1}, format="json").status_code == 200
    response = client.patch(f"{CUSTOMERS}{customer.pk}/", {"industry": "B", "version": 1}, format="json")
    assert response.status_code == 409 and "changed by someone else" in response.json()["detail"]
    customer.refresh_from_db()
    assert customer.industry == "A" and customer.version == 2
    missing = client.patch(f"{CUSTOMERS}{customer.pk}/", {"industry": "C"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    assert client.patch(f"{CUSTOMERS}{customer.pk}/", {"industry": "C"}, format="json", HTTP_IF_MATCH='"2"').status_code == 200


def test_scope_rep_sees_own_and_member_customers_only(env, api, new_customer):
    own = new_customer("自己的客户")
    others = new_customer("别人的客户", actor=env.rep2)
    shared = new_customer("协作的客户", actor=env.rep2)
    services.add_member(shared, env.rep, actor=env.manager)
    client = api(env.rep)
    assert ids(client.get(CUSTOMERS)) == {own.pk, shared.pk}
    assert client.get(f"{CUSTOMERS}{others.pk}/").status_code == 404
    assert client.patch(f"{CUSTOMERS}{others.pk}/", {"industry": "x", "version": 1}, format="json").status_code == 404
    assert ids(api(env.manager).get(CUSTOMERS)) == {own.pk, others.pk, shared.pk}
    # The administrator has no customer data at all.
    assert api(env.admin).get(CUSTOMERS).status_code == 403


def test_filters_search_ordering_and_pages(env, api, new_customer):
    a = new_customer("华新钢铁", category="distributor", status="active", is_key=True)
    b = new_customer("重庆银行", category="special", special_kind="bank")
    c = new_customer("远航物流", category="direct", phone="13812345678")
    client = api(env.rep)
    assert ids(client.get(CUSTOMERS, {"category": "special"})) == {b.pk}
    assert ids(client.get(CUSTOMERS, {"status": "active"})) == {a.pk}
    assert ids(client.get(CUSTOMERS, {"key": "yes"})) == {a.pk}
    assert ids(client.get(CUSTOMERS, {"search": "hxgt"})) == {a.pk}
    assert ids(client.get(CUSTOMERS, {"q": "cqyh"})) == {b.pk}
    assert ids(client.get(CUSTOMERS, {"search": "138 1234 5678"})) == {c.pk}
    rows = client.get(CUSTOMERS, {"ordering": "name", "page_size": 2}).json()
    assert len(rows["results"]) == 2 and rows["next"] and rows["previous"] is None and "count" not in rows
    second = client.get(rows["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None and second["previous"]


def test_contacts_are_masked_without_the_right(env, api, new_customer):
    customer = new_customer(contacts=[{"name": "王总", "mobile": "13812345678", "id_number": "11010519491231002X"}])
    services.add_member(customer, env.service, actor=env.manager)
    response = api(env.service).get(CONTACTS, {"customer": customer.pk})
    row = response.json()["results"][0]
    assert row["mobile"] == "138****5678" and row["id_number"] != "11010519491231002X" and row["masked"]
    # Asking to reveal without the right changes nothing.
    row = api(env.service).get(CONTACTS, {"customer": customer.pk, "reveal": "true"}).json()["results"][0]
    assert row["mobile"] == "138****5678"
    assert not AuditEvent.objects.filter(event_type="personal_data.viewed").exists()


def test_reveal_with_the_right_is_audited(env, api, new_customer):
    customer = new_customer(contacts=[{"name": "王总", "mobile": "13812345678"}])
    client = api(env.rep)
    assert env.rep.has_perm("customers.view_personal_contact")
    assert client.get(CONTACTS).json()["results"][0]["mobile"] == "138****5678"
    row = client.get(CONTACTS, {"reveal": "true"}).json()["results"][0]
    assert row["mobile"] == "13812345678" and not row["masked"]
    event = AuditEvent.objects.get(event_type="personal_data.viewed")
    assert event.actor_id == env.rep.pk and event.data["contacts"] == [customer.contacts.get().pk]


def test_contact_crud(env, api, new_customer):
    customer = new_customer()
    other = new_customer("别人的客户", actor=env.rep2)
    client = api(env.rep)
    response = client.post(CONTACTS, {"customer": customer.pk, "name": "赵六", "mobile": "１３８００１３８０００"}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert Contact.objects.get(pk=pk).mobile == "13800138000"
    assert client.post(CONTACTS, {"customer": other.pk, "name": "钱七"}, format="json").status_code == 400
    assert client.post(CONTACTS, {"customer": customer.pk, "name": "钱七", "mobile": "123"}, format="json").status_code == 400
    assert client.patch(f"{CONTACTS}{pk}/", {"title": "经理"}, format="json").status_code == 200
    assert client.patch(f"{CONTACTS}{pk}/", {"customer": other.pk}, format="json").status_code == 400
    assert api(env.gm).delete(f"{CONTACTS}{pk}/").status_code == 204


def test_schema_has_no_warnings_for_customers():
    err = io.StringIO()
    call_command("spectacular", "--validate", stdout=io.StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if "customers" in line.lower() or "contact" in line.lower()]
    assert not lines, lines


# ---------------------------------------------------------------- shared scope matrix


def _customer(env, *, in_scope=True, name=None):
    return services.create_customer(
        actor=None,
        data={
            "name": name or env.unique("矩阵客户"),
            "owner": env.constrained.pk if in_scope else env.full.pk,
            "unit": env.home.pk if in_scope else env.other.pk,
        },
        check_duplicates=False,
    )


class TestCustomerScope(ScopedObjectTests):
    model = Customer
    list_url = "customers:list"
    detail_url = "customers:detail"
    create_url = "customers:create"
    edit_url = "customers:edit"
    api_basename = "customer"
    constrained_scope = "self"
    # The form's owner and unit choices come from the organisation the user may see.
    extra_permissions = ("accounts.view_orgunit", "accounts.view_user")
    list_max_queries = 25
    api_list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return _customer(env, in_scope=in_scope)

    def _form(self, env, obj=None):
        return {
            "name": env.unique("表单客户"),
            "category": "direct",
            "status": "potential",
            "unit": env.company.pk,
            "confirm_duplicates": "on",
            **({"version": obj.version} if obj is not None else {}),
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
            "contacts-MIN_NUM_FORMS": 0,
            "contacts-MAX_NUM_FORMS": 1000,
            "departments-TOTAL_FORMS": 0,
            "departments-INITIAL_FORMS": 0,
            "departments-MIN_NUM_FORMS": 0,
            "departments-MAX_NUM_FORMS": 1000,
        }

    def form_data(self, env):
        return self._form(env)

    def edit_data(self, env, obj):
        return {**self._form(env, obj), "name": obj.name, "owner": obj.owner_id or "", "unit": obj.unit_id}

    def api_payload(self, env):
        return {"name": env.unique("接口客户"), "category": "direct", "confirm_duplicates": True}

    def api_update_payload(self, env, obj):
        return {"industry": "物流", "version": obj.version}

    def api_out_of_scope_payload(self, env):
        return {**self.api_payload(env), "owner": env.full.pk}


class TestContactScope(ScopedObjectTests):
    model = Contact
    api_basename = "contact"
    constrained_scope = "self"
    api_list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return services.add_contact(_customer(env, in_scope=in_scope), data={"name": env.unique("联系人")})

    @staticmethod
    def _quiet_customer(env, *, in_scope=True):
        # Payloads are built after the test's write snapshot: a customer made here must leave
        # neither audit nor history rows (bulk_create sends no signals).
        owner, unit = (env.constrained, env.home) if in_scope else (env.full, env.other)
        customer = Customer(name=env.unique("联系人的客户"), owner=owner, unit=unit)
        services.refresh_keys(customer)
        return Customer.objects.bulk_create([customer])[0]

    def api_payload(self, env):
        return {"customer": self._quiet_customer(env).pk, "name": env.unique("接口联系人"), "mobile": "13812345678"}

    def api_update_payload(self, env, obj):
        return {"title": "经理"}

    def api_out_of_scope_payload(self, env):
        return {**self.api_payload(env), "customer": self._quiet_customer(env, in_scope=False).pk}
