"""Which scheme grades a customer, level order and labels (all from the policy)."""

from __future__ import annotations

from django.utils.translation import get_language

from guanxi.policy.schema.grading import GradeLevel, GradingScheme

CLAUSE = "grading.schemes"
CATEGORY_CLAUSE = "grading.scheme_by_category"


def policy():
    from guanxi.policy.services import current

    return current()


def scheme_for_category(category: str, pol=None) -> GradingScheme:
    grading = (pol or policy()).grading
    return grading.scheme(grading.scheme_code_for(category)) or grading.scheme()


def scheme_for(customer, pol=None) -> GradingScheme:
    """The scheme that grades `customer` (policy clause grading.scheme_by_category)."""
    return scheme_for_category(customer.category, pol)


def rank(scheme: GradingScheme, level_code: str) -> int:
    """0 for the most important level; len(levels) for an unknown or empty code."""
    for i, level in enumerate(scheme.levels):
        if level.code == level_code:
            return i
    return len(scheme.levels)


def is_upgrade(scheme: GradingScheme, old: str, new: str) -> bool:
    return bool(new) and rank(scheme, new) < rank(scheme, old)


def label(item: GradeLevel | GradingScheme | None, code: str = "") -> str:
    if item is None:
        return code
    return item.label_zh if (get_language() or "").lower().startswith("zh") else item.label_en


def level_label(scheme: GradingScheme, code: str) -> str:
    return label(scheme.level(code), code) if code else ""


def clause_for(scheme_code: str, level_code: str = "") -> str:
    key = f"{CLAUSE}.{scheme_code}"
    return f"{key}.levels.{level_code}" if level_code else key
