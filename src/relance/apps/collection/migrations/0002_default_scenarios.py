"""Install the three shipped scenarios (data migration, apart from the schema)."""

from pathlib import Path

from django.db import migrations

from relance.domain.scenario import scenario_from_toml

FILES = {"b2b_standard.toml": True, "consumer_gentle.toml": True, "key_accounts.toml": False}


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    scenario_model = apps.get_model("collection", "Scenario")
    step_model = apps.get_model("collection", "Step")
    folder = Path(__file__).resolve().parents[1] / "scenarios"
    for filename, is_default in FILES.items():
        parsed = scenario_from_toml((folder / filename).read_text(encoding="utf-8"))
        if scenario_model.objects.filter(name=parsed.name).exists():
            continue
        row = scenario_model.objects.create(
            name=parsed.name, description=parsed.description, debtor_kinds=list(parsed.debtor_kinds),
            is_default=is_default,
        )
        step_model.objects.bulk_create(
            step_model(
                scenario=row, position=n, key=s.key, offset_days=s.offset_days, channel=s.channel,
                template=s.template, requires_approval=s.requires_approval, min_amount=s.min_amount,
                debtor_kinds=list(s.debtor_kinds),
            )
            for n, s in enumerate(parsed.steps)
        )


class Migration(migrations.Migration):
    dependencies = [("collection", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
