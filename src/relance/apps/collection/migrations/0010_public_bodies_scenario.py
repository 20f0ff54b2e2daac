"""Install the shipped "Public bodies" scenario, the default for public debtors (data migration).

Public buyers owe the commande publique's moratory interest and are sued before the tribunal
administratif (legal-fr.md §1.5); a "B2B standard" that still lists ``public`` stays as it is
(a person may have edited it): the most specific default wins (``scenarios.default_for_kind``).
"""

from pathlib import Path

from django.db import migrations

from relance.domain.scenario import scenario_from_toml


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    scenario_model = apps.get_model("collection", "Scenario")
    step_model = apps.get_model("collection", "Step")
    folder = Path(__file__).resolve().parents[1] / "scenarios"
    parsed = scenario_from_toml((folder / "public_bodies.toml").read_text(encoding="utf-8"))
    if scenario_model.objects.filter(name=parsed.name).exists():
        return
    row = scenario_model.objects.create(
        name=parsed.name, description=parsed.description, debtor_kinds=list(parsed.debtor_kinds),
        is_default=True,
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
    dependencies = [("collection", "0009_case_closed_reason")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
