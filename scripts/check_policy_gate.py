"""`make check`: flag direct queries on participant data outside the apps allowed to make them.

Participants are reached only through turnpoint.sharing.policy (STYLE.md rule 5). Views, API,
exports and reports that query `Participant.objects`, `Referral.objects`, `Episode.objects` or
`Transition.objects` themselves could bypass the policy gate, so they fail this check unless the
line carries `# policy-gate: <why this is safe>`.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = re.compile(r"\b(Participant|Referral|Episode|Transition)\.objects\b")
# Apps that own these tables, and write paths that run after the policy decided.
ALLOWED = ("turnpoint/sharing/", "turnpoint/people/", "turnpoint/journeys/", "turnpoint/simulator/")


def main() -> int:
    problems = []
    for path in sorted((ROOT / "turnpoint").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(ALLOWED) or "/migrations/" in rel:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if PROTECTED.search(line) and "# policy-gate:" not in line:
                problems.append(f"{rel}:{number}: query on participant data outside the policy "
                                f"gate; use turnpoint.sharing.policy")  # fmt: skip
    print("\n".join(problems) or "policy gate: no direct participant queries outside sharing/")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
