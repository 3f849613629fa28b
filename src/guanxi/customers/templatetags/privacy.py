"""Personal data in templates (F-ORG-5).

    {% load privacy %}
    {{ contact.mobile|personal:request.user }}     masked (138****5678), whoever looks
    {{ contact.address|mask:"address" }}           masked with an explicit kind
    {% personal_field contact "mobile" %}          masked value plus, for users with the right,
                                                   a reveal button (HTMX POST to
                                                   customers:reveal_personal, audited)
    {% if request.user|can_see_personal %}…{% endif %}

Full values are never rendered by these tags: they come only from the reveal endpoint, so every
showing of a full value is audited.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.html import escape

from guanxi.customers import privacy

register = template.Library()


@register.filter
def personal(value, user=None):
    """The masked value (the kind is guessed from the value: mobile, landline, ID number,
    birthday, address, e-mail, else fully hidden). `user` is part of the agreed interface; the
    full value is shown only through the reveal button, so it does not change the output."""
    return privacy.mask(value, privacy.guess_kind(value))


@register.filter(name="mask")
def mask_filter(value, kind="text"):
    return privacy.mask(value, kind)


@register.filter(name="can_see_personal")
def can_see_personal_filter(user):
    return privacy.can_see_personal(user)


@register.simple_tag(takes_context=True)
def personal_field(context, contact, field):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    value = getattr(contact, field, None)
    if field not in privacy.personal_fields():  # not personal by the policy: shown as it is
        return escape(privacy.field_value(contact, field)) or "—"
    can_reveal = bool(value not in (None, "") and contact.erased_at is None and privacy.can_see_personal(user))
    return render_to_string(
        "customers/privacy/_field.html",
        {"contact": contact, "field": field, "masked": privacy.masked_value(contact, field), "can_reveal": can_reveal},
        request=request,
    )


@register.filter
def lawful_basis_label(code):
    return privacy.LawfulBasis.label(code)
