"""Customer information handbook downloads (F-CUS-9): PDF and xlsx of one customer.

Needs the view and export permissions on customers (403 otherwise); the customer must be within
the user's view and export scope (404 otherwise, as if it did not exist)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET

from guanxi.core.errors import DomainError

from . import handbook, handbook_review
from .models import Customer

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _filename(customer: Customer, fmt: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", customer.name).strip() or str(customer.pk)
    return f"客户信息手册_{name}_{timezone.localdate():%Y%m%d}.{fmt}"


def _download(request, pk: int, fmt: str) -> HttpResponse:
    user = request.user
    if not (user.has_perm("customers.view_customer") and user.has_perm(handbook.EXPORT_PERMISSION)):
        raise PermissionDenied
    customer = get_object_or_404(handbook.customers_for(user).select_related("owner", "unit", "region", "created_by"), pk=pk)
    content = handbook.download(customer, user, fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, _filename(customer, fmt))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def handbook_pdf(request, pk: int):
    return _download(request, pk, "pdf")


@require_GET
@login_required
def handbook_xlsx(request, pk: int):
    return _download(request, pk, "xlsx")


class HandbookReviewedView(LoginRequiredMixin, View):
    """POST: "the handbook is up to date" (F-CUS-9) — back to the customer page."""

    http_method_names = ["post"]

    def post(self, request, pk):
        customer = get_object_or_404(Customer.objects.live().restrict(request.user, "view"), pk=pk)
        try:
            due = handbook_review.mark_reviewed(customer, actor=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("The handbook is marked up to date; the next update is due by %(date)s.") % {"date": date_format(due)}
            )
        return HttpResponseRedirect(reverse("customers:detail", args=[customer.pk]) + "#panel-handbook")
