"""Read side of grading: the current grade, the customer panel, the reports."""

from __future__ import annotations

from django.db.models import Count, Q

from . import engine, quotas, rules
from .models import CustomerGrade, GradeChange


def current_level(customer) -> str:
    """The confirmed grade code of `customer` ("" when none)."""
    return CustomerGrade.objects.filter(customer_id=customer.pk).values_list("level", flat=True).first() or ""


def grade_of(customer) -> CustomerGrade | None:
    return CustomerGrade.objects.filter(customer_id=customer.pk).select_related("confirmed_by").first()


def history(customer, limit: int = 20) -> list[GradeChange]:
    return list(GradeChange.objects.filter(customer_id=customer.pk).select_related("actor").order_by("-at", "-id")[:limit])


def panel(customer, user) -> dict | None:
    """Context of the grade panel on the customer page (None without the permission)."""
    if not user.has_perm("grading.view_customergrade"):
        return None
    pol = rules.policy()
    scheme = rules.scheme_for(customer, pol)
    grade = grade_of(customer)
    explanation = engine.explain(customer, pol=pol)
    dept = quotas.department_of(customer.unit)
    counts = quotas.status(dept, scheme, pol=pol)
    stale = grade is not None and grade.proposed_at is not None and grade.proposed_level != explanation["level"]
    return {
        "scheme": scheme,
        "scheme_label": rules.label(scheme, scheme.code),
        "grade": grade,
        "level_label": rules.level_label(scheme, grade.level) if grade else "",
        "proposed_label": explanation["level_label"],
        "stored_proposed_label": rules.level_label(scheme, grade.proposed_level) if grade else "",
        "explanation": explanation,
        "stale": stale,
        "levels": [(lv.code, rules.label(lv, lv.code)) for lv in scheme.levels],
        "can_confirm": user.has_perm("grading.confirm_grade"),
        "can_refresh": user.has_perm("grading.change_customergrade"),
        "can_edit_profile": user.has_perm("grading.change_gradingprofile") or user.has_perm("grading.add_gradingprofile"),
        "department": dept,
        "quota_counts": counts,
        "history": history(customer, 10),
        "label_of": {lv.code: rules.label(lv, lv.code) for lv in scheme.levels},
    }


def grades_by_unit(queryset) -> list[dict]:
    """Confirmed grades per unit and scheme (report `grading:grade_list`): one GROUP BY."""
    rows = (
        queryset.order_by()
        .values("unit_id", "unit__name", "scheme", "level")
        .annotate(n=Count("pk"), proposed=Count("pk", filter=Q(level="")))
        .order_by("unit__name", "scheme", "level")
    )
    pol = rules.policy()
    out: dict[tuple[int, str], dict] = {}
    for row in rows:
        key = (row["unit_id"], row["scheme"])
        scheme = pol.grading.scheme(row["scheme"])
        entry = out.setdefault(
            key,
            {
                "unit_id": row["unit_id"],
                "unit": row["unit__name"],
                "scheme": row["scheme"],
                "scheme_label": rules.label(scheme, row["scheme"]) if scheme else row["scheme"],
                "levels": {},
                "unconfirmed": 0,
                "total": 0,
            },
        )
        entry["total"] += row["n"]
        if row["level"]:
            entry["levels"][row["level"]] = row["n"]
        else:
            entry["unconfirmed"] += row["n"]
    for entry in out.values():
        scheme = pol.grading.scheme(entry["scheme"])
        codes = [lv.code for lv in scheme.levels] if scheme else sorted(entry["levels"])
        extra = [c for c in entry["levels"] if c not in codes]
        entry["cells"] = [
            (code, rules.level_label(scheme, code) if scheme else code, entry["levels"].get(code, 0)) for code in [*codes, *extra]
        ]
    return list(out.values())


def quota_page(units, *, pol=None) -> list[dict]:
    """For each department among `units`: every scheme with quotas, its counts and limits."""
    pol = pol or rules.policy()
    out = []
    for dept in units:
        schemes = []
        for scheme in pol.grading.schemes:
            counts = quotas.status(dept, scheme, pol=pol)
            if counts:
                schemes.append({"scheme": scheme, "label": rules.label(scheme, scheme.code), "counts": counts})
        out.append({"unit": dept, "schemes": schemes})
    return out
