from django import template

register = template.Library()


@register.filter
def words(value: str) -> list[str]:
    """ "a b c"|words → ["a", "b", "c"] (field lists for detail_fields in templates)."""
    return str(value).split()
