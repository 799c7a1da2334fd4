"""`turnpoint.wsgi` with a permissive sharing core: the baseline server of bench_server.py.

`permissive()` swaps the core's functions, in every `turnpoint` module that holds them (a view
that did `from turnpoint.sharing.rules import decide` holds its own reference), for stand-ins
that allow every read and record nothing:

- `rules.decide` allows every read (writes are still decided: the benchmark writes nothing);
  `rules.readable` calls it, so every category is readable;
- `reach.participants_visible_to`, `referrals_visible_to` and `episodes_visible_to` are the
  whole tables; `reach.openings_of` and `openings_for` load nothing;
- `record.read_recorded`, `audit_read` and `disclosures_for_read` write nothing.

bench_server.py checks the swap is real: the permissive server must write no audit entry and
no disclosure.

    gunicorn bench_server_app:application --pythonpath bench
"""

import sys

from turnpoint.wsgi import application  # noqa: F401 - built, every view imported


def permissive() -> dict[str, int]:
    """Install the stand-ins; returns how many modules held each swapped name."""
    from django.template import engines
    from django.utils import timezone

    from turnpoint.journeys.models import Episode, Referral
    from turnpoint.people.models import Participant
    from turnpoint.sharing import reach, record, rules

    engines.all()  # imports every template tag library, which may hold a core function
    real_decide = rules.decide

    def decide(user, category, *, action="read", **kwargs):
        if action == "read":
            return rules.Decision(True, "permissive benchmark policy", "role")
        return real_decide(user, category, action=action, **kwargs)

    def openings_for(user, participant_ids):
        now = timezone.now()
        return {int(getattr(p, "pk", p)): rules.Openings(now=now) for p in participant_ids}

    stand_ins = {
        real_decide: decide,
        reach.participants_visible_to: lambda user: Participant.objects.all(),
        reach.referrals_visible_to: lambda user: Referral.objects.all(),
        reach.episodes_visible_to: lambda user: Episode.objects.all(),
        reach.openings_of: lambda user, participant: rules.Openings(now=timezone.now()),
        reach.openings_for: openings_for,
        record.read_recorded: lambda user, **kwargs: 0,
        record.audit_read: lambda user, **kwargs: None,
        record.disclosures_for_read: lambda user, **kwargs: 0,
    }
    by_id = {id(real): (real, new) for real, new in stand_ins.items()}
    patched: dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("turnpoint") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            found = by_id.get(id(value))
            if found is not None and found[0] is value:
                setattr(module, attr, found[1])
                key = f"{found[0].__module__}.{found[0].__name__}"
                patched[key] = patched.get(key, 0) + 1
    return patched


PATCHED = permissive()
print(f"bench_server_app: permissive core installed {PATCHED}", file=sys.stderr)
