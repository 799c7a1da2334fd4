"""Who may compute the evaluation measures and what leaves (docs/analytics.md): analysts only,
for their team's programmes, every extract audited; the research extract pseudonymised with
coarse dates; `turnpoint report` and its refusals; the dashboard page."""

import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from participation_helpers import consent_to_take_part

from turnpoint.analytics.reports import make_extract, measure_report
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import PolicyDenied

TO_EPISODE = ("screening", "eligibility", "assessment", "recommendation", "decision", "episode")
TODAY = datetime.date.today()


@pytest.fixture
def world(users, make_referral):
    """Seven referrals a year ago; five of them started on the programme."""
    coordinator = users["coordinator"]
    referrals = []
    for i in range(7):
        r = make_referral(given_name=f"Person{i}", on=TODAY - datetime.timedelta(days=300))
        if i < 5:
            for state in TO_EPISODE:
                if state == "episode":
                    consent_to_take_part(r, coordinator)
                extra = {
                    "decision": {"recommended_disposal": "programme"},
                    "episode": {"imposed_disposal": "programme"},
                }.get(state, {})
                referral_transition(r, acting_user=coordinator, to_state=state, **extra)
                r.refresh_from_db()
        referrals.append(r)
    return referrals


def exports():
    return list(AuditEntry.objects.filter(action="export").order_by("id"))


def test_the_analyst_makes_an_audited_de_identified_extract(world, users, tmp_path):
    analyst = users["analyst"]
    extract = make_extract(analyst, programme="ghent-dtc", research_dir=tmp_path)
    assert extract.rows()["referrals"] == 7 and extract.rows()["episodes"] == 5
    (entry,) = exports()
    assert entry.username == "analyst" and entry.purpose == "evaluation"
    assert entry.participant_ids == []  # nobody is named
    assert entry.detail["kind"] == "evaluation_extract" and entry.detail["de_identified"]
    assert entry.detail["programmes"] == ["ghent-dtc"]
    assert entry.detail["rows"]["referrals"] == 7

    # Numbers, not database keys: the extract's numbers follow the keyed pseudonyms.
    people = sorted(extract.tables["participants"].column("pid").to_pylist())
    assert people == list(range(1, 8))
    # The research extract: keyed pseudonyms of the participants' keys, months for dates, no
    # exact age, no names or dates of birth anywhere.
    key = settings.TURNPOINT_PSEUDONYM_KEY.encode()
    expected = {
        hmac.new(key, f"participant:{r.participant_id}".encode(), hashlib.sha256).hexdigest()
        for r in world
    }
    referrals = pq.read_table(tmp_path / "referrals.parquet")
    assert set(referrals.column("participant").to_pylist()) == expected
    assert "age" not in referrals.column_names and "referral_month" in referrals.column_names
    months = referrals.column("referral_month").to_pylist()
    # make_referral refers 30 days before `on`.
    assert months == [(TODAY - datetime.timedelta(days=330)).strftime("%Y-%m")] * 7
    steps = pq.read_table(tmp_path / "transitions.parquet")
    assert all(len(m) == 7 for m in steps.column("occurred_month").to_pylist())
    for name in ("participants", "referrals", "episodes", "transitions"):
        text = pq.read_table(tmp_path / f"{name}.parquet").to_pandas().to_csv()
        assert "Person1" not in text and "Example" not in text and "1990-05-17" not in text
        assert str(world[0].participant.reference) not in text


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "judge", "administrator"])
def test_other_roles_are_refused_and_the_refusal_audited(world, users, persona):
    with pytest.raises(PolicyDenied, match="for analysts"):
        make_extract(users[persona], programme="ghent-dtc")
    assert exports() == []
    denied = AuditEntry.objects.get(action="denied", username=persona)
    assert "analysts" in denied.detail["reason"]


def test_an_analyst_is_refused_another_teams_programme(world, users, other_programme):
    with pytest.raises(PolicyDenied, match="not one of your team's programmes"):
        make_extract(users["analyst"], programme="other-area-dtc")
    assert exports() == []


def test_measures_through_the_audited_read(world, users):
    start, end = TODAY - datetime.timedelta(days=400), TODAY
    result = measure_report(users["analyst"], "funnel", start=start, end=end, programme="ghent-dtc")
    reached = dict(
        zip(
            result["funnel"]["reached"]["rows"],
            result["funnel"]["reached"]["row_totals"],
            strict=True,
        )
    )
    assert reached["referral"] == 7 and reached["episode"] == 5
    assert exports()[0].detail["measure"] == "funnel"


# The command line ----------------------------------------------------------------------------


