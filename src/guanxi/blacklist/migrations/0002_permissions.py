"""The system roles receive the blacklist permission codes (department managers and the
marketing division keep the lists; everybody reads them)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from guanxi.accounts.roles import grant_new_permissions

    grant_new_permissions("blacklist", role_model=apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_system_roles"),
        ("blacklist", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
