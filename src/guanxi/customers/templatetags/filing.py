"""`{% load filing %}{% filing_info customer as f %}`: what the filing panel
(customers/filing/_panel.html) shows — status, label and badge class, working days left, missing
field labels, open return tasks (with who sent them back, the note and whether the user may mark
them corrected), whether the user may mark the record filed or send it back."""

from __future__ import annotations

from django import template

from guanxi.customers import completeness, filing, send_back_draft

register = template.Library()

_CSS = {
    filing.FILED: "bg-green-lt",
    filing.DUE: "bg-yellow-lt",
    filing.LATE: "bg-red-lt",
    filing.CHANGE_DUE: "bg-orange-lt",
    filing.CHANGE_LATE: "bg-red-lt",
}


@register.simple_tag(takes_context=True)
def filing_info(context, customer) -> dict:
    on = filing.today()
    state = filing.filing_status(customer, on)
    days_left = filing.working_days_left(customer, on) if state != filing.FILED else None
    defs = completeness._Defs()
    request = context.get("request")
    user = getattr(request, "user", None)
    archivist = user is not None and filing.can_archive(user, customer)
    tasks = list(filing.open_tasks(customer).select_related("unit", "created_by"))
    for task in tasks:
        task.customer = customer
        task.missing_labels = [completeness.field_label(k, customer.category, defs=defs) for k in task.missing_fields or []]
        task.can_resolve = filing.can_resolve(user, task, archivist=archivist)
    can_send_back = archivist and not tasks and not customer.merged_into_id
    draft = send_back_draft.pop(request, customer.pk) if can_send_back and request is not None else None
    return {
        "status": state,
        "label": filing.status_label(state),
        "css": _CSS.get(state, "bg-secondary-lt"),
        "days_left": days_left,
        "days_overdue": -days_left if days_left is not None and days_left < 0 else 0,
        "missing": completeness.missing_labels(customer, defs=defs),
        "tasks": tasks,
        "unfiled": filing.is_unfiled(customer),
        "can_file": state != filing.FILED and archivist,
        "can_send_back": can_send_back,
        "send_back_draft": draft["note"] if draft else "",
        "note_max_length": filing.NOTE_MAX_LENGTH,
    }