def report(*args):
    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def refused(*args):
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("report", *args, "--json", stdout=out)
    return json.loads(out.getvalue())["errors"], str(caught.value)


PERIOD = ("--from", (TODAY - datetime.timedelta(days=400)).isoformat(), "--to", TODAY.isoformat())


def test_report_json_and_files(world, users, tmp_path):
    out = json.loads(
        report(
            "all",
            "--user",
            "analyst",
            "--programme",
            "ghent-dtc",
            *PERIOD,
            "--json",
            "--csv",
            str(tmp_path / "r.csv"),
            "--parquet",
            str(tmp_path / "r.parquet"),
            "--pdf",
            str(tmp_path / "r.pdf"),
        )
    )
    assert set(out) == {
        "scope",
        "census",
        "funnel",
        "timeliness",
        "retention",
        "reoffending",
        "recovery-capital",
        "equity",
        "completeness",
    }
    assert out["scope"]["programme"] == "ghent-dtc"
    csv_text = (tmp_path / "r.csv").read_text()
    assert csv_text.startswith("measure,table,row,column,value,withheld")
    assert "funnel,reached,episode,all,5,false" in csv_text
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.num_rows == len(csv_text.strip().splitlines()) - 1
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert [e.detail["measure"] for e in exports()] == ["all"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("census", "--user", "analyst", "--from", "2025-13-01", "--to", "2025-12-31"),
            "from: '2025-13-01' is not a date",
        ),
        (
            ("census", "--user", "analyst", "--from", "2025-02-01", "--to", "2025-01-01"),
            "from: must be on or before --to",
        ),
        (
            ("throughput", "--user", "analyst", "--from", "2025-01-01", "--to", "2025-12-31"),
            "NAME: must be one of",
        ),
        (
            ("census", "--user", "nobody", "--from", "2025-01-01", "--to", "2025-12-31"),
            "user: no active user 'nobody'",
        ),
        (
            (
                "census",
                "--user",
                "analyst",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
                "--group",
                "shoe_size",
            ),
            "group: must be one of gender",
        ),
        (
            (
                "census",
                "--user",
                "analyst",
                "--programme",
                "nowhere",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
            ),
            "programme: no programme 'nowhere'",
        ),
        (
            (
                "census",
                "--user",
                "analyst",
                "--programme",
                "ghent-dtc",
                "--site",
                "Atlantis",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
            ),
            "site: 'Atlantis' is not a site",
        ),
    ],
)
def test_report_refusals(world, users, args, expected):
    errors, message = refused(*args)
    assert any(expected in e for e in errors), errors
    assert "refused" in message


def test_report_refuses_a_coordinator(world, users):
    errors, message = refused("census", "--user", "coordinator", *PERIOD)
    assert "for analysts" in errors[0] and message.startswith("refused")
    assert exports() == []


def test_a_refusal_exits_1_with_no_traceback():
    env = {**os.environ, "PYTHONPATH": str(Path(settings.BASE_DIR))}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "turnpoint",
            "report",
            "census",
            "--user",
            "x",
            "--from",
            "yesterday",
            "--to",
            "2025-01-01",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "from: 'yesterday' is not a date" in done.stderr


def test_research_extract_command(world, users, tmp_path):
    out = StringIO()
    call_command("research_extract", str(tmp_path / "x"), "--user", "analyst", "--json",
                 stdout=out)  # fmt: skip
    assert json.loads(out.getvalue())["rows"]["referrals"] == 7
    referrals = pq.read_table(tmp_path / "x" / "referrals.parquet")
    assert all(len(p) == 64 for p in referrals.column("participant").to_pylist())
    assert exports()[-1].detail["research_extract"] is True
    with pytest.raises(CommandError, match=r"refused: .*does not see analytics"):
        call_command("research_extract", str(tmp_path / "y"), "--user", "coordinator")
    assert not (tmp_path / "y").exists()
    with pytest.raises(CommandError, match="is not an empty folder"):
        call_command("research_extract", str(tmp_path / "x"), "--user", "analyst")


# The dashboard -------------------------------------------------------------------------------


def test_the_dashboard_shows_the_analyst_charts_and_refuses_others(world, users):
    client = Client()
    client.force_login(users["analyst"])
    page = client.get(
        reverse("web:analytics"), {"from": PERIOD[1], "to": PERIOD[3], "programme": "ghent-dtc"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 4 and "<title" in html and "govuk-visually-hidden" in html
    assert "Person1" not in html and "Example" not in html
    assert exports()[-1].detail["measure"] == "all"
    other = Client()
    other.force_login(users["coordinator"])
    assert other.get(reverse("web:analytics")).status_code == 403
    assert AuditEntry.objects.filter(action="denied", username="coordinator").exists()
