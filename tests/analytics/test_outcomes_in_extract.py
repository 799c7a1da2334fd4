"""Outcome events and follow-ups recorded through `turnpoint.outcomes.services` reach the
evaluation extract and the measures (docs/analytics.md, "The extract"): reconviction and
arrest times from entry and exit, prior convictions, follow-ups and the scores of the
administrations that answered them, and BARC-10 totals as the assessments app stores them."""

import datetime
import json
import math
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from outcome_helpers import exit_episode, walk_to_episode

from turnpoint.analytics import measures as M
from turnpoint.analytics.reports import make_extract
from turnpoint.assessments.services import administration_complete, administration_start
from turnpoint.outcomes.models import FollowUp
from turnpoint.outcomes.services import follow_up_mark, outcome_event_record
from turnpoint.sharing.models import AuditEntry

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)
ENTERED = TODAY - 424 * DAY  # make_referral(on=TODAY - 400) refers 430 days ago; +6 steps
LEFT = TODAY - 380 * DAY


def justice(kind, offence, outcome_on, outcome="convicted"):
    return dict(kind=kind, offence_date=offence, outcome_date=outcome_on,
                offence_category="acquisitive", outcome=outcome)  # fmt: skip


@pytest.fixture
def recorded(users, make_referral):
    """Five people start on the programme 424 days ago and leave 380 days ago. The first has a
    conviction from 2020 (before the start: a prior conviction), and after the start an
    arrest (offence 300 days ago, arrested the next day) and a conviction for that offence
    (convicted 200 days ago). Each one's 6-month follow-up is done with a WHO-5 (every item
    answered i for person i: percentage 20i); the first gave a BARC-10 at intake (every item
    4: total 40)."""
    coordinator, clinician = users["coordinator"], users["clinician"]
    referrals = []
    for i in range(5):
        r = make_referral(given_name=f"Person{i}", on=TODAY - 400 * DAY)
        walk_to_episode(r, coordinator)
        assert r.episode.started_on == ENTERED
        exit_episode(r, coordinator, on=LEFT)
        referrals.append(r)
    first = referrals[0]
    for values in (
        justice("conviction", datetime.date(2020, 1, 1), datetime.date(2020, 3, 1)),
        justice("arrest", TODAY - 300 * DAY, TODAY - 299 * DAY, outcome="pending"),
        justice("conviction", TODAY - 300 * DAY, TODAY - 200 * DAY),
    ):
        outcome_event_record(acting_user=coordinator, participant=first.participant,
                             referral=first, **values)  # fmt: skip
    for i, r in enumerate(referrals):
        follow_up = FollowUp.objects.get(episode=r.episode, months=6)
        who = administration_start(acting_user=clinician, participant=r.participant,
                                   instrument_id="who-5", setting="follow_up",
                                   administered_on=follow_up.due_on, referral=r)  # fmt: skip
        who = administration_complete(who, acting_user=clinician, expected_version=who.version,
                                      answers={f"who5_{k}": i for k in range(1, 6)})  # fmt: skip
        follow_up_mark(follow_up, acting_user=clinician, status="done",
                       done_on=follow_up.due_on, administration=who)  # fmt: skip
    barc = administration_start(acting_user=clinician, participant=first.participant,
                                instrument_id="barc-10", setting="intake",
                                administered_on=ENTERED, referral=first)  # fmt: skip
    administration_complete(barc, acting_user=clinician, expected_version=barc.version,
                            answers={f"barc_{k}": 4 for k in range(1, 11)})  # fmt: skip
    return referrals


def test_the_extract_carries_outcome_events_and_follow_ups(recorded, users):
    extract = make_extract(users["analyst"], programme="ghent-dtc")
    events = extract.tables["outcome_events"].to_pylist()
    assert sorted((e["kind"], e["offence_date"], e["outcome_date"]) for e in events) == [
        ("arrest", TODAY - 300 * DAY, TODAY - 299 * DAY),
        ("conviction", datetime.date(2020, 1, 1), datetime.date(2020, 3, 1)),
        ("conviction", TODAY - 300 * DAY, TODAY - 200 * DAY),
    ]
    assert len({e["pid"] for e in events}) == 1
    follow_ups = extract.tables["follow_ups"].to_pylist()
    assert len(follow_ups) == 15  # 3, 6 and 12 months for each of five
    done = [f for f in follow_ups if f["status"] == "done"]
    assert sorted(f["months"] for f in done) == [6] * 5 and all(f["aid"] for f in done)
    scores = extract.tables["client_reported"].to_pylist()
    percentage = sorted(s["score"] for s in scores if s["measure"] == "percentage")
    assert percentage == [0.0, 20.0, 40.0, 60.0, 80.0]
    assert {s["instrument"] for s in scores} == {"who-5"}
    # The BARC-10 total as the assessments app stores it (its "total" scale).
    (barc,) = extract.tables["recovery_capital"].to_pylist()
    assert (barc["setting"], barc["total"]) == ("intake", 40.0)
    # The audit entry names what the extract drew on, the WHO-5's category included.
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert "mental_health" in entry.categories and entry.detail["rows"]["follow_ups"] == 15


