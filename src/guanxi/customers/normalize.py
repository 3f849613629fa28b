"""Normalised keys of customer data, shared by search (F-CUS-10), the duplicate check (F-CUS-6)
and import: pure functions, no database access.

- `name_key(name)`: full-/half-width, case, spaces, punctuation and company suffixes
  (有限公司, 有限责任公司, 股份有限公司, 集团, 公司…) folded away, so 「华新钢铁集团有限公司」,
  「华新钢铁 （集团）」 and 「华新钢铁」 share one key.
- `phone_key(raw)`: the digits of a mainland number (mobile: 11 digits; landline: area code with
  its leading 0 and the subscriber number; 400/800 service numbers: 10 digits), "" when the
  value is not a valid mainland number. Extensions are ignored.
- `pinyin_keys(name)`: (full pinyin, initials) in lower case, e.g. 华新钢铁 → ("huaxingangtie",
  "hxgt"); letters and digits in the name are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

# Longest first, removed repeatedly from the end of the name.
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "分公司",
    "总公司",
    "集团",
    "公司",
    "corporation",
    "company",
    "limited",
    "coltd",
    "corp",
    "ltd",
    "inc",
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_DIGITS = re.compile(r"\d")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def fold(text: str | None) -> str:
    """Full-width → half-width (NFKC), ideographic space → space, trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def name_key(name: str | None) -> str:
    key = _NOT_WORD.sub("", fold(name).lower())
    stripped = True
    while stripped:
        stripped = False
        for suffix in COMPANY_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
                break
    return key[:200]


def has_han(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def pinyin_keys(name: str | None) -> tuple[str, str]:
    """(full pinyin, initials), lower case, without spaces or punctuation."""
    from pypinyin import Style, lazy_pinyin

    text = fold(name).lower()
    if not text:
        return "", ""
    # Both calls split the text the same way (one token per Chinese character, other runs
    # passed through whole), and pypinyin picks polyphone readings from phrases (重庆, 银行).
    full = _NOT_WORD.sub("", "".join(lazy_pinyin(text, style=Style.NORMAL)))
    initials = _NOT_WORD.sub("", "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)))
    return full[:400], initials[:100]


# ---------------------------------------------------------------- phone numbers


@dataclass(frozen=True)
class PhoneNumber:
    kind: str  # mobile | landline | service
    digits: str  # the key: 13812345678, 02112345678, 4008208820
    display: str  # 13812345678, 021-12345678, 400-820-8820
    extension: str = ""

    @property
    def formatted(self) -> str:
        return f"{self.display}-{self.extension}" if self.extension else self.display


class PhoneError(ValueError):
    """Why a value is not a mainland number: code is empty | invalid | no_area_code | foreign."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE}
_LANDLINE_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_SERVICE_TYPES = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
}


def parse_phone(raw: str | None) -> PhoneNumber:
    """Parses a mainland China number (mobile, landline with area code, 400/800 number);
    full-width digits, spaces, dashes, brackets, +86/0086 and an extension (转 / ext / -) are
    accepted. Raises PhoneError."""
    text = fold(raw)
    if not text:
        raise PhoneError("empty")
    extension = ""
    m = _EXTENSION.search(text)
    if m:
        extension, text = m.group(1), text[: m.start()].strip()
    if text.startswith("0086"):
        text = "+86" + text[4:]
    digits = "".join(_DIGITS.findall(text))
    if not digits:
        raise PhoneError("invalid")
    # 021-12345678-801: a third dash-separated group after a complete landline is an extension.
    if not extension:
        parts = [p for p in re.split(r"[-\s]+", text) if p]
        if len(parts) == 3 and parts[0].startswith("0") and len(parts[-1]) <= 5 and len(parts[1]) >= 7:
            extension = parts[2]
            digits = parts[0] + parts[1]
            text = digits
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("invalid") from exc
    if number.country_code != 86:
        raise PhoneError("foreign")
    if not phonenumbers.is_valid_number(number):
        national = str(number.national_number)
        if 7 <= len(national) <= 8 and not text.lstrip("+").startswith(("0", "86")):
            raise PhoneError("no_area_code")
        raise PhoneError("invalid")
    if number.extension and not extension:
        extension = number.extension
    national = str(number.national_number)
    kind_type = phonenumbers.number_type(number)
    if kind_type in _MOBILE_TYPES:
        return PhoneNumber("mobile", national, national, extension)
    if kind_type in _SERVICE_TYPES:
        return PhoneNumber("service", national, f"{national[:3]}-{national[3:6]}-{national[6:]}", extension)
    if kind_type in _LANDLINE_TYPES:
        area_len = phonenumbers.length_of_geographical_area_code(number) or 2
        area, subscriber = national[:area_len], national[area_len:]
        return PhoneNumber("landline", f"0{national}", f"0{area}-{subscriber}", extension)
    raise PhoneError("invalid")


def phone_key(raw: str | None) -> str:
    """Digits of a mainland number, "" when the value is not one."""
    try:
        return parse_phone(raw).digits
    except PhoneError:
        return ""


def query_digits(text: str | None) -> str:
    """The digits of a search query such as "138-1234 5678" or "(021)12345678"."""
    return "".join(_DIGITS.findall(fold(text)))
