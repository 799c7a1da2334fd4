"""Disclosures as recorded: each time a participant's information crosses from one agency to
another, an act with its legal basis and the participants it named (security.md SEC-13;
42 CFR 2.25; Caldicott 1). Written by `sharing/record.py`; read for the accounting of
disclosures (SEC-14) through the `Disclosure` view."""

from django.db import models
from django.utils import timezone

from ..categories import Category


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    STATUTE = "statute", "Statute"
    COURT_ORDER = "court_order", "Court order"
    SAFEGUARDING = "safeguarding", "Safeguarding"


class _WhatCrossed(models.Model):
    """What an act of disclosure records besides its time and recipient person: the act's own
    columns, and the view's (`Disclosure`)."""

    recipient_agency = models.CharField(max_length=200, blank=True)
    categories = models.JSONField()
    purpose = models.CharField(max_length=30)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    basis_reference = models.CharField(max_length=200)
    notice_attached = models.BooleanField()
    channel = models.CharField(max_length=20, blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        abstract = True


class DisclosureAct(_WhatCrossed):
    """One act of disclosure: which categories crossed to whom, when, for what and on which legal
    basis. The participants it named are written with it as one `DisclosureBacklog` row, and
    become its `DisclosedParticipant` rows when `disclosures_index` runs: a 1,000-row list read
    by a court is one act and one backlog row, not 1,000 copies of the same ten values (most of
    what such a read cost; docs/sharing.md, "How disclosures are stored"). A read whose
    participants' information crossed on different bases is one act per basis."""

    data_category = Category.IDENTITY

    at = models.DateTimeField(default=timezone.now, db_index=True)
    recipient_user = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Disclosure act {self.pk} to {self.recipient_agency or 'no agency'}"


class DisclosedParticipant(models.Model):
    """A participant whose information one act disclosed. One index, (participant, act), serves
    both the accounting (every act of one participant) and uniqueness.

    Written by `disclosures_index` from the backlog, never by a read. The act is a relation
    without a database constraint: every act id here comes from a backlog row, which is written
    with its act in one transaction, and nothing deletes an act (PROTECT still refuses it in
    Django). On PostgreSQL the constraint was checked once per row at commit, about 8 ms for a
    1,000-row list (docs/sharing.md)."""

    data_category = Category.IDENTITY

    act = models.ForeignKey(
        DisclosureAct, on_delete=models.PROTECT, related_name="participants", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "act"], name="sharing_disclosed_participant_once"
            )
        ]

    def __str__(self) -> str:
        return f"Participant {self.participant_id} in disclosure act {self.act_id}"


class DisclosureBacklog(models.Model):
    """The participants of one act, as written in the read's transaction: one row per act with
    its participant ids in a JSON list, until `disclosures_index` moves them into the
    (participant, act) index as `DisclosedParticipant` rows and deletes this row.

    A read writes its act and this one row and nothing per participant: inserting 1,000 entries
    at 1,000 places of a large index was most of what a court's 1,000-row list cost, and grew
    with the index (docs/decisions/0008-disclosures-are-indexed-after-the-read.md). The
    `Disclosure` view reads both, so the accounting is complete before the index is."""

    data_category = Category.IDENTITY

    act = models.OneToOneField(
        DisclosureAct, primary_key=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False,
    )  # fmt: skip
    participant_ids = models.JSONField()

    def __str__(self) -> str:
        return f"Participants of disclosure act {self.act_id}, not yet indexed"


class Disclosure(_WhatCrossed):
    """One participant in one act of disclosure, as the accounting of disclosures, the
    data-protection officer and the tests read it: a database view (migration 0012) of every
    `DisclosedParticipant` with its `DisclosureAct`, and of every participant still in a
    `DisclosureBacklog`, so it is never written through and never waits for the index. Its id
    is the act's id times 2**32 plus the participant's, the same before and after indexing.
    Write with `disclosure_write` or `disclosures_for_read`."""

    data_category = Category.IDENTITY

    at = models.DateTimeField()
    act = models.ForeignKey(DisclosureAct, on_delete=models.DO_NOTHING, related_name="+")
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.DO_NOTHING, related_name="disclosures"
    )
    recipient_user = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.DO_NOTHING, related_name="+"
    )

    class Meta:
        managed = False
        db_table = "sharing_disclosure"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Disclosure {self.pk} of participant {self.participant_id}"

    def save(self, *args, **kwargs):
        raise TypeError("disclosures are written with disclosure_write or disclosures_for_read")

    def delete(self, *args, **kwargs):
        raise TypeError("disclosures are never deleted")
