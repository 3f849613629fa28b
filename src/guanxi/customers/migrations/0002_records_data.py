"""Customer archive records: the system roles receive this app's permission codes, and the
outlet profile 客户资料表 of seed 003 附表二 is installed as custom fields of the category
"outlet" (F-CUS-11)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from guanxi.accounts.roles import grant_new_permissions
    from guanxi.customers.customfields import install_template

    grant_new_permissions("customers", role_model=apps.get_model("accounts", "Role"))
    install_template(apps.get_model("customers", "CustomFieldDef"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_system_roles"),
        ("customers", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
