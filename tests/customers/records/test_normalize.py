"""Keys shared by search and the duplicate check."""

import pytest

from guanxi.customers.normalize import name_key, phone_key, pinyin_keys


@pytest.mark.parametrize(
    "name",
    [
        "华新钢铁",
        "华新钢铁有限公司",
        "华新钢铁有限责任公司",
        "华新钢铁股份有限公司",
        "华新钢铁集团有限公司",
        "华新钢铁（集团）",
        " 华新 钢铁 公司 ",
        "华新钢铁公司。",
    ],
)
def test_company_suffixes_spaces_and_punctuation_fold_away(name):
    assert name_key(name) == "华新钢铁"


def test_width_and_case_fold():
    assert name_key("ＡＢＣ Trading Co., Ltd.") == name_key("abc trading") == "abctrading"
    assert name_key("３Ｍ中国有限公司") == "3m中国"


def test_a_bare_suffix_is_kept():
    assert name_key("公司") == "公司"
    assert name_key("") == ""


def test_pinyin_and_initials():
    assert pinyin_keys("华新钢铁") == ("huaxingangtie", "hxgt")
    full, initials = pinyin_keys("华新钢铁集团有限公司")
    assert full.startswith("huaxingangtie") and initials.startswith("hxgt")
    # Polyphones read from the phrase: 重庆 chongqing, 银行 yinhang.
    assert pinyin_keys("重庆银行") == ("chongqingyinhang", "cqyh")
    # Latin letters and digits stay, full width folded.
    assert pinyin_keys("３Ｍ中国") == ("3mzhongguo", "3mzg")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("138 1234 5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("021-12345678", "02112345678"),
        ("(021)12345678转8", "02112345678"),
        ("400-820-8820", "4008208820"),
        ("12345678", ""),
        ("not a number", ""),
        ("", ""),
    ],
)
def test_phone_key(raw, key):
    assert phone_key(raw) == key
