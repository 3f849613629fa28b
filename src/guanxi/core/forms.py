from django import forms

from .querysets import ScopedQuerySet


class ScopedFormMixin:
    """Restricts every model-choice field to what the acting user may see, so a form can never
    offer (or accept) an object out of scope."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            qs = getattr(field, "queryset", None)
            if isinstance(field, forms.ModelChoiceField) and isinstance(qs, ScopedQuerySet):
                field.queryset = qs.restrict(user, "view")


class ScopedModelForm(ScopedFormMixin, forms.ModelForm):
    pass
