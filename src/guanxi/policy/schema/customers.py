"""Policy section `customers`: what a complete customer record holds per category (F-CUS-5) and
which changes of a filed record must be reported (F-CUS-4). The deadlines themselves stay in
the `deadlines` section (`deadlines.filing_working_days`, `deadlines.change_report_working_days`).

Field keys are stable: a customer field (`credit_code`, `address`, `region`…), a computed check
(`contacts`: at least one contact; `contact_phone`: a contact with a mobile or phone number;
`departments`: at least one customer department; `tags`), or a custom field of the category as
`custom.<key>` (a photo field counts when a file is attached).
"""

from __future__ import annotations

import re
from typing import Literal

from django.utils.translation import gettext_noop
from pydantic import field_validator

from .base import Section, clause

# Customer category codes (guanxi.customers.models.Category); stable.
CategoryCode = Literal["supplier", "distributor", "agreement", "direct", "special", "outlet"]

# Customer fields a policy may require (guanxi.customers.models.Customer).
CUSTOMER_FIELDS = (
    "name",
    "short_name",
    "credit_code",
    "category",
    "special_kind",
    "industry",
    "scale",
    "nature",
    "supervising_unit",
    "region",
    "address",
    "website",
    "business_scope",
    "registered_capital",
    "legal_representative",
    "phone",
    "fax",
    "email",
    "source",
    "owner",
    "first_contact_date",
)
COMPUTED_FIELDS = ("contacts", "contact_phone", "departments", "tags")
CUSTOM_RE = re.compile(r"^custom\.[a-z0-9][a-z0-9_-]{0,39}$")

# Seed 002 §1.3 客户存档 2: name, category, nature, supervising unit, address, contact, phone;
# seed 001 §5.1: name, contact details, company, address.
_COMMON = ["name", "nature", "address", "phone", "contacts", "contact_phone"]

# Seed 003 附表二 客户资料表 (outlet profile): the store's own fields are custom fields of the
# outlet category, with the keys of the shipped template (guanxi.customers.customfields).
OUTLET_PROFILE = [
    "custom.outlet_type",  # 门店类型
    "custom.region_head",  # 片区负责人
    "custom.location",  # 所处方位
    "custom.households_around",  # 周围居民户数
    "custom.floor_area",  # 营业面积
    "custom.store_tidy",  # 店面是否整洁
    "custom.materials_complete",  # 物料是否齐备
    "custom.materials_compliant",  # 物料摆放合规否
    "custom.agent",  # 代理商
    "custom.monthly_collection",  # 月收费额
    "custom.monthly_payment_count",  # 月缴费笔数
    "custom.collector",  # 收费人
    "custom.collector_certified",  # 是否取得上岗资格证
    "custom.storefront_photo",  # 店面照片
    "custom.door_photo",  # 门头照片
    "custom.counter_photo",  # 柜台照片
]


def _default_required() -> dict[str, list[str]]:
    return {
        "supplier": [*_COMMON, "credit_code", "legal_representative", "business_scope"],
        "distributor": [*_COMMON, "credit_code", "legal_representative", "region"],
        "agreement": [*_COMMON, "credit_code", "supervising_unit", "industry", "region"],
        "direct": [*_COMMON, "industry", "region"],
        "special": ["name", "special_kind", "supervising_unit", "address", "phone", "contacts", "contact_phone"],
        "outlet": ["name", "region", "address", "phone", "contacts", "contact_phone", *OUTLET_PROFILE],
    }


def _default_change_fields() -> list[str]:
    # Seed 002 §1.3 3 / §1.4 2: the basic information of the filing form.
    return ["name", "credit_code", "category", "nature", "supervising_unit", "address", "phone", "legal_representative"]


def valid_field_key(key: str) -> bool:
    return key in CUSTOMER_FIELDS or key in COMPUTED_FIELDS or bool(CUSTOM_RE.match(key))


def _check_keys(keys: list[str]) -> list[str]:
    unknown = [k for k in keys if not valid_field_key(k)]
    if unknown:
        raise ValueError(
            f"Unknown field: {', '.join(unknown)}. Use a customer field, contacts, contact_phone, departments, tags or custom.<key>."
        )
    if len(set(keys)) != len(keys):
        raise ValueError("List each field once.")
    return keys


class CustomersPolicy(Section):
    required_fields: dict[CategoryCode, list[str]] = clause(
        zh="各类客户档案必填项",
        en="Required fields of a customer record by category",
        help=gettext_noop(
            "For each customer category the fields a complete record holds; the completeness score is the share of them filled in. "
            "Use a customer field (e.g. credit_code, address), contacts, contact_phone, departments, tags, or custom.<key> for a custom field."
        ),
        seed="seed 002 §1.3 客户存档 2; seed 001 §5.1; seed 003 附表二 客户资料表",
        default_factory=_default_required,
    )
    change_report_fields: list[str] = clause(
        zh="需反馈变动的备案信息",
        en="Changes of a filed customer that must be reported",
        help=gettext_noop("A change of one of these fields on a filed customer starts the change-report deadline."),
        seed="seed 002 §1.4 客户备案 2",
        default_factory=_default_change_fields,
    )

    @field_validator("required_fields")
    @classmethod
    def _required(cls, value):
        for keys in value.values():
            _check_keys(keys)
        return value

    @field_validator("change_report_fields")
    @classmethod
    def _change(cls, value):
        return _check_keys(value)
