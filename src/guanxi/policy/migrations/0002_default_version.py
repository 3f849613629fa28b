"""Version 1 of the policy: the shipped default (the seeds' numbers), active."""

from django.db import migrations


def create_default(apps, schema_editor):
    from guanxi.policy.services import ensure_default

    ensure_default(model=apps.get_model("policy", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
