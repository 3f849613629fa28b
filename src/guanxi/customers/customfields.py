"""Custom fields per customer category (F-CUS-11): the definitions live in CustomFieldDef, the
values in Customer.custom_data ({key: value}, JSON), photos and files in CustomerFile (the
value of a file field is the list of CustomerFile ids).

`clean(category, data)` validates and normalises the values against the category's
definitions; values are stored as JSON types: text → str, number → int or str (decimal),
money → str with two decimals, date → "YYYY-MM-DD", choice → str, multi → [str], yes/no →
bool, file → [int].

OUTLET_TEMPLATE is the outlet profile 客户资料表 of seed 003 附表二, shipped by migration for the
category "outlet"; `install_template()` (idempotent) creates the definitions that are missing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import DomainError

from .models import Category, CustomFieldDef, FieldType

TEXT_MAX = 500
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "有", "对", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "无", "不", "×"}

# Seed 003 附表二 客户资料表 (outlet profile); outlet types from 附表一 网点类型分类表.
OUTLET_TEMPLATE: tuple[dict, ...] = (
    {"key": "outlet_type", "label": "门店类型", "field_type": FieldType.CHOICE, "choices": ["A类网点", "B类网点", "C类网点"]},
    {"key": "region_head", "label": "片区负责人", "field_type": FieldType.TEXT},
    {"key": "location", "label": "所处方位", "field_type": FieldType.TEXT},
    {"key": "households_around", "label": "周围居民户数", "field_type": FieldType.NUMBER},
    {"key": "floor_area", "label": "营业面积", "field_type": FieldType.NUMBER, "help_text": "平方米 (m²)"},
    {"key": "store_tidy", "label": "店面是否整洁", "field_type": FieldType.BOOL},
    {"key": "materials_complete", "label": "物料是否齐备", "field_type": FieldType.BOOL},
    {"key": "materials_compliant", "label": "物料摆放合规否", "field_type": FieldType.BOOL},
    {"key": "agent", "label": "代理商", "field_type": FieldType.TEXT},
    {"key": "monthly_collection", "label": "月收费额", "field_type": FieldType.MONEY, "help_text": "元 (¥)"},
    {"key": "monthly_payment_count", "label": "月缴费笔数", "field_type": FieldType.NUMBER},
    {"key": "collector", "label": "收费人", "field_type": FieldType.TEXT},
    {"key": "collector_certified", "label": "是否取得上岗资格证", "field_type": FieldType.BOOL},
    {"key": "storefront_photo", "label": "店面照片", "field_type": FieldType.FILE},
    {"key": "door_photo", "label": "门头照片", "field_type": FieldType.FILE},
    {"key": "counter_photo", "label": "柜台照片", "field_type": FieldType.FILE},
)


def install_template(model=CustomFieldDef, category: str = Category.OUTLET, template=OUTLET_TEMPLATE) -> int:
    """Creates the template's definitions that are missing (never changes existing ones);
    returns how many were created. The data migration passes its historical model."""
    existing = set(model.objects.filter(category=category).values_list("key", flat=True))
    created = 0
    for order, spec in enumerate(template, start=1):
        if spec["key"] in existing:
            continue
        model.objects.create(
            category=category,
            key=spec["key"],
            label=spec["label"],
            field_type=str(spec["field_type"]),
            choices=list(spec.get("choices", [])),
            required=spec.get("required", False),
            searchable=spec.get("searchable", False),
            help_text=spec.get("help_text", ""),
            order=order * 10,
        )
        created += 1
    return created


def definitions(category: str) -> list[CustomFieldDef]:
    return list(CustomFieldDef.objects.filter(category=category).order_by("order", "key"))


def choice_values(definition) -> list[str]:
    """Choices may be stored as ["A", …], [["a", "A"], …] or [{"value": "a", "label": "A"}, …]."""
    out = []
    for item in definition.choices or []:
        if isinstance(item, dict):
            out.append(str(item.get("value", item.get("label", ""))))
        elif isinstance(item, list | tuple) and item:
            out.append(str(item[0]))
        else:
            out.append(str(item))
    return out


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list | tuple) and not value)


def _error(definition, message) -> DomainError:
    return DomainError(
        _("%(label)s: %(message)s") % {"label": definition.label, "message": message},
        field="custom_data",
        code="invalid_custom_field",
        params={"key": definition.key},
    )


def _decimal(definition, value) -> Decimal:
    if isinstance(value, bool):
        raise _error(definition, _("enter a number."))
    text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise _error(definition, _("enter a number.")) from exc
    if not number.is_finite():
        raise _error(definition, _("enter a number."))
    return number


def clean_value(definition, value):
    kind = definition.field_type
    if kind == FieldType.TEXT:
        text = str(value).strip()
        if len(text) > TEXT_MAX:
            raise _error(definition, _("at most 500 characters."))
        return text
    if kind == FieldType.NUMBER:
        number = _decimal(definition, value)
        return int(number) if number == number.to_integral_value() and abs(number) < 2**53 else str(number.normalize())
    if kind == FieldType.MONEY:
        number = _decimal(definition, value)
        if number < 0:
            raise _error(definition, _("an amount cannot be negative."))
        return str(number.quantize(Decimal("0.01")))
    if kind == FieldType.DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            parsed = parse_date(str(value).strip().replace("/", "-"))
        except ValueError:
            parsed = None
        if parsed is None:
            raise _error(definition, _("enter a date as YYYY-MM-DD."))
        return parsed.isoformat()
    if kind == FieldType.CHOICE:
        allowed = choice_values(definition)
        text = str(value).strip()
        if text not in allowed:
            raise _error(definition, _("choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
        return text
    if kind == FieldType.MULTI:
        items = value if isinstance(value, list | tuple) else str(value).replace("，", ",").split(",")
        allowed = choice_values(definition)
        picked = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            if text not in allowed:
                raise _error(definition, _("choose among: %(choices)s.") % {"choices": ", ".join(allowed)})
            if text not in picked:
                picked.append(text)
        return picked
    if kind == FieldType.BOOL:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _error(definition, _("answer yes or no."))
    if kind == FieldType.FILE:
        items = value if isinstance(value, list | tuple) else [value]
        try:
            return [int(v) for v in items if not _empty(v)]
        except (TypeError, ValueError) as exc:
            raise _error(definition, _("upload a file.")) from exc
    raise _error(definition, _("unknown field type."))


def clean(category: str, data: dict | None, *, defs: list | None = None, check_required: bool = True) -> dict:
    """The cleaned custom_data of a customer of `category`; raises DomainError (field
    "custom_data") naming the field. Unknown keys are refused; empty values are dropped."""
    data = data or {}
    if not isinstance(data, dict):
        raise DomainError(_("Custom fields must be given as a mapping of field keys to values."), field="custom_data")
    defs = definitions(category) if defs is None else defs
    by_key = {d.key: d for d in defs}
    unknown = sorted(set(data) - set(by_key))
    if unknown:
        raise DomainError(
            _("Unknown custom fields for this category: %(keys)s.") % {"keys": ", ".join(unknown)},
            field="custom_data",
            code="unknown_custom_field",
        )
    out = {}
    for key, definition in by_key.items():
        value = data.get(key)
        if _empty(value):
            if check_required and definition.required and definition.field_type != FieldType.FILE:
                raise _error(definition, _("this field is required."))
            continue
        out[key] = clean_value(definition, value)
    return out


def keep_known(category: str, data: dict | None) -> dict:
    """The values of `data` that the category defines (after a category change)."""
    keys = set(CustomFieldDef.objects.filter(category=category).values_list("key", flat=True))
    return {k: v for k, v in (data or {}).items() if k in keys}


def display(customer) -> list[tuple[CustomFieldDef, object]]:
    """(definition, value) for the customer's category, in order (file values as ids)."""
    data = customer.custom_data or {}
    return [(d, data.get(d.key)) for d in definitions(customer.category)]
