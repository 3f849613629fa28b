"""The one audited xlsx download behind every list export (F-SEC-2): customers, grades,
business figures, reviews.

The policy caps an export (`security.export_row_limit`, 0 = no cap): a larger one is refused
with a message that names the cap and the clause, and the refusal is audited too, so the log
shows who tried to take how much. Rows stream through openpyxl's write-only workbook (flat
memory); an xlsx sheet holds at most 1,048,576 rows, header included, whatever the policy says.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import DomainError
from guanxi.core.next_url import same_site

from . import xlsx

LIMIT_CLAUSE = "security.export_row_limit"
SHEET_MAX_ROWS = 1_048_575  # below the header


class ExportTooLarge(DomainError):
    pass


def row_limit(policy=None) -> int:
    from guanxi.policy.services import current

    limit = (policy or current()).security.export_row_limit
    return min(limit, SHEET_MAX_ROWS) if limit else SHEET_MAX_ROWS


def xlsx_download(
    *, user, model_label: str, sheet: str, header: list, rows, filename: str, filters: dict | None = None, audit_data=None, policy=None
) -> HttpResponse:
    """The xlsx of `rows` (an iterable, read once) as a download, audited `export.downloaded`
    with the row count. Raises ExportTooLarge (audited `export.refused`) past the cap."""
    from guanxi.policy.services import current
    from guanxi.policy.sources import cite_clause

    policy = policy or current()
    limit = row_limit(policy)
    written = [0]

    def capped():
        for row in rows:
            if written[0] >= limit:
                audit.record(
                    "export.refused",
                    actor=user,
                    data={
                        "model": model_label,
                        "limit": limit,
                        "filters": filters or {},
                        "policy_version": policy.version,
                        "clause": LIMIT_CLAUSE,
                    },
                )
                raise ExportTooLarge(
                    _(
                        "This list has more than %(limit)s rows, the most one export may hold (policy version %(version)s, "
                        "%(source)s). Narrow it with the filters and export again."
                    )
                    % {"limit": f"{limit:,}", "version": policy.version, "source": cite_clause(LIMIT_CLAUSE)},
                    code="export_too_large",
                )
            written[0] += 1
            yield row

    data = xlsx.write_workbook([(sheet, header, capped())])
    audit.record(
        "export.downloaded",
        actor=user,
        data={"model": model_label, "rows": written[0], "format": "xlsx", "filters": filters or {}, **(audit_data or {})},
    )
    response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    response["X-Export-Rows"] = str(written[0])
    return response


def respond(request, **download) -> HttpResponse:
    """A view's answer: the download for the signed-in user (arguments of xlsx_download), or back
    to the list with the refusal when the cap says no."""
    try:
        return xlsx_download(user=request.user, **download)
    except ExportTooLarge as exc:
        return refused(request, exc)


def refused(request, exc: ExportTooLarge) -> HttpResponseRedirect:
    """Back to the list the export was asked from, with the refusal as a message. Every export
    lives at "<list>/export/" and takes the list's query string, so the list is one step up."""
    messages.error(request, str(exc))
    parent = request.path.removesuffix("/").rsplit("/", 1)[0] + "/"
    query = request.GET.urlencode()
    return HttpResponseRedirect(same_site(request, request.META.get("HTTP_REFERER"), parent + (f"?{query}" if query else "")))
