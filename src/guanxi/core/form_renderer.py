"""Form renderer: Django's templates, except <select> and the plain <input>s, which are built
in Python.

A select renders each option through two template includes, an input its attributes through
another; the customer list's filter form has a couple of hundred options and a dozen fields,
which made it cost more than the page's query. The markup is the same as Django's templates
(django/forms/widgets/select.html, input.html); a select whose options use another template is
left to the templates.
"""

from __future__ import annotations

from html import escape as _escape

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def esc(value) -> str:
    """conditional_escape for loops that build many elements (options, table rows, the menu):
    the same result without Django's lazy-argument wrapper, which cost more than the escaping."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else _escape(str(value))


def html_attrs(attrs: dict) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them."""
    out = []
    for name, value in attrs.items():
        if value is False or (value is None and name != "value"):
            continue
        out.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return "".join(out)


def option_html(value, label, attrs: str = "") -> str:
    """One <option> as django/forms/widgets/select_option.html writes it (`attrs` rendered)."""
    return f'<option value="{esc(value)}"{attrs}>{esc(label)}</option>'


def render_select(widget: dict) -> str | None:
    """The select's HTML, or None when an option needs its own template."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{html_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if any(o.get("template_name") != OPTION for o in options):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        parts.extend(
            f"\n  {option_html(o['value'], o['label'], html_attrs(o['attrs']))}\n" for o in options
        )  # the option template ends with a newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


# Widget templates that are input.html and nothing else.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "number", "email", "url", "tel", "search", "password", "hidden", "date", "datetime", "time")
)


def render_input(widget: dict) -> str:
    value = widget["value"]
    value_attr = "" if value is None else f' value="{esc(value)}"'
    return f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{value_attr}{html_attrs(widget["attrs"])}>'


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            html = render_select(context["widget"])
            if html is not None:
                return mark_safe(html)  # noqa: S308 (every value is escaped in render_select)
        elif template_name in INPUTS:
            return mark_safe(render_input(context["widget"]))  # noqa: S308 (every value is escaped in render_input)
        return super().render(template_name, context, request=request)
