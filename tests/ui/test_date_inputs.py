"""Date inputs in every language: Django writes a date field's value with the language's first
input format, and <input type="date"> accepts only YYYY-MM-DD — with "2026/11/23" (Django's
Chinese default) the browser shows an empty field, and saving an edit form drops the date."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation


class _Form(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_inputs_are_written_in_iso_and_read_in_the_usual_ways(language):
    with translation.override(language):
        assert 'value="2026-11-23"' in str(_Form(initial={"day": dt.date(2026, 11, 23)})["day"])
        for text in ("2026-11-23", "2026/11/23", "2026年11月23日"):
            form = _Form({"day": text, "at": "2026-11-23 09:30"})
            assert form.is_valid(), (text, form.errors)
            assert form.cleaned_data["day"] == dt.date(2026, 11, 23)


@pytest.mark.django_db
def test_the_chinese_correction_form_keeps_the_birthday(login, make_user, units):
    """The page a privacy officer edits in Chinese shows the stored birthday."""
    from guanxi.customers import privacy
    from guanxi.customers.models import Contact, Customer
    from tests.support.org import perms

    user = make_user(
        "zh_privacy", units.sales, scope="unit", permissions=[*perms(Contact, "view", "change"), privacy.VIEW_PERSONAL], language="zh-hans"
    )
    customer = Customer.objects.create(name="华新钢铁有限公司", unit=units.sales)
    contact = Contact.objects.create(customer=customer, name="王小明", birthday=dt.date(1990, 3, 7))
    html = login(user).get(reverse("customers:contact_correct", args=[contact.pk])).content.decode()
    assert 'value="1990-03-07"' in html
