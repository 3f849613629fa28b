"""Create and edit: contacts and departments inline, clear field errors with the input kept,
the duplicate warning with "save anyway", and the stale-version refusal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers import services
from guanxi.customers.models import Contact, Customer

pytestmark = pytest.mark.django_db

CREATE = reverse("customers:create")
CREDIT_CODE = "91310000MA1FL4B24G"  # a valid unified social credit code (check char G)


def post_data(env, *, contacts=(), departments=(), initial_contacts=0, initial_departments=0, **fields):
    data = {
        "name": "远航物流有限公司",
        "category": "direct",
        "status": "potential",
        "owner": env.rep.pk,
        "unit": env.units.east.pk,
        "contacts-TOTAL_FORMS": len(contacts),
        "contacts-INITIAL_FORMS": initial_contacts,
        "contacts-MIN_NUM_FORMS": 0,
        "contacts-MAX_NUM_FORMS": 1000,
        "departments-TOTAL_FORMS": len(departments),
        "departments-INITIAL_FORMS": initial_departments,
        "departments-MIN_NUM_FORMS": 0,
        "departments-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(contacts):
        data.update({f"contacts-{i}-{k}": v for k, v in row.items()})
    for i, row in enumerate(departments):
        data.update({f"departments-{i}-{k}": v for k, v in row.items()})
    data.update(fields)
    return data


def test_create_page_renders(env, login):
    response = login(env.rep).get(CREATE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-add-row="contacts"' in html and "contacts-__prefix__-name" in html


def test_create_with_contacts_and_departments(env, login):
    data = post_data(
        env,
        credit_code=CREDIT_CODE.lower(),
        phone="０２１-１２３４５６７８",
        departments=[{"name": "采购部", "business_info": "负责钢材采购"}],
        contacts=[
            {"name": "周采购", "title": "经理", "department": "采购部", "mobile": "138 1234 5678", "is_primary": "on"},
            {"name": "吴技术", "department": "技术部"},  # a new department name adds the department
        ],
    )
    response = login(env.rep).post(CREATE, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    customer = Customer.objects.get(name="远航物流有限公司")
    assert response["Location"] == customer.get_absolute_url()
    assert customer.owner == env.rep and customer.credit_code == CREDIT_CODE
    contacts = {c.name: c for c in customer.contacts.select_related("department")}
    assert contacts["周采购"].mobile == "13812345678" and contacts["周采购"].department.name == "采购部"
    assert contacts["吴技术"].department.name == "技术部"
    assert set(customer.departments.values_list("name", flat=True)) == {"采购部", "技术部"}


def test_field_errors_keep_the_input(env, login):
    data = post_data(env, name="输入保留测试", credit_code="91310000MA1FL4B24X", contacts=[{"name": "某人", "mobile": "12345"}])
    response = login(env.rep).post(CREATE, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "check character does not match" in html
    assert "11 digits" in html
    assert 'value="输入保留测试"' in html and 'value="某人"' in html
    assert not Customer.objects.filter(name="输入保留测试").exists()


def test_duplicate_warning_then_save_anyway(env, login, make_customer):
    make_customer("远航物流", owner=env.other_rep, unit=env.units.sales)
    client = login(env.rep)
    response = client.post(CREATE, post_data(env))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="duplicate-hits"' in html and "远航物流" in html and "李销售" in html
    assert 'name="confirm_duplicates"' in html
    assert Customer.objects.filter(name="远航物流有限公司").count() == 0
    response = client.post(CREATE, post_data(env, confirm_duplicates="on"))
    assert response.status_code == 302
    assert Customer.objects.filter(name="远航物流有限公司").count() == 1


def _existing(env):
    return services.create_customer(
        actor=env.rep,
        data={"name": "老客户公司", "category": "direct"},
        contacts=[{"name": "钱先生", "mobile": "13900001111", "address": "上海市浦东新区世纪大道1号"}],
        confirm_duplicates=True,
    )


def _edit_data(env, customer, **fields):
    contact = customer.contacts.get()
    return post_data(
        env,
        name=customer.name,
        version=customer.version,
        contacts=[{"id": contact.pk, "name": contact.name, "mobile": contact.mobile, "address": contact.address}],
        initial_contacts=1,
        **fields,
    )


def test_edit_saves_and_raises_the_version(env, login):
    customer = _existing(env)
    response = login(env.rep).post(reverse("customers:edit", args=[customer.pk]), _edit_data(env, customer, industry="物流"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.industry == "物流" and customer.version == 2


def test_edit_with_a_stale_version_keeps_input_and_says_so(env, login):
    customer = _existing(env)
    client = login(env.rep)
    form = client.get(reverse("customers:edit", args=[customer.pk]))
    assert f'name="version" value="{customer.version}"' in form.content.decode()
    data = _edit_data(env, customer, industry="我的修改")
    # Someone else saves first.
    services.update_customer(customer, actor=env.manager, data={"industry": "别人的修改"}, expected_version=customer.version)
    response = client.post(reverse("customers:edit", args=[customer.pk]), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html
    assert 'value="我的修改"' in html
    customer.refresh_from_db()
    assert customer.industry == "别人的修改"


def test_edit_removes_a_contact(env, login):
    customer = _existing(env)
    data = _edit_data(env, customer)
    data["contacts-0-DELETE"] = "on"
    response = login(env.rep).post(reverse("customers:edit", args=[customer.pk]), data)
    assert response.status_code == 302
    assert not Contact.objects.filter(customer=customer).exists()


def test_personal_values_are_not_in_the_edit_form_without_the_right(env, login, make_user):
    customer = _existing(env)
    # The rep has no personal-data right: the form does not carry the values, and saving keeps them.
    client = login(env.rep)
    html = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert "13900001111" not in html and "世纪大道" not in html
    contact = customer.contacts.get()
    data = post_data(
        env,
        name=customer.name,
        version=customer.version,
        contacts=[{"id": contact.pk, "name": "钱总", "mobile": "", "address": ""}],
        initial_contacts=1,
    )
    assert client.post(reverse("customers:edit", args=[customer.pk]), data).status_code == 302
    contact.refresh_from_db()
    assert contact.name == "钱总" and contact.mobile == "13900001111" and "世纪大道" in contact.address


def test_a_rep_cannot_edit_another_reps_customer(env, login, make_customer):
    other = make_customer("他人客户", owner=env.other_rep, unit=env.units.sales)
    response = login(env.rep).post(reverse("customers:edit", args=[other.pk]), post_data(env, version=1))
    assert response.status_code == 404


def test_edit_form_with_the_personal_right_is_audited(env, login):
    from guanxi.core.models import AuditEvent

    customer = _existing(env)
    html = login(env.manager).get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert "13900001111" in html
    assert AuditEvent.objects.filter(event_type="personal_data.viewed").exists()


def test_custom_fields_follow_the_category(env, login):
    from guanxi.customers.models import CustomFieldDef

    # Replace the shipped outlet template (seed 003 附表二) with two fields this test controls.
    CustomFieldDef.objects.filter(category="outlet").delete()
    CustomFieldDef.objects.create(category="outlet", key="floor_area", label="营业面积", field_type="number", order=1)
    CustomFieldDef.objects.create(
        category="outlet", key="outlet_type", label="门店类型", field_type="choice", choices=["A类网点", "B类网点"], order=2
    )
    client = login(env.rep)
    assert "营业面积" not in client.get(CREATE).content.decode()
    assert "营业面积" in client.get(CREATE, {"category": "outlet"}).content.decode()  # the htmx reload
    response = client.post(CREATE, post_data(env, name="社区便民店", category="outlet", cf_floor_area="85", cf_outlet_type="B类网点"))
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(name="社区便民店")
    assert customer.custom_data["outlet_type"] == "B类网点"
    assert str(customer.custom_data["floor_area"]) == "85"
    html = client.get(customer.get_absolute_url()).content.decode()
    assert "营业面积" in html and "B类网点" in html


def test_post_without_the_inline_lists_and_without_version(env, login):
    client = login(env.rep)
    data = {"name": "简单客户", "category": "direct", "status": "potential", "owner": env.rep.pk, "unit": env.units.east.pk}
    response = client.post(CREATE, data)
    assert response.status_code == 302
    customer = Customer.objects.get(name="简单客户")
    response = client.post(reverse("customers:edit", args=[customer.pk]), {**data, "industry": "化工"})
    assert response.status_code == 400
    assert "version of the record you edited is missing" in response.content.decode()
    response = client.post(reverse("customers:edit", args=[customer.pk]), {**data, "industry": "化工", "version": customer.version})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.industry == "化工"
