"""The Python-built <select> and <input> (core.form_renderer) give the same markup as Django's
templates."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from guanxi.core.form_renderer import FastSelectRenderer


class SampleForm(forms.Form):
    single = forms.ChoiceField(choices=[("", "—"), ("x", "X & <y>"), (1, "一")], required=False)
    multiple = forms.MultipleChoiceField(
        choices=[("group", [("p", "P"), ("q", 'Q"')]), ("z", "Z")],
        required=False,
        widget=forms.SelectMultiple(attrs={"data-tom-select": "", "class": "form-select", "disabled": False}),
    )


@pytest.mark.parametrize("data", [None, {"single": "x", "multiple": ["q", "z"]}, {"single": "<bad>"}])
def test_same_markup_as_the_templates(data):
    slow, fast = SampleForm(data, renderer=DjangoTemplates()), SampleForm(data, renderer=FastSelectRenderer())
    for name in ("single", "multiple"):
        assert str(fast[name]) == str(slow[name])


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.TextInput(attrs={"class": "a<b", "required": True, "hidden": False, "maxlength": 5}), 'v&"<'),
        (forms.TextInput(attrs={"placeholder": "中文"}), None),
        (forms.TextInput(), ""),
        (forms.NumberInput(attrs={"min": 0}), 5),
        (forms.EmailInput(), "a@b"),
        (forms.URLInput(), mark_safe("a&amp;b")),
        (forms.HiddenInput(), "h"),
        (forms.PasswordInput(), "secret"),  # not rendered back
        (forms.DateInput(), dt.date(2026, 1, 2)),
        (forms.DateTimeInput(), dt.datetime(2026, 1, 2, 3, 4)),
        (forms.TimeInput(), dt.time(3, 4)),
    ],
)
def test_inputs_same_markup_as_the_templates(widget, value):
    attrs = {"id": "id_n", "aria-describedby": "id_n_help"}
    fast = widget.render("n", value, attrs=attrs, renderer=FastSelectRenderer())
    assert fast == widget.render("n", value, attrs=attrs, renderer=DjangoTemplates())
    assert fast.startswith(f'<input type="{widget.input_type}" name="n"')


def test_it_is_the_project_renderer(settings):
    assert settings.FORM_RENDERER == "guanxi.core.form_renderer.FastSelectRenderer"
