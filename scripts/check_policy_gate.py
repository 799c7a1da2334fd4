"""`make check`: refuse a read of participant data outside the sharing core's selectors.

Interfaces (pages, API, portal, command line) get participant data from the selectors in
`turnpoint.sharing.reads` (and the reads beside their rules: exports, statutory reports, the
accounting of disclosures), which decide, fetch and record in one transaction. They build
querysets only from `turnpoint.sharing.reach` (`participants_visible_to`,
`referrals_visible_to`, `episodes_visible_to`), never from a protected model's manager. A line in
an interface module that names a protected model's manager (`Participant.objects`,
`ShareConsent.objects`, ...) fails this check; there is no comment that excuses it.

The apps that own these tables (people, journeys: their services write them) and the sharing
core itself may query them; so may migrations and the synthetic-data generators.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = (
    "Participant", "HouseholdChild", "Referral", "Episode", "Transition", "ShareConsent",
    "ParticipationConsent", "CourtOrder", "BreakGlass", "Disclosure", "DisclosureAct",
    "DisclosedParticipant", "DisclosureBacklog", "ExternalIdentifier", "ContactDetail",
    "ParticipantMerge", "ParticipantFieldChange", "ReferralFieldChange", "Administration",
    "ExternalAssessment", "MatchDecision", "RecoveryPlan", "PlanVersion", "Goal", "AgreedService",
    "Appointment", "DrugTest", "DrugTestResult",
    "CustodyEpisode", "ReleasePlan", "ReleasePlanItem",
    "OutcomeEvent", "FollowUp",
)  # fmt: skip
MANAGER = re.compile(
    r"\b(" + "|".join(PROTECTED) + r")\.(objects|_default_manager|_base_manager)\b"
)
OWNERS = (
    "turnpoint/sharing/", "turnpoint/people/", "turnpoint/journeys/", "turnpoint/assessments/",
    "turnpoint/plans/", "turnpoint/supervision/", "turnpoint/outcomes/",
)  # fmt: skip


def problems_in(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "turnpoint").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(OWNERS) or "/migrations/" in rel:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if MANAGER.search(line):
                found.append(f"{rel}:{number}: reads participant data outside the sharing core's "
                             "selectors; use turnpoint.sharing.reads or .reach")  # fmt: skip
    return found


def main() -> int:
    problems = problems_in(ROOT)
    print("\n".join(problems) or "policy gate: participant data is read only through the selectors")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
