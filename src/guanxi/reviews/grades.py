"""The few things reviews need from grading (helper G's interface, brief4 "Interfaces"): the
customer's scheme and current level, the order of levels, and `set_grade`. Kept in one module so
the rest of the app does not depend on grading's internals.

Level order: a scheme's levels are listed most important first (rank 0 = best). The *regular*
levels are those down to the scheme's fallback level (or all of them when it has none); levels
below the fallback (e.g. D "serious credit problems" of the ABCD scheme, "potential" of the
importance scheme) are states set deliberately, not steps of a downgrade.
"""

from __future__ import annotations

from django.apps import apps


def scheme_for(customer):
    from guanxi.grading import rules

    return rules.scheme_for(customer)


def rank(scheme, level_code: str) -> int:
    from guanxi.grading import rules

    return rules.rank(scheme, level_code)


def current_level(customer) -> str:
    from guanxi.grading import queries

    return queries.current_level(customer) or ""


def set_grade(customer, level_code: str, *, actor, reason: str, source: str, clause: str = "", check_quota: bool = True):
    from guanxi.grading import services

    return services.set_grade(customer, level_code, actor=actor, reason=reason, source=source, clause=clause, check_quota=check_quota)


def grade_model():
    """grading.CustomerGrade, or None while the grading app has no such model."""
    try:
        return apps.get_model("grading", "CustomerGrade")
    except LookupError:
        return None


def codes(scheme) -> list[str]:
    return [lv.code for lv in scheme.levels] if scheme is not None else []


def label(scheme, code: str) -> str:
    """ "A类客户 (A)" style label of a level; the bare code when unknown."""
    if not code:
        return ""
    level = scheme.level(code) if scheme is not None else None
    return f"{level.label_zh} ({code})" if level is not None else code


def choices(scheme) -> list[tuple[str, str]]:
    return [(lv.code, label(scheme, lv.code)) for lv in scheme.levels] if scheme is not None else []


def lowest_regular(scheme) -> str:
    fallback = next((lv.code for lv in scheme.levels if lv.fallback), None)
    return fallback or scheme.levels[-1].code


def _index(scheme, code: str) -> int | None:
    all_codes = codes(scheme)
    return all_codes.index(code) if code in all_codes else None


def is_above_lowest_regular(scheme, code: str) -> bool:
    i, low = _index(scheme, code), _index(scheme, lowest_regular(scheme))
    return i is not None and low is not None and i < low


def next_lower(scheme, code: str) -> str:
    """The level one step below `code`, never below the lowest regular level; "" when none."""
    i, low = _index(scheme, code), _index(scheme, lowest_regular(scheme))
    if i is None or low is None or i >= low:
        return ""
    return scheme.levels[i + 1].code


def next_higher(scheme, code: str) -> str:
    """The level one step above `code` among the regular levels; "" at the top (or for a level
    below the regular ones, which is never upgraded automatically)."""
    i, low = _index(scheme, code), _index(scheme, lowest_regular(scheme))
    if i is None or low is None or i == 0 or i > low:
        return ""
    return scheme.levels[i - 1].code


def is_lower(scheme, code: str, than: str) -> bool:
    i, j = _index(scheme, code), _index(scheme, than)
    return i is not None and j is not None and i > j
