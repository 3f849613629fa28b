"""The rows of the review lists' Excel exports and of the annual classification table 客户分类表
(seed 000 §一.3); the views write them through customers.downloads (the policy's cap,
formula-safe, audited `export.downloaded`)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def _who(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def review_rows(queryset):
    header = [
        _("Customer"),
        _("Period"),
        _("Unit"),
        _("Owner"),
        _("Grade at opening"),
        _("Incidents in the period"),
        _("Contract performance"),
        _("Payment timeliness"),
        _("Credit"),
        _("Overall result"),
        _("Suggested grade"),
        _("Proposed grade"),
        _("Status"),
        _("Grade applied"),
        _("Comment"),
    ]

    def rows():
        for r in queryset.iterator(chunk_size=2000):
            yield [
                r.customer.name,
                f"{r.cycle.period_start:%Y-%m-%d} – {r.cycle.period_end:%Y-%m-%d}",
                r.unit.name,
                _who(r.owner),
                r.current_level,
                r.incidents,
                r.get_contract_performance_display(),
                r.get_payment_timeliness_display(),
                r.get_credit_display(),
                r.get_result_display(),
                r.suggested_level,
                r.proposed_level,
                r.get_status_display(),
                r.applied_level,
                r.comment,
            ]

    return header, rows()


def incident_rows(queryset):
    header = [_("Customer"), _("Date"), _("Kind"), _("Serious"), _("Description"), _("Recorded by"), _("Recorded")]
    yes, no = _("yes"), _("no")

    def rows():
        for i in queryset.iterator(chunk_size=2000):
            yield [
                i.customer.name,
                i.date,
                i.get_kind_display(),
                yes if i.serious else no,
                i.description,
                _who(i.recorded_by),
                i.created_at,
            ]

    return header, rows()


def downgrade_rows(queryset):
    header = [
        _("Customer"),
        _("Incident"),
        _("Current grade"),
        _("Proposed grade"),
        _("Due"),
        _("Status"),
        _("Escalated"),
        _("Assigned to"),
        _("Grade applied"),
        _("Completed"),
    ]

    def rows():
        for t in queryset.iterator(chunk_size=2000):
            yield [
                t.customer.name,
                t.incident.description,
                t.from_level,
                t.to_level,
                t.due_date,
                t.get_status_display(),
                t.escalated_at,
                _who(t.assignee),
                t.applied_level,
                t.completed_at,
            ]

    return header, rows()