def test_reoffending_report_shows_the_reconviction(recorded, users):
    out = StringIO()
    call_command("report", "reoffending", "--user", "analyst", "--programme", "ghent-dtc",
                 "--from", (TODAY - 500 * DAY).isoformat(), "--to", TODAY.isoformat(), "--json",
                 stdout=out)  # fmt: skip
    result = json.loads(out.getvalue())["reoffending"]
    # Five at risk; the first is reconvicted for an offence 124 days after the start: S = 4/5.
    (curve,) = result["reconviction_from_entry"]["by_group"]["curves"]
    assert curve["n"] == 5
    assert curve["rows"] == [
        {"time": 124, "n_risk": 5, "survival": 0.8, "lower": curve["rows"][0]["lower"],
         "upper": curve["rows"][0]["upper"]}
    ]  # fmt: skip
    # Log-log interval of S = 0.8 with 5 at risk, by hand: Greenwood sum 1/(5*4) = 0.05.
    se = math.sqrt(0.05) / math.log(0.8)
    z = 1.959963984540054
    assert curve["rows"][0]["lower"] == pytest.approx(0.8 ** math.exp(-z * se), abs=1e-4)
    assert curve["rows"][0]["upper"] == pytest.approx(0.8 ** math.exp(z * se), abs=1e-4)
    # From exit (380 days ago): the offence was 80 days later; the arrest 125 days from
    # entry and 81 from exit.
    (exit_curve,) = result["reconviction_from_exit"]["by_group"]["curves"]
    assert [r["time"] for r in exit_curve["rows"]] == [80]
    (arrest,) = result["arrest_from_entry"]["by_group"]["curves"]
    assert [(r["time"], r["survival"]) for r in arrest["rows"]] == [(125, 0.8)]
    (arrest_exit,) = result["arrest_from_exit"]["by_group"]["curves"]
    assert [r["time"] for r in arrest_exit["rows"]] == [81]
    # One reconviction: too few for a Cox model.
    assert result["reconviction_from_entry"]["cox"]["estimated"] is False


def test_prior_convictions_and_follow_ups_in_the_measures(recorded, users):
    extract = make_extract(users["analyst"], programme="ghent-dtc")
    measures = M.Measures(extract)
    scope = M.Scope(TODAY - 500 * DAY, TODAY)
    measures._cohort(scope, "reoffending")
    rows = measures._reoffending_rows("started_on", "conviction")
    # Per episode: (days, reconvicted, prior convictions): the 2020 conviction is a prior.
    got = sorted(
        zip(rows["days"].tolist(), rows["event"].tolist(), rows["prior"].tolist(), strict=True)
    )
    assert got == [(124, 1, 1)] + [(424, 0, 0)] * 4
    result = measures.run("all", scope)
    (followed,) = result["recovery-capital"]["follow_ups"]["groups"]
    # The 3- and 6-month follow-ups are past due (left 380 days ago), the 12-month ones only
    # 15 or so days ago: due by today too. 6 months: five done; the others still marked due.
    assert followed["counts"]["cells"][1] == [5, 0, 0, 0]
    assert followed["counts"]["cells"][0] == [0, 0, 0, 5]
    (who,) = [g for g in result["recovery-capital"]["client_reported"]["groups"]
              if g["measure"] == "percentage"]  # fmt: skip
    assert (who["instrument"], who["follow_up"], who["n"], who["mean"]) == (
        "who-5",
        "6 months",
        5,
        40.0,
    )
    # Everybody left, and all five have a follow-up done: 5 of 5.
    (shares,) = result["completeness"]["groups"]
    assert shares["exited_counts"]["cells"] == [[5, 0]]
    assert shares["share"]["outcomes_recorded_of_exited"] == 1.0


# The dashboard's site selector ---------------------------------------------------------------


def test_the_dashboard_offers_the_sites_of_the_teams_programmes(recorded, users):
    client = Client()
    client.force_login(users["analyst"])
    site = users["coordinator"].agency.name  # who made the referrals; no case manager
    period = {"from": (TODAY - 500 * DAY).isoformat(), "to": TODAY.isoformat()}
    page = client.get(reverse("web:analytics"), {**period, "site": site})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label class="govuk-label" for="site">Site</label>' in html
    assert '<option value="">All sites</option>' in html
    assert f'<option value="{site}" selected>{site}</option>' in html
    assert re.findall(
        r'<option value="([^"]*)"', html.split('id="site"')[1].split("</select>")[0]
    ) == ["", site]
    assert AuditEntry.objects.filter(action="export").latest("id").detail["site"] == site
    exports = AuditEntry.objects.filter(action="export").count()
    refused = client.get(reverse("web:analytics"), {**period, "site": "Nowhere"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert '<a href="#site">Choose a site from the list.</a>' in text
    assert 'aria-describedby="site-hint site-error"' in text
    assert AuditEntry.objects.filter(action="export").count() == exports  # nothing computed
