"""Credit code (GB 32100-2015), mainland phone numbers, ID numbers: valid, invalid, full width."""

import pytest
from django.core.exceptions import ValidationError

from guanxi.customers.validators import (
    credit_code_check_char,
    normalize_mobile,
    normalize_phone,
    validate_credit_code,
    validate_id_number,
)


def with_check(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


VALID_CODES = [
    "91350100M000100Y43",  # the example of the standard
    with_check("91110108MA01ABCDE"),
    with_check("12100000400000001"),
    with_check("91310000607214563"),
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes(code):
    assert validate_credit_code(code) == code


def test_computed_check_characters():
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert credit_code_check_char("91110000100000000") == "R"


def test_credit_code_is_normalised():
    # Full width, lower case, spaces and dashes are accepted.
    assert validate_credit_code("９１３５０１００ｍ０００１００ｙ４３") == "91350100M000100Y43"
    assert validate_credit_code(" 91350100-m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "credit_code_check"),  # wrong check character
        ("91350100M000100Y4", "credit_code_length"),  # 17 characters
        ("91350100M000100Y433", "credit_code_length"),
        ("91350100I000100Y43", "credit_code_format"),  # I is not allowed
        ("9135A100M000100Y43", "credit_code_format"),  # division code must be digits
        ("91350100M000100Y4Z", "credit_code_format"),
        ("", "credit_code_length"),
    ],
)
def test_invalid_credit_codes(code, error):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == error
    assert exc.value.messages[0]


def test_every_single_character_change_is_caught():
    code = VALID_CODES[1]
    for i in range(18):
        for ch in "0A":
            if code[i] == ch:
                continue
            changed = code[:i] + ch + code[i + 1 :]
            with pytest.raises(ValidationError):
                validate_credit_code(changed)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits
        ("１９９ １２３４ ５６７８", "19912345678"),
    ],
)
def test_mobiles_are_normalised(raw, expected):
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["1381234567", "138123456789", "23812345678", "abc", "021-12345678", "+1 650 253 0000", ""])
def test_malformed_mobiles(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_mobile(raw)
    assert exc.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("021-12345678", "021-12345678"),
        ("(010) 8888 6666", "010-88886666"),
        ("０７５５－１２３４５６７８", "0755-12345678"),
        ("02112345678", "021-12345678"),
        ("021-12345678-801", "021-12345678-801"),
        ("021-12345678转801", "021-12345678-801"),
        ("400-820-8820", "400-820-8820"),
        ("13812345678", "13812345678"),
    ],
)
def test_phones_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


def test_landline_without_area_code_says_so():
    with pytest.raises(ValidationError) as exc:
        normalize_phone("12345678")
    assert "area code" in exc.value.messages[0]


@pytest.mark.parametrize("raw", ["123", "phone", "0571-888", "+44 20 7946 0958", "021-1234567890123"])
def test_malformed_phones(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_id_numbers():
    assert validate_id_number("11010519491231002X") == "11010519491231002X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    for bad in ("110105194912310021", "1101051949123100", "ABCDEFGHIJKLMNOPQR"):
        with pytest.raises(ValidationError):
            validate_id_number(bad)
