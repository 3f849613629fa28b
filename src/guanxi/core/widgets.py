"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.safestring import mark_safe

from .form_renderer import esc, html_attrs, option_html


class LeanSelect(forms.Select):
    """A select written straight from its choices, in the markup of Django's templates.

    Django builds a dict per option (optgroups, create_option) before any template runs; a
    filter form with a few hundred options (regions, units, tags) spent more on that than on
    the page's query. Grouped choices fall back to Django's path."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        selected = set(self.format_value(value))
        parts = [f'<select name="{esc(name)}"{html_attrs(final)}>']
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            mark = ""
            if text in selected:
                mark = " selected"
                if not self.allow_multiple_selected:
                    selected = set()  # as Django: a single select marks its first match only
            parts.append(f"\n  {option_html(text, label, mark)}\n")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value is escaped above)


class LeanSelectMultiple(LeanSelect, forms.SelectMultiple):
    allow_multiple_selected = True


class RemoteSelect(forms.Select):
    """A searchable select whose options load from a JSON lookup as the user types.

    Only the selected option is rendered, so a choice among a thousand users costs one
    indexed lookup instead of a thousand <option>s on every page view. The lookup answers
    `?q=` with `{"results": [{"value": …, "text": …}]}` (see accounts.org_views.user_lookup);
    static/guanxi/app.js wires it to Tom Select.
    """

    def __init__(self, url_name: str, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name

    def get_context(self, name, value, attrs):
        attrs = {**(attrs or {}), "data-tom-select": "", "data-remote": reverse(self.url_name)}
        return super().get_context(name, value, attrs)

    def optgroups(self, name, value, attrs=None):
        selected = [v for v in value if v not in (None, "")]
        field = getattr(self.choices, "field", None)
        options = []
        if field is not None and field.empty_label is not None:
            options.append(self.create_option(name, "", field.empty_label, not selected, 0))
        if selected and field is not None:
            try:
                objs = list(field.queryset.filter(pk__in=selected))
            except (ValueError, TypeError):  # a malformed id in the query string selects nothing
                objs = []
            for obj in objs:
                options.append(self.create_option(name, obj.pk, field.label_from_instance(obj), True, len(options)))
        return [(None, options, 0)]
