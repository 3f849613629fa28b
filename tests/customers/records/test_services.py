"""Records services: create/update with validation and normalisation, keys, optimistic
concurrency, inline contacts and departments, team members, tags, custom fields, key-customer
warning, timeline."""

import datetime

import pytest

from guanxi.core.errors import Conflict, DomainError, NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.customers import services
from guanxi.customers.models import Contact, Customer, CustomerMember, CustomFieldDef, Tag
from guanxi.customers.timeline import TimelineItem, register, timeline, unregister

pytestmark = pytest.mark.django_db


def test_create_normalises_and_stores_keys(env):
    customer = services.create_customer(
        actor=env.rep,
        data={
            "name": "  华新钢铁集团有限公司 ",
            "credit_code": "９１３５０１００ｍ０００１００ｙ４３",
            "phone": "（０２１）１２３４５６７８",
            "email": "Info@HuaXin.example",
            "category": "distributor",
            "tags": ["钢铁", "重点"],
        },
        contacts=[{"name": "王总", "mobile": "１３８ １２３４ ５６７８", "is_primary": True}],
        departments=[{"name": "采购部"}],
        check_duplicates=False,
    )
    customer.refresh_from_db()
    assert customer.name == "华新钢铁集团有限公司"
    assert customer.credit_code == "91350100M000100Y43"
    assert customer.phone == "021-12345678" and customer.phone_key == "02112345678"
    assert customer.email == "info@huaxin.example"
    assert (customer.name_key, customer.initials) == ("华新钢铁", "hxgtjtyxgs")
    assert customer.pinyin.startswith("huaxingangtie")
    assert customer.owner == env.rep and customer.unit == env.units.east and customer.created_by == env.rep
    assert customer.version == 1
    assert sorted(customer.tags.values_list("name", flat=True)) == ["重点", "钢铁"]
    contact = customer.contacts.get()
    assert contact.mobile == "13812345678" and contact.is_primary
    assert customer.departments.get().name == "采购部"
    event = AuditEvent.objects.get(event_type="customer.created", subject_id=str(customer.pk))
    assert event.actor_id == env.rep.pk
    assert customer.history.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "credit_code": "91350100M000100Y44"}, "credit_code"),
        ({"name": "X", "phone": "12345"}, "phone"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "category": "nonsense"}, "category"),
        ({"name": "X", "special_kind": "bank"}, "special_kind"),
        ({"name": "X", "registered_capital": "lots"}, "registered_capital"),
        ({"name": "X", "unknown_field": 1}, None),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(env, data, field):
    before = Customer.objects.count()
    with pytest.raises(DomainError) as exc:
        services.create_customer(actor=env.rep, data=data, check_duplicates=False)
    assert exc.value.field == field
    assert str(exc.value)
    assert Customer.objects.count() == before


def test_bad_inline_contact_names_the_row_and_rolls_back(env):
    with pytest.raises(DomainError) as exc:
        services.create_customer(
            actor=env.rep,
            data={"name": "某某公司"},
            contacts=[{"name": "甲", "mobile": "13812345678"}, {"name": "乙", "mobile": "138"}],
            check_duplicates=False,
        )
    assert exc.value.field == "contacts.1.mobile"
    assert "2" in str(exc.value)
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_special_kind_only_for_special_customers(env, new_customer):
    bank = new_customer("中国银行", category="special", special_kind="bank")
    assert bank.special_kind == "bank"
    services.update_customer(bank, actor=env.gm, data={"category": "direct"}, expected_version=bank.version)
    bank.refresh_from_db()
    assert bank.special_kind == ""


def test_create_outside_scope_is_refused(env):
    # A rep may not create a customer owned by someone else (outside their own scope).
    with pytest.raises(NotAllowed):
        services.create_customer(actor=env.rep, data={"name": "别人的客户", "owner": env.rep2.pk}, check_duplicates=False)
    assert not Customer.objects.exists()


