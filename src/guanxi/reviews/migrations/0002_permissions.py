"""The system roles receive the permission codes of reviews (view/add/change/delete/export of
review cycles, reviews, incidents and downgrade tasks)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from guanxi.accounts.roles import grant_new_permissions

    grant_new_permissions("reviews", role_model=apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_system_roles"),
        ("reviews", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
