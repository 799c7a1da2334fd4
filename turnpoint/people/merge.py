"""Two records of one person made one, and undone within `UNMERGE_PERIOD` (docs/sharing.md,
"One person, one record").

A coordinator who reaches both records merges the duplicate into the kept record: every row that
belongs to the person (`MOVES`) moves to the kept record, the duplicate is marked merged
(`merged_into`, `merged_at`) and so falls out of every reach and list, and a `ParticipantMerge`
names each row that moved. Unmerging moves back exactly those rows and restores the duplicate.

What records history stays where it was written: audit entries (append-only, by participant id)
and disclosure acts. The accounting of disclosures of the kept record finds the merged record's
entries through its `ParticipantMerge`.
"""

from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import PolicyDenied, require

from .models import Participant, ParticipantMerge

# How long a merge can be undone. After it, the records have been worked on as one long enough
# that moving rows back by what was moved could split what staff have since joined.
UNMERGE_PERIOD = timedelta(days=30)

# Every table with a foreign key to the participant whose rows belong to the person, as
# ("app.Model", field). Rows linked only to a referral move with it: its transitions and its
# matching decisions (plans.MatchDecision); episodes' steps move with the episode.
# Left where they are, as history (`STAYS`): sharing.AuditEntry (ids in a JSON list,
# append-only), sharing.DisclosedParticipant and the Disclosure view, the record's field history,
# and people.ParticipantMerge itself.
MOVES = (
    ("journeys.Referral", "participant"),
    ("journeys.Episode", "participant"),
    ("sharing.ShareConsent", "participant"),
    ("sharing.ParticipationConsent", "participant"),
    ("sharing.CourtOrder", "participant"),
    ("sharing.BreakGlass", "participant"),
    ("people.HouseholdChild", "participant"),
    ("people.ExternalIdentifier", "participant"),
    ("people.ContactDetail", "participant"),
    ("portal.PortalAccount", "participant"),
    ("assessments.Administration", "participant"),
    ("assessments.ExternalAssessment", "participant"),
    ("plans.RecoveryPlan", "participant"),
    ("supervision.Appointment", "participant"),
    ("supervision.DrugTest", "participant"),
    ("supervision.CustodyEpisode", "participant"),  # its release plan moves with it
    ("supervision.ReviewHearing", "participant"),  # its progress reports move with it
    ("supervision.Response", "participant"),
    ("supervision.PhaseProposal", "participant"),
    ("outcomes.OutcomeEvent", "participant"),
    ("outcomes.FollowUp", "participant"),
)
# The foreign keys to the participant that stay where they are: history, and the merge itself.
# A record's field history (earlier names and dates of birth) is of that record's own fields: on
# the kept record it would list values the kept record never had.
STAYS = (
    ("people.ParticipantFieldChange", "participant"),
    ("sharing.DisclosedParticipant", "participant"),
    ("sharing.Disclosure", "participant"),
    ("people.ParticipantMerge", "kept"),
    ("people.ParticipantMerge", "merged"),
    ("people.Participant", "merged_into"),
)


def _may_merge(acting_user) -> None:
    require(acting_user, Category.IDENTITY, action="write")
    if acting_user.role != Role.COORDINATOR:
        raise PolicyDenied("only a coordinator can merge or unmerge participant records")


def _locked(pk: int) -> Participant:
    return Participant.objects.select_for_update().get(pk=pk)


