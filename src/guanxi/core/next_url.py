"""Where to send the user back to after a form: a `next` address is followed only when it stays
on this site (no open redirect)."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def same_site(request, url: str | None, default: str = "") -> str:
    """`url` when it points into this site (same host, and https when the request is), else
    `default`."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return default
