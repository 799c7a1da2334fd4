"""The sharing app's models: what is recorded, and what each row answers about itself. The
rules about them live in the modules of `turnpoint.sharing`; nothing here imports those."""

from .audit import AppendOnlyError, AuditEntry, append_entries
from .checkpoints import AuditCheckpoint
from .consents import ParticipationConsent, ShareConsent
from .court_orders import CourtOrder
from .disclosures import (
    DisclosedParticipant,
    Disclosure,
    DisclosureAct,
    DisclosureBacklog,
    LegalBasis,
)
from .safeguarding import BreakGlass, Notification

__all__ = [
    "AppendOnlyError",
    "AuditCheckpoint",
    "AuditEntry",
    "BreakGlass",
    "CourtOrder",
    "DisclosedParticipant",
    "Disclosure",
    "DisclosureAct",
    "DisclosureBacklog",
    "LegalBasis",
    "Notification",
    "ParticipationConsent",
    "ShareConsent",
    "append_entries",
]