def participant_merge(
    *, acting_user, kept: Participant, duplicate: Participant, reached
) -> ParticipantMerge:
    """Merge `duplicate` into `kept`. `reached` is the user's reach (a queryset of participants,
    `sharing.reach.participants_visible_to`): both records must be in it."""
    _may_merge(acting_user)
    if kept.pk == duplicate.pk:
        raise InvalidInput(Problem("other", "is this record: choose the other record"))
    if reached.filter(pk__in=[kept.pk, duplicate.pk]).count() != 2:
        raise InvalidInput(Problem("other", "is not a record you can see"))
    with transaction.atomic():
        kept, duplicate = _locked(kept.pk), _locked(duplicate.pk)
        if kept.merged_into_id or duplicate.merged_into_id:
            raise Conflict("one of these records has been merged already; reload and try again")
        Portal = apps.get_model("portal", "PortalAccount")
        if Portal.objects.filter(participant__in=[kept, duplicate]).count() == 2:
            raise InvalidInput(Problem("other", "has a portal account, and so has this record: "
                                                "a person can have only one"))  # fmt: skip
        moved: dict[str, list[int]] = {}
        for label, field in MOVES:
            model = apps.get_model(label)
            rows = model.objects.filter(**{field: duplicate}).order_by("pk")
            if label == "people.ExternalIdentifier":
                # One the kept record already has stays with the duplicate.
                has = set(kept.identifiers.values_list("kind", "normalised"))
                ids = [r.pk for r in rows if (r.kind, r.normalised) not in has]
            else:
                ids = list(rows.values_list("pk", flat=True))
            if ids:
                model.objects.filter(pk__in=ids).update(**{field: kept})
                moved[label] = ids
        now = timezone.now()
        Participant.objects.filter(pk=duplicate.pk).update(
            merged_into=kept, merged_at=now, version=duplicate.version + 1, updated_at=now
        )
        Participant.objects.filter(pk=kept.pk).update(version=kept.version + 1, updated_at=now)
        merge = ParticipantMerge.objects.create(
            kept=kept, merged=duplicate, moved=moved, merged_by=acting_user, merged_at=now
        )
        audit_write(
            acting_user=acting_user, action="merge", categories=[Category.IDENTITY],
            participant_ids=[kept.pk, duplicate.pk], obj=merge,
            detail={"kept": kept.pk, "merged": duplicate.pk,
                    "moved": {label: len(ids) for label, ids in moved.items()}},
        )  # fmt: skip
    return merge


def unmerge_until(merge: ParticipantMerge):
    return merge.merged_at + UNMERGE_PERIOD


def may_unmerge(merge: ParticipantMerge, now=None) -> bool:
    now = now or timezone.now()
    return merge.unmerged_at is None and now < unmerge_until(merge)


def participant_unmerge(*, acting_user, merge: ParticipantMerge) -> Participant:
    """Undo a merge within `UNMERGE_PERIOD`: exactly the rows that moved go back, and the
    duplicate is a record of its own again. Returns the restored record."""
    _may_merge(acting_user)
    with transaction.atomic():
        merge = ParticipantMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.unmerged_at is not None:
            raise Conflict("this merge has been undone already")
        if not may_unmerge(merge):
            days = UNMERGE_PERIOD.days
            raise InvalidInput(Problem("", f"a merge can be undone only within {days} days; "
                                           "this one is older"))  # fmt: skip
        kept, duplicate = _locked(merge.kept_id), _locked(merge.merged_id)
        for label, ids in merge.moved.items():
            field = dict(MOVES)[label]
            apps.get_model(label).objects.filter(pk__in=ids, **{field: kept}).update(
                **{field: duplicate}
            )
        now = timezone.now()
        Participant.objects.filter(pk=duplicate.pk).update(
            merged_into=None, merged_at=None, version=duplicate.version + 1, updated_at=now
        )
        Participant.objects.filter(pk=kept.pk).update(version=kept.version + 1, updated_at=now)
        merge.unmerged_at, merge.unmerged_by = now, acting_user
        merge.save(update_fields=["unmerged_at", "unmerged_by"])
        audit_write(
            acting_user=acting_user, action="unmerge", categories=[Category.IDENTITY],
            participant_ids=[kept.pk, duplicate.pk], obj=merge,
            detail={"kept": kept.pk, "merged": duplicate.pk,
                    "moved_back": {label: len(ids) for label, ids in merge.moved.items()}},
        )  # fmt: skip
    duplicate.refresh_from_db()
    return duplicate
