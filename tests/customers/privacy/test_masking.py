"""Masking of personal values (F-ORG-5): mobile 138****5678, landline, ID number, address keeps
the city, birthday and background fully hidden; the template filter and tag."""

import datetime as dt

import pytest
from django.template import Context, Template

from guanxi.customers.privacy import guess_kind, mask


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("13812345678", "mobile", "138****5678"),
        ("138 1234 5678", "mobile", "138****5678"),
        ("+86 138-1234-5678", "mobile", "138****5678"),
        ("１３８１２３４５６７８", "mobile", "138****5678"),
        ("12345", "mobile", "****"),
        ("010-12345678", "landline", "010-****5678"),
        ("0571-88886666", "phone", "0571-****6666"),
        ("(021) 6234 5678", "landline", "021-****5678"),
        ("13812345678", "landline", "138****5678"),
        ("110101199003071234", "id_number", "110***********1234"),
        ("11010519491231002x", "id_number", "110***********002X"),
        ("110101900307123", "id_number", "110********7123"),
        ("123", "id_number", "******"),
        ("浙江省杭州市西湖区文三路90号", "address", "浙江省杭州市****"),
        ("北京市朝阳区建国路88号", "address", "北京市****"),
        ("广西壮族自治区南宁市青秀区民族大道", "address", "广西壮族自治区南宁市****"),
        ("湖北省恩施土家族苗族自治州恩施市", "address", "湖北省恩施土家族苗族自治州****"),
        ("朝阳区建国路城市花园3号", "address", "******"),
        ("Room 5, 88 Jianguo Road", "address", "******"),
        (dt.date(1990, 3, 7), "birthday", "****-**-**"),
        ("1990-03-07", "birthday", "****-**-**"),
        ("已婚，一子", "family", "******"),
        ("anything", "background", "******"),
        ("wang@example.com", "email", "w***@example.com"),
        ("", "mobile", ""),
        (None, "birthday", ""),
        ("   ", "address", ""),
    ],
)
def test_mask(value, kind, expected):
    assert mask(value, kind) == expected


def test_masked_values_never_contain_the_hidden_part():
    assert "1234" not in mask("13812345678", "mobile")[3:7]
    masked = mask("110101199003071234", "id_number")
    assert len(masked) == 18 and "19900307" not in masked
    assert "西湖区" not in mask("浙江省杭州市西湖区文三路90号", "address")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("13812345678", "mobile"),
        ("010-12345678", "landline"),
        ("110101199003071234", "id_number"),
        (dt.date(1990, 3, 7), "birthday"),
        ("wang@example.com", "email"),
        ("浙江省杭州市西湖区", "address"),
        ("喜欢钓鱼", "text"),
    ],
)
def test_guess_kind(value, kind):
    assert guess_kind(value) == kind


def test_personal_filter_masks_whoever_looks():
    out = Template("{% load privacy %}{{ m|personal:user }}|{{ a|personal:user }}|{{ b|personal:user }}|{{ x|mask:'address' }}").render(
        Context({"m": "13812345678", "a": "北京市朝阳区建国路88号", "b": dt.date(1990, 3, 7), "x": "浙江省杭州市西湖区", "user": None})
    )
    assert out == "138****5678|北京市****|****-**-**|浙江省杭州市****"
