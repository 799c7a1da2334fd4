"""The named staff of the demo and the tests: one per role, plus an outsider from another team
(STYLE.md rule 6)."""

from dataclasses import dataclass

from .models import Agency, AgencyKind, Role, User


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: str
    agency: str
    agency_kind: str


PERSONAS = (
    Persona("coordinator", "Cara", "Okafor", Role.COORDINATOR, "Programme team", AgencyKind.COORDINATION),
    Persona("casemanager", "Sam", "Reid", Role.CASE_MANAGER, "Programme team", AgencyKind.COORDINATION),
    Persona("clinician", "Lena", "Peeters", Role.CLINICIAN, "Community drug service", AgencyKind.TREATMENT),
    Persona("probation", "Jamie", "Walsh", Role.PROBATION_OFFICER, "Justice social work", AgencyKind.PROBATION),
    Persona("judge", "Ruth", "Adeyemi", Role.JUDGE, "Magistrates' court", AgencyKind.COURT),
    Persona("prosecutor", "Tom", "Hughes", Role.PROSECUTOR, "Prosecution service", AgencyKind.PROSECUTION),
    Persona("defence", "Asha", "Patel", Role.DEFENCE, "Defence solicitors", AgencyKind.DEFENCE),
    Persona("safeguarding", "Morag", "Fraser", Role.SAFEGUARDING_LEAD, "Community drug service", AgencyKind.TREATMENT),
    Persona("analyst", "Noor", "Haddad", Role.ANALYST, "Evaluation unit", AgencyKind.RESEARCH),
    Persona("administrator", "Chris", "Lam", Role.ADMINISTRATOR, "Programme team", AgencyKind.COORDINATION),
)  # fmt: skip

OUTSIDER = Persona(
    "outsider", "Alex", "Morgan", Role.COORDINATOR, "Another area's team", AgencyKind.COORDINATION
)


def persona_user(persona: Persona, *, programmes=(), password: str | None = None) -> User:
    agency, _ = Agency.objects.get_or_create(
        name=persona.agency, defaults={"kind": persona.agency_kind}
    )
    user, _ = User.objects.update_or_create(
        username=persona.username,
        defaults={
            "first_name": persona.first_name,
            "last_name": persona.last_name,
            "role": persona.role,
            "agency": agency,
            "is_staff": persona.role == Role.ADMINISTRATOR,
        },
    )
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    if programmes:
        user.programmes.set(programmes)
    return user
