"""The system roles receive this app's permission codes (view/add/change/delete/export of
admissions)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from guanxi.accounts.roles import grant_new_permissions

    grant_new_permissions("admission", role_model=apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_system_roles"),
        ("admission", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
