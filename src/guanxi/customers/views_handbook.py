"""Customer information handbook downloads (F-CUS-9): PDF and xlsx of one customer.

Needs the view and export permissions on customers (403 otherwise); the customer must be within
the user's view and export scope (404 otherwise, as if it did not exist)."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from . import handbook
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
