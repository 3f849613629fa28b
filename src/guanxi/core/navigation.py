"""Sidebar menu: only modules that exist, only entries the user may open."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, icon, permission or None)
MENU = [
    (_("Dashboard"), "dashboard", "ti-layout-dashboard", None),
]


def menu_for(request):
    user = request.user
    items = []
    for label, url_name, icon, perm in MENU:
        if perm is None or user.has_perm(perm):
            url = reverse(url_name)
            items.append({"label": label, "url": url, "icon": icon, "active": request.path == url or (url != "/" and request.path.startswith(url))})
    return items
