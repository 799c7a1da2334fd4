"""The append-only audit log.

One row per write and one row per request that reads a sensitive category (a list request writes a
single row naming every participant shown, security.md §5.3). Rows are written in the same
transaction as the change they record; they are never updated or deleted.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the audit log is append-only")

    def delete(self):
        raise AppendOnlyError("the audit log is append-only")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        READ = "read", "Read"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        TRANSITION = "transition", "Transition"
        DENIED = "denied", "Denied"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        TOKEN_CREATED = "token_created", "API token created"
        IMPORT = "import", "Import"
        IMPORT_REJECTED = "import_rejected", "Import rejected"
        EXPORT = "export", "Export"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # Copied, not joined: the entry must say what the user was at the time.
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=30, blank=True)
    agency = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    categories = models.JSONField(default=list)
    participant_ids = models.JSONField(default=list)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=50, blank=True)
    purpose = models.CharField(max_length=30, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or 'system'} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit log is append-only")