def test_duplicates_are_raised_unless_confirmed(env, new_customer):
    first = new_customer("华新钢铁有限公司", phone="021-12345678")
    with pytest.raises(DomainError) as exc:
        services.create_customer(actor=env.rep2, data={"name": "华新钢铁股份有限公司"})
    assert exc.value.status == 409
    assert any((getattr(h, "id", None) or h.get("customer_id") if isinstance(h, dict) else h.id) == first.pk for h in exc.value.hits)
    assert Customer.objects.count() == 1
    second = services.create_customer(actor=env.rep2, data={"name": "华新钢铁股份有限公司"}, confirm_duplicates=True)
    assert second.pk != first.pk


def test_update_with_current_version(env, new_customer):
    customer = new_customer()
    services.update_customer(customer, actor=env.rep, data={"name": "华新钢铁股份公司", "phone": "13912345678"}, expected_version=1)
    customer.refresh_from_db()
    assert customer.version == 2
    assert customer.phone_key == "13912345678" and customer.name_key == "华新钢铁股份"
    event = AuditEvent.objects.filter(event_type="customer.updated", subject_id=str(customer.pk)).get()
    assert event.data["fields"] == ["name", "phone"]


def test_stale_version_is_refused_and_nothing_saved(env, new_customer):
    customer = new_customer()
    # Two people opened version 1; the first saves.
    services.update_customer(Customer.objects.get(pk=customer.pk), actor=env.rep, data={"industry": "钢铁"}, expected_version=1)
    history = customer.history.count()
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        services.update_customer(
            Customer.objects.get(pk=customer.pk),
            actor=env.manager,
            data={"industry": "冶金", "name": "改名"},
            contacts=[{"name": "新联系人"}],
            expected_version=1,
        )
    assert "changed by someone else" in str(exc.value)
    customer.refresh_from_db()
    assert (customer.industry, customer.name, customer.version) == ("钢铁", "华新钢铁集团有限公司", 2)
    assert customer.history.count() == history and AuditEvent.objects.count() == events
    assert not customer.contacts.exists()


def test_missing_version_is_refused(env, new_customer):
    customer = new_customer()
    with pytest.raises(DomainError):
        services.update_customer(customer, actor=env.rep, data={"industry": "x"}, expected_version=None)


def test_nothing_changed_keeps_the_version(env, new_customer):
    customer = new_customer()
    services.update_customer(customer, actor=env.rep, data={"name": customer.name}, expected_version=1)
    customer.refresh_from_db()
    assert customer.version == 1


def test_rep_cannot_move_a_customer_out_of_scope(env, new_customer):
    customer = new_customer()
    with pytest.raises(NotAllowed):
        services.update_customer(customer, actor=env.rep, data={"owner": env.rep2.pk}, expected_version=1)
    customer.refresh_from_db()
    assert customer.owner == env.rep and customer.version == 1


def test_inline_contacts_on_update(env, new_customer):
    customer = new_customer(contacts=[{"name": "甲", "mobile": "13812345678"}, {"name": "乙"}])
    a, b = customer.contacts.get(name="甲"), customer.contacts.get(name="乙")
    services.update_customer(
        customer,
        actor=env.rep,
        data={},
        departments=[{"name": "财务部"}],
        contacts=[
            {"id": a.pk, "title": "经理", "department_name": "财务部"},
            {"id": b.pk, "delete": True},
            {"name": "丙", "phone": "010-88886666", "is_primary": True},
        ],
        expected_version=1,
    )
    customer.refresh_from_db()
    assert customer.version == 2
    assert sorted(customer.contacts.values_list("name", flat=True)) == ["丙", "甲"]
    a.refresh_from_db()
    assert a.title == "经理" and a.department.name == "财务部"
    assert customer.contacts.get(name="丙").phone == "010-88886666"


