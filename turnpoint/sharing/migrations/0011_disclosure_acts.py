"""Store disclosures as acts and the participants each act named (docs/sharing.md, "How
disclosures are stored"); `sharing_disclosure` becomes a view with the old table's columns, so
the accounting and every reader see the same rows as before. Existing rows are copied, each as an
act of one participant keeping its id."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

BASES = [
    ("consent", "Consent"),
    ("statute", "Statute"),
    ("court_order", "Court order"),
    ("safeguarding", "Safeguarding"),
]
ACT_COLUMNS = (
    "at, recipient_user_id, recipient_agency, categories, purpose, legal_basis, "
    "basis_reference, notice_attached, channel, request_id"
)

COPY_ACTS = (  # fixed column names, no value
    f"INSERT INTO sharing_disclosureact (id, {ACT_COLUMNS}) "  # noqa: S608
    f"SELECT id, {ACT_COLUMNS} FROM sharing_disclosure ORDER BY id"
)
COPY_PARTICIPANTS = (
    "INSERT INTO sharing_disclosedparticipant (act_id, participant_id) "
    "SELECT id, participant_id FROM sharing_disclosure ORDER BY id"
)
COPY_BACK = (  # fixed column names, no value
    "INSERT INTO sharing_disclosure (id, participant_id, "  # noqa: S608
    f"{ACT_COLUMNS}) SELECT d.id, d.participant_id, "
    + ", ".join(f"a.{c.strip()}" for c in ACT_COLUMNS.split(","))
    + " FROM sharing_disclosedparticipant d "
    "INNER JOIN sharing_disclosureact a ON a.id = d.act_id ORDER BY d.id"
)
VIEW = (
    "CREATE VIEW sharing_disclosure AS SELECT d.id AS id, a.at AS at, d.act_id AS act_id, "
    "d.participant_id AS participant_id, a.recipient_user_id AS recipient_user_id, "
    "a.recipient_agency AS recipient_agency, a.categories AS categories, a.purpose AS purpose, "
    "a.legal_basis AS legal_basis, a.basis_reference AS basis_reference, "
    "a.notice_attached AS notice_attached, a.channel AS channel, a.request_id AS request_id "
    "FROM sharing_disclosedparticipant d INNER JOIN sharing_disclosureact a ON a.id = d.act_id"
)


def restart_act_ids(apps, schema_editor):
    """PostgreSQL: the copied ids were given explicitly, so move the identity past them."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('sharing_disclosureact', 'id'), "
            "COALESCE((SELECT MAX(id) FROM sharing_disclosureact), 0) + 1, false)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_householdchild"),
        ("sharing", "0010_audit_mfa_actions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DisclosureAct",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("recipient_agency", models.CharField(blank=True, max_length=200)),
                ("categories", models.JSONField()),
                ("purpose", models.CharField(max_length=30)),
                ("legal_basis", models.CharField(choices=BASES, max_length=20)),
                ("basis_reference", models.CharField(max_length=200)),
                ("notice_attached", models.BooleanField()),
                ("channel", models.CharField(blank=True, max_length=20)),
                ("request_id", models.CharField(blank=True, max_length=32)),
                (
                    "recipient_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="DisclosedParticipant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.participant",
                    ),
                ),
                (
                    "act",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="participants",
                        to="sharing.disclosureact",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("participant", "act"), name="sharing_disclosed_participant_once"
                    )
                ],
            },
        ),
        migrations.RunSQL(COPY_ACTS, migrations.RunSQL.noop),
        migrations.RunSQL(COPY_PARTICIPANTS, COPY_BACK),
        migrations.RunPython(restart_act_ids, migrations.RunPython.noop),
        migrations.DeleteModel(name="Disclosure"),
        migrations.CreateModel(
            name="Disclosure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("at", models.DateTimeField()),
                ("recipient_agency", models.CharField(blank=True, max_length=200)),
                ("categories", models.JSONField()),
                ("purpose", models.CharField(max_length=30)),
                ("legal_basis", models.CharField(choices=BASES, max_length=20)),
                ("basis_reference", models.CharField(max_length=200)),
                ("notice_attached", models.BooleanField()),
                ("channel", models.CharField(blank=True, max_length=20)),
                ("request_id", models.CharField(blank=True, max_length=32)),
                (
                    "act",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="sharing.disclosureact",
                    ),
                ),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="disclosures",
                        to="people.participant",
                    ),
                ),
                (
                    "recipient_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "managed": False,
                "db_table": "sharing_disclosure",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.RunSQL(VIEW, "DROP VIEW sharing_disclosure"),
    ]
