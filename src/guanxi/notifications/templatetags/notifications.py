"""The bell in the top bar: the user's unread count (one indexed COUNT per page)."""

from django import template

register = template.Library()

MAX_SHOWN = 99


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    from guanxi.notifications.services import unread_count

    count = unread_count(user)
    return {"show": True, "count": count, "shown": f"{MAX_SHOWN}+" if count > MAX_SHOWN else str(count)}
