"""Staff, their agencies and roles, and API tokens.

A user belongs to one agency and holds one role; the role decides the default access to each data
category (turnpoint.sharing.rules) and the programmes the user is a member of decide which
participants they can reach at all.
"""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone


class AgencyKind(models.TextChoices):
    COURT = "court", "Court"
    PROSECUTION = "prosecution", "Prosecution"
    DEFENCE = "defence", "Defence"
    PROBATION = "probation", "Probation / justice social work"
    TREATMENT = "treatment", "Treatment provider"
    POLICE = "police", "Police"
    COMMUNITY = "community", "Community partner"
    COORDINATION = "coordination", "Programme coordination"
    RESEARCH = "research", "Evaluation and research"


class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Programme coordinator"
    CASE_MANAGER = "case_manager", "Case manager"
    CLINICIAN = "clinician", "Clinician / key worker"
    PROBATION_OFFICER = "probation_officer", "Probation officer / justice social worker"
    JUDGE = "judge", "Judge"
    PROSECUTOR = "prosecutor", "Prosecutor"
    DEFENCE = "defence", "Defence lawyer"
    SAFEGUARDING_LEAD = "safeguarding_lead", "Designated safeguarding lead"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"
    # Not staff: a participant signed in to the portal to see their own record
    # (turnpoint/portal). They reach no one else, and nothing outside the portal.
    PARTICIPANT = "participant", "Participant (own record, in the portal)"


# The roles of staff: whom a consent, a court order or a programme's statutory report may name.
STAFF_ROLES = tuple(r for r in Role if r != Role.PARTICIPANT)
STAFF_ROLE_VALUES = frozenset(r.value for r in STAFF_ROLES)


class User(AbstractUser):
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT)
    programmes = models.ManyToManyField(
        "programmes.Programme",
        blank=True,
        related_name="members",
        help_text="The programme teams this user works in; they reach only these participants.",
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def unrevoked(self):
        revoked = ApiTokenRevocation.objects.filter(digest=OuterRef("digest"))
        return self.filter(~Exists(revoked))

    def for_raw(self, raw: str):
        return self.unrevoked().filter(digest=_digest(raw), user__is_active=True)


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the raw value is shown once. Whether
    it is revoked is not a field of this row but a row of its own (ApiTokenRevocation)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"token {self.pk} for {self.user}"


class RevocationIsFinal(Exception):
    """A revocation was about to be changed or removed (security.md SEC-43)."""


class ApiTokenRevocation(models.Model):
    """The fact that a token was revoked (security.md SEC-43): written once, and never changed
    or removed by Turnpoint. It names the token by its digest rather than by a foreign key, so
    nothing done to the token row (an edit, a delete and a re-insert, reactivating its user)
    brings the token back."""

    digest = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"revocation of token {self.digest[:8]}... at {self.revoked_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RevocationIsFinal("a token's revocation cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RevocationIsFinal("a token's revocation cannot be removed")


def api_token_create(*, user: User, label: str = "") -> str:
    """Create a token for `user` and return its raw value (the only time it is visible).

    The API is for staff and integrations: a participant's portal account gets no token."""
    if user.role == Role.PARTICIPANT:
        raise ValueError(f"{user.username} is a participant's portal account: the API is for staff")
    raw = "tp_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=_digest(raw), label=label)
    return raw


class TotpDevice(models.Model):
    """A user's authenticator app: the shared TOTP secret (security.md SEC-25).

    The secret has to be readable to check codes, so unlike passwords and recovery codes it
    cannot be hashed; it is never shown again after enrolment. `last_used_step` is the RFC 6238
    time step of the last code accepted: no code of that step or an earlier one is accepted
    again, so a code cannot be used twice."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"authenticator app of {self.user}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use recovery code, stored only as a password hash (make_password)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user}"
