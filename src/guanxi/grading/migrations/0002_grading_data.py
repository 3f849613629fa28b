"""Grading: the system roles receive this app's permission codes (department managers confirm
grades, sales reps do not), and the outlet custom fields the outlet scheme reads that the
archive's outlet template lacks (seed 003 附表一: chain size, own or franchised hall)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from guanxi.accounts.roles import grant_new_permissions
    from guanxi.grading.fields import OUTLET_CUSTOM_FIELDS

    grant_new_permissions("grading", role_model=apps.get_model("accounts", "Role"))
    model = apps.get_model("customers", "CustomFieldDef")
    existing = set(model.objects.filter(category="outlet").values_list("key", flat=True))
    last = model.objects.filter(category="outlet").order_by("-order").values_list("order", flat=True).first() or 0
    for i, spec in enumerate(OUTLET_CUSTOM_FIELDS, start=1):
        if spec["key"] in existing:
            continue
        model.objects.create(
            category="outlet",
            key=spec["key"],
            label=spec["label"],
            field_type=spec["field_type"],
            choices=[],
            help_text=spec.get("help_text", ""),
            order=last + i * 10,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_system_roles"),
        ("customers", "0002_records_data"),
        ("grading", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
