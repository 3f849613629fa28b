"""Completeness per category from the policy's required fields: score and missing list (F-CUS-5)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.accounts.models import Region
from guanxi.customers import completeness
from guanxi.customers.models import Contact, Customer, CustomerFile, CustomFieldDef
from guanxi.policy import services
from guanxi.policy.schema import Policy, default_policy
from tests.support import org

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(db):
    return Region.objects.create(name="华东", code=org.unique("r"), kind="area")


def test_direct_customer_score_and_missing_list_in_policy_order(units, make_customer, region):
    c = make_customer(units.sales, category="direct", name="华新钢铁有限公司", address="武汉市青山区")
    score, missing = completeness.refresh(c)
    # direct: name, nature, address, phone, contacts, contact_phone, industry, region
    assert missing == ["nature", "phone", "contacts", "contact_phone", "industry", "region"]
    assert score == 25
    c.refresh_from_db()
    assert (c.completeness, c.missing_fields) == (25, missing)
    # Filling in fields and adding a contact with a mobile completes it.
    Customer.objects.filter(pk=c.pk).update(nature="private", phone="027-86861234", industry="钢铁", region=region)
    c.refresh_from_db()
    Contact.objects.create(customer=c, name="张伟")
    completeness.refresh(c)
    assert c.missing_fields == ["contact_phone"]
    assert c.completeness == 88
    Contact.objects.create(customer=c, name="李娜", mobile="13812345678")
    assert completeness.refresh(c) == (100, [])
    c.refresh_from_db()
    assert (c.completeness, c.missing_fields) == (100, [])


def test_an_erased_contact_does_not_count(units, make_customer):
    from django.utils import timezone

    c = make_customer(units.sales, category="special", contacts=[{"name": "已删除", "mobile": "13812345678", "erased_at": timezone.now()}])
    completeness.refresh(c)
    assert {"contacts", "contact_phone"} <= set(c.missing_fields)


def test_categories_require_different_fields(units, make_customer):
    supplier = make_customer(units.sales, category="supplier")
    special = make_customer(units.sales, category="special")
    completeness.refresh(supplier)
    completeness.refresh(special)
    assert {"credit_code", "legal_representative", "business_scope"} <= set(supplier.missing_fields)
    assert "credit_code" not in special.missing_fields
    assert {"special_kind", "supervising_unit"} <= set(special.missing_fields)


def test_outlet_requires_the_seed_003_profile_fields(units, make_customer, region, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    CustomFieldDef.objects.filter(category="outlet").delete()  # the shipped template, if a migration installed it
    CustomFieldDef.objects.create(category="outlet", key="floor_area", label="营业面积", field_type="number")
    CustomFieldDef.objects.create(category="outlet", key="agent", label="代理商", field_type="text")
    CustomFieldDef.objects.create(category="outlet", key="materials_complete", label="物料是否齐备", field_type="bool")
    CustomFieldDef.objects.create(category="outlet", key="storefront_photo", label="店面照片", field_type="file")
    # Required by the category's own custom field definition, though not in the policy's list.
    CustomFieldDef.objects.create(category="outlet", key="wifi", label="WiFi", field_type="text", required=True)
    c = make_customer(
        units.sales,
        category="outlet",
        name="青山营业厅",
        region=region,
        address="武汉市青山区和平大道1号",
        phone="027-86861234",
        contacts=[{"name": "王芳", "mobile": "13912345678"}],
        custom_data={"floor_area": 150, "materials_complete": False},
    )
    completeness.refresh(c)
    # Profile fields the category does not define are not asked for; "no" is an answer.
    assert c.missing_fields == ["custom.agent", "custom.storefront_photo", "custom.wifi"]
    assert completeness.missing_labels(c) == ["代理商", "店面照片", "WiFi"]
    CustomerFile.objects.create(customer=c, field_key="storefront_photo", file=SimpleUploadedFile("front.jpg", b"\xff\xd8\xff"))
    c.custom_data = {**c.custom_data, "agent": "湖北移动", "wifi": "yes"}
    c.save()
    assert completeness.refresh(c) == (100, [])


def test_the_policy_list_can_be_changed_and_is_validated(units, make_customer):
    policy = default_policy()
    policy.customers.required_fields = {**policy.customers.required_fields, "direct": ["name", "email"]}
    c = make_customer(units.sales, category="direct")
    assert completeness.refresh(c, policy=policy) == (50, ["email"])
    data = default_policy().model_dump(mode="json")
    data["customers"]["required_fields"]["direct"] = ["name", "shoe_size"]
    data["customers"]["change_report_fields"] = ["name", "name"]
    with pytest.raises(services.PolicyInvalid) as info:
        services.validate(data)
    assert set(info.value.errors) == {"customers.required_fields", "customers.change_report_fields"}
    assert any("shoe_size" in m for m in info.value.errors["customers.required_fields"]), info.value.errors
    assert any("once" in m for m in info.value.errors["customers.change_report_fields"]), info.value.errors
    data = default_policy().model_dump(mode="json")
    data["customers"]["required_fields"]["martian"] = ["name"]
    with pytest.raises(services.PolicyInvalid) as info:
        services.validate(data)
    assert set(info.value.errors) == {"customers.required_fields"}
    assert Policy.model_validate(default_policy().model_dump(mode="json")).customers.required_fields["outlet"][:2] == ["name", "region"]


def test_field_labels(units):
    assert completeness.field_label("credit_code") == "unified social credit code"
    assert completeness.field_label("contact_phone") == "A contact's phone or mobile"
    assert completeness.field_label("custom.unknown", "outlet") == "unknown"


def test_refresh_queryset_matches_refresh_one_by_one(units, make_customer, django_assert_max_num_queries):
    customers = [
        make_customer(units.sales, category=cat, address="某地") for cat in ("direct", "supplier", "special", "outlet", "agreement")
    ]
    customers += [make_customer(units.sales, category="direct", contacts=[{"name": f"c{i}", "phone": "010-12345678"}]) for i in range(20)]
    # A fixed number per batch (12), plus up to two for the policy cache re-checking the active version.
    with django_assert_max_num_queries(14):
        changed = completeness.refresh_queryset(Customer.objects.all())
    assert changed == len(customers)
    for c in customers:
        stored = Customer.objects.get(pk=c.pk)
        assert (stored.completeness, stored.missing_fields) == completeness.refresh(c, save=False)
    assert completeness.refresh_queryset(Customer.objects.all()) == 0  # nothing left to change


def test_the_outlet_profile_of_the_policy_uses_the_shipped_custom_field_keys():
    from guanxi.customers.customfields import OUTLET_TEMPLATE
    from guanxi.policy.schema.customers import OUTLET_PROFILE

    assert {k.removeprefix("custom.") for k in OUTLET_PROFILE} == {spec["key"] for spec in OUTLET_TEMPLATE}
    assert set(OUTLET_PROFILE) <= set(default_policy().customers.required_fields["outlet"])
