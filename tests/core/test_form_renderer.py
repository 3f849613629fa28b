"""The Python-built <select> (core.form_renderer) gives the same markup as Django's templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

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


def test_it_is_the_project_renderer(settings):
    assert settings.FORM_RENDERER == "guanxi.core.form_renderer.FastSelectRenderer"