def test_contact_services(env, new_customer):
    customer = new_customer()
    contact = services.add_contact(customer, actor=env.rep, data={"name": "赵六", "mobile": "+86 13800138000", "is_primary": True})
    other = services.add_contact(customer, actor=env.rep, data={"name": "钱七", "is_primary": True})
    contact.refresh_from_db()
    assert contact.mobile == "13800138000" and not contact.is_primary and other.is_primary
    services.update_contact(contact, actor=env.rep, data={"birthday": "1980-02-03", "id_number": "11010519491231002x"})
    contact.refresh_from_db()
    assert contact.birthday == datetime.date(1980, 2, 3) and contact.id_number == "11010519491231002X"
    event = AuditEvent.objects.get(event_type="contact.updated")
    assert event.data["fields"] == ["birthday", "id_number"]  # names only, never the values
    with pytest.raises(DomainError):
        services.update_contact(contact, actor=env.rep, data={"birthday": "2999-01-01"})
    services.remove_contact(other, actor=env.rep)
    assert list(customer.contacts.all()) == [contact]


def test_members_and_key_customer_warning(env, new_customer):
    customer = new_customer(is_key=True)
    assert services.staff_in_contact(customer) == [env.rep]
    warning = str(services.key_customer_warning(customer))
    assert "at least 2" in warning and "《客户管理制度》§1.6.3" in warning  # the policy's number, and why
    services.add_member(customer, env.rep2, actor=env.manager, access="write")
    assert {u.username for u in services.staff_in_contact(customer)} == {"rep", "rep2"}
    assert services.key_customer_warning(customer) is None
    # An expired membership no longer counts.
    CustomerMember.objects.filter(customer=customer).update(until=datetime.date(2000, 1, 1))
    assert services.key_customer_warning(customer) is not None
    services.remove_member(customer, env.rep2, actor=env.manager)
    assert not CustomerMember.objects.exists()


def test_key_customer_warning_follows_the_policy(env, new_customer):
    """The number of staff comes from the policy (deadlines.key_customer_min_contacts)."""
    from guanxi.policy.services import current

    customer = new_customer(is_key=True)
    services.add_member(customer, env.rep2, actor=env.manager, access="write")
    policy = current()
    assert services.key_customer_warning(customer, policy=policy) is None  # two of two
    stricter = policy.model_copy(update={"deadlines": policy.deadlines.model_copy(update={"key_customer_min_contacts": 3})})
    warning = str(services.key_customer_warning(customer, policy=stricter))
    assert "at least 3" in warning and "but 2 are" in warning
    plain = new_customer("普通客户")
    assert services.key_customer_warning(plain) is None
    with pytest.raises(DomainError):
        services.add_member(customer, env.rep, actor=env.manager)  # the owner


def test_tags(env, new_customer):
    customer = new_customer()
    assert services.set_tags(customer, ["甲", "乙"], actor=env.rep)
    assert not services.set_tags(customer, ["乙", "甲"], actor=env.rep)
    assert services.add_tags([customer], [Tag.objects.get(name="甲"), "丙"], actor=env.rep) == 1
    assert sorted(customer.tags.values_list("name", flat=True)) == ["丙", "乙", "甲"]


def test_outlet_template_is_shipped():
    keys = list(CustomFieldDef.objects.filter(category="outlet").values_list("label", "field_type"))
    labels = [label for label, _ in keys]
    for label in ("门店类型", "片区负责人", "所处方位", "周围居民户数", "营业面积", "店面是否整洁", "物料是否齐备", "物料摆放合规否"):
        assert label in labels
    for label in ("代理商", "月收费额", "月缴费笔数", "收费人", "是否取得上岗资格证"):
        assert label in labels
    files = {label for label, kind in keys if kind == "file"}
    assert files == {"店面照片", "门头照片", "柜台照片"}


