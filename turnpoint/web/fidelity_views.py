"""A programme's fidelity to its practice standards (docs/web.md, "Fidelity"; the rules and
their evaluation: docs/supervision.md, "Fidelity"). Read through `sharing.reads.fidelity_read`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from turnpoint.programmes.models import Programme
from turnpoint.sharing.reads import fidelity_read
from turnpoint.sharing.rules import PolicyDenied

TAG = {"met": "govuk-tag--green", "not_met": "govuk-tag--red", "not_enough_data": "govuk-tag--grey"}


@login_required
def fidelity(request, slug):
    """Which of the programme's provisions are met, with the numbers, source and status; each
    caseload's; and the alerts for staff."""
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        raise Http404("No such programme")
    try:
        read = fidelity_read(request.user, programme)
    except PolicyDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    by_id = {p.id: p for p in read.provisions}
    rows = [{"finding": f, "provision": by_id[f.provision], "tag": TAG[f.outcome]}
            for f in read.findings]  # fmt: skip
    caseloads = [
        {"name": name, "participants": n,
         "findings": [{"finding": f, "tag": TAG[f.outcome]} for f in found]}
        for name, n, found in read.caseloads
    ]  # fmt: skip
    context = {"programme": programme, "rows": rows, "caseloads": caseloads,
               "alerts": read.alerts, "provisions": read.provisions}  # fmt: skip
    return render(request, "web/fidelity/fidelity.html", context)
