"""A read writes its act's participants as one backlog row, indexed afterwards by
`turnpoint disclosures index` (docs/decisions/0008-disclosures-are-indexed-after-the-read.md).
The `sharing_disclosure` view reads the index and the backlog alike, with an id that does not
change when a participant moves from one to the other. Reversing moves the backlog into the
index first, so no disclosure is lost either way."""

import json
from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

ID_SPAN = 4294967296  # 2**32: a view id is act id * 2**32 + participant id
COLUMNS = (
    "a.at AS at, {act} AS act_id, {participant} AS participant_id, "
    "a.recipient_user_id AS recipient_user_id, a.recipient_agency AS recipient_agency, "
    "a.categories AS categories, a.purpose AS purpose, a.legal_basis AS legal_basis, "
    "a.basis_reference AS basis_reference, a.notice_attached AS notice_attached, "
    "a.channel AS channel, a.request_id AS request_id"
)
INDEXED = (
    f"SELECT a.id * {ID_SPAN} + d.participant_id AS id, "
    + COLUMNS.format(act="d.act_id", participant="d.participant_id")
    + " FROM sharing_disclosedparticipant d INNER JOIN sharing_disclosureact a ON a.id = d.act_id"
)
PENDING = {
    "sqlite": (
        f"SELECT a.id * {ID_SPAN} + CAST(j.value AS INTEGER) AS id, "
        + COLUMNS.format(act="a.id", participant="CAST(j.value AS INTEGER)")
        + " FROM sharing_disclosurebacklog b"
        " INNER JOIN sharing_disclosureact a ON a.id = b.act_id, json_each(b.participant_ids) j"
    ),
    "postgresql": (
        f"SELECT a.id * {ID_SPAN} + j.value::bigint AS id, "
        + COLUMNS.format(act="a.id", participant="j.value::bigint")
        + " FROM sharing_disclosurebacklog b"
        " INNER JOIN sharing_disclosureact a ON a.id = b.act_id"
        " CROSS JOIN LATERAL jsonb_array_elements_text(b.participant_ids) AS j(value)"
    ),
}
# Migration 0011's view, put back by the reverse.
OLD_VIEW = import_module("turnpoint.sharing.migrations.0011_disclosure_acts").VIEW


def view_with_backlog(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute("DROP VIEW sharing_disclosure")
    schema_editor.execute(
        f"CREATE VIEW sharing_disclosure AS {INDEXED} UNION ALL {PENDING[vendor]}"
    )


def index_backlog_then_old_view(apps, schema_editor):
    """Move every backlog row into the index (what `disclosures_index` does), then put 0011's
    view back."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT act_id, participant_ids FROM sharing_disclosurebacklog")
        rows = sorted(
            (int(pid), act_id)
            for act_id, ids in cursor.fetchall()
            for pid in (json.loads(ids) if isinstance(ids, str) else ids)
        )
        cursor.executemany(
            "INSERT INTO sharing_disclosedparticipant (participant_id, act_id) VALUES (%s, %s)",
            rows,
        )
        cursor.execute("DELETE FROM sharing_disclosurebacklog")
    schema_editor.execute("DROP VIEW sharing_disclosure")
    schema_editor.execute(OLD_VIEW)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0011_disclosure_acts")]

    operations = [
        migrations.CreateModel(
            name="DisclosureBacklog",
            fields=[
                (
                    "act",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="sharing.disclosureact",
                    ),
                ),
                ("participant_ids", models.JSONField()),
            ],
        ),
        migrations.RunPython(view_with_backlog, index_backlog_then_old_view),
    ]
