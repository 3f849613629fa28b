"""Creates the nine system roles (guanxi.accounts.roles); idempotent, never overwrites a role."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from guanxi.accounts.roles import ensure_system_roles

    ensure_system_roles(role_model=apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