def test_custom_fields_are_validated(env, new_customer):
    outlet = new_customer(
        "便民店",
        category="outlet",
        custom_data={
            "outlet_type": "A类网点",
            "households_around": "１２００",
            "store_tidy": "是",
            "monthly_collection": "80,000.5",
            "region_head": "",
        },
    )
    assert outlet.custom_data == {"outlet_type": "A类网点", "households_around": 1200, "store_tidy": True, "monthly_collection": "80000.50"}
    for bad in ({"outlet_type": "D类"}, {"households_around": "many"}, {"store_tidy": "maybe"}, {"nonexistent": 1}):
        with pytest.raises(DomainError) as exc:
            services.update_customer(outlet, actor=env.rep, data={"custom_data": bad}, expected_version=outlet.version)
        assert exc.value.field == "custom_data"
    # Changing the category drops the fields the new category does not define.
    services.update_customer(outlet, actor=env.rep, data={"category": "direct"}, expected_version=outlet.version)
    outlet.refresh_from_db()
    assert outlet.custom_data == {}


def test_refresh_keys_without_history(env, new_customer):
    customer = new_customer()
    Customer.objects.filter(pk=customer.pk).update(name="长沙重工", name_key="", pinyin="", initials="")
    customer.refresh_from_db()
    rows = customer.history.count()
    assert services.refresh_keys(customer, save=True)
    customer.refresh_from_db()
    assert customer.initials == "cszg" and customer.history.count() == rows and customer.version == 1


def test_timeline_has_changes_contacts_and_extensions(env, new_customer):
    customer = new_customer(contacts=[{"name": "甲", "mobile": "13812345678"}])
    services.update_customer(customer, actor=env.rep, data={"industry": "钢铁"}, expected_version=1)
    contact = customer.contacts.get()
    services.update_contact(contact, actor=env.rep, data={"mobile": "13912345678"})

    def visits(customer, *, user=None, limit=50):
        return [TimelineItem(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), "visit", "Visit")]

    register(visits)
    try:
        items = timeline(customer, user=env.rep)
    finally:
        unregister(visits)
    kinds = [i.kind for i in items]
    assert kinds[-1] == "visit"
    assert "change" in kinds and "contact" in kinds
    texts = " ".join(f"{i.title} {i.body}" for i in items)
    assert "钢铁" in texts and "甲" in texts
    assert "13912345678" not in texts and "13812345678" not in texts  # personal values never shown


def test_delete_customer(env, new_customer):
    customer = new_customer()
    services.delete_customer(customer, actor=env.gm)
    assert not Customer.objects.exists()
    assert AuditEvent.objects.filter(event_type="customer.deleted").exists()


def test_changing_a_key_field_of_a_filed_customer_starts_the_change_report(env, new_customer):
    from django.utils import timezone

    customer = new_customer(address="上海市浦东新区世纪大道1号")
    Customer.objects.filter(pk=customer.pk).update(filed_at=timezone.now())
    customer.refresh_from_db()
    services.update_customer(customer, actor=env.rep, data={"industry": "钢铁"}, expected_version=customer.version)
    customer.refresh_from_db()
    assert customer.change_report_deadline is None  # industry is not a filed key field
    services.update_customer(customer, actor=env.rep, data={"address": "上海市浦东新区世纪大道2号"}, expected_version=customer.version)
    customer.refresh_from_db()
    assert customer.change_report_deadline is not None
    event = AuditEvent.objects.get(event_type="customer.change_report_due", subject_id=str(customer.pk))
    assert event.data.get("clause")


def test_the_key_customer_help_on_the_form_says_the_policy_number(monkeypatch):
    from django.utils import translation

    from guanxi.customers.forms import key_customer_help
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    with translation.override("en"):
        assert "at least 2 company staff" in key_customer_help()
        data = default_policy().model_dump(mode="json")
        data["deadlines"]["key_customer_min_contacts"] = 3
        monkeypatch.setattr(policy_services, "current", lambda: policy_services.validate(data).with_version(4))
        assert "at least 3 company staff" in key_customer_help()
