"""Validation and normalisation of customer identifiers (F-CUS-1, F-CUS-2).

Each function accepts full-width characters and stray spaces, returns the normalised value and
raises django.core.exceptions.ValidationError with a clear message otherwise:

- `validate_credit_code(code)`: unified social credit code 统一社会信用代码 (GB 32100-2015):
  18 characters from 0-9 and A-Y without I, O, S, V, Z; characters 3-8 an administrative
  division code; the last one the check character (weights 3^i mod 31).
- `normalize_mobile(raw)`: a mainland mobile number → its 11 digits ("13812345678").
- `normalize_phone(raw)`: a landline with area code ("021-12345678", extension "-801"), a
  400/800 number ("400-820-8820") or a mobile number.
- `validate_id_number(value)`: resident identity card number (GB 11643-1999 check digit).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .normalize import PhoneError, fold, parse_phone

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def credit_code_check_char(first17: str) -> str:
    """The check character of the first 17 characters of a credit code."""
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def clean_credit_code(code: str | None) -> str:
    """Upper case, half width, without spaces or dashes (not yet validated)."""
    return re.sub(r"[\s\-]+", "", fold(code)).upper()


def validate_credit_code(code: str | None) -> str:
    value = clean_credit_code(code)
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="credit_code_length",
            params={"count": len(value)},
        )
    if not _CREDIT_CODE.match(value):
        raise ValidationError(
            _(
                "This is not a unified social credit code: it may contain only digits and the capital letters "
                "A-Y except I, O, S, V and Z, and characters 3 to 8 must be digits."
            ),
            code="credit_code_format",
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("The unified social credit code is wrong: its check character does not match. Please check each character."),
            code="credit_code_check",
        )
    return value


def _phone_message(code: str):
    if code == "no_area_code":
        return _("Enter the area code with a landline number, e.g. 021-12345678.")
    if code == "foreign":
        return _("Only mainland China numbers are accepted.")
    return None


def normalize_mobile(raw: str | None) -> str:
    try:
        number = parse_phone(raw)
    except PhoneError as exc:
        message = _phone_message(exc.code) if exc.code == "foreign" else None
        raise ValidationError(
            message or _("Enter a valid mainland China mobile number of 11 digits, e.g. 13812345678."), code="invalid_mobile"
        ) from exc
    if number.kind != "mobile":
        raise ValidationError(_("This is not a mobile number; enter it as a phone number instead."), code="not_mobile")
    return number.digits


def normalize_phone(raw: str | None) -> str:
    try:
        number = parse_phone(raw)
    except PhoneError as exc:
        message = _phone_message(exc.code)
        raise ValidationError(
            message or _("Enter a valid mainland China phone number with its area code, e.g. 021-12345678, or a mobile number."),
            code="invalid_phone",
        ) from exc
    return number.formatted


def validate_id_number(value: str | None) -> str:
    """An 18-character resident identity card number (the last may be X)."""
    text = re.sub(r"\s+", "", fold(value)).upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValidationError(_("An ID card number has 17 digits followed by a digit or X."), code="invalid_id_number")
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != text[17]:
        raise ValidationError(_("The ID card number is wrong: its check digit does not match."), code="invalid_id_number")
    return text
