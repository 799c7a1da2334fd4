"""The analyst's simulator page: edit a scenario, run it, see charts; bad input is explained."""

import csv
import io

import pytest
from django.urls import reverse

from turnpoint.accounts.personas import PERSONAS, persona_user

URL = "/simulator/"
EDITED = """
extends: ew_baseline.yaml
compare_to: ew_baseline.yaml
name: page_test
title: OST for all, one year
horizon_years: 1
parameters:
  custody.ost_at_release:
    value: 1.0
    source: "assumption: page test"
    status: assumption
"""


@pytest.fixture
def analyst(db, client):
    persona = next(p for p in PERSONAS if p.username == "analyst")
    user = persona_user(persona)
    client.force_login(user)
    return user


def test_url_is_mounted_under_simulator():
    assert reverse("simulator:page") == URL


def test_signed_out_visitor_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "sign-in" in response["Location"]


def test_page_shows_a_shipped_scenario_in_the_editor(client, analyst):
    response = client.get(URL, {"scenario": "ew_drug_court_for_short_custody.yaml"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="govuk-textarea' in body
    assert "name: ew_drug_court_for_short_custody" in body


def test_running_shows_charts_tables_and_assumptions(client, analyst):
    response = client.post(URL, {"scenario_yaml": EDITED, "runs": "3", "seed": "5"})
    assert response.status_code == 200
    body = response.content.decode()
    # costs and benefits, acceptability curve, prison population, one-way tornado
    assert body.count("<svg") == 4
    assert "chance that benefits exceed costs" in body
    assert "Monte Carlo standard error" in body and "Standard error" in body
    assert "Chance the policy is worth it, by the value put on a death avoided" in body
    assert "chance net present value &gt; 0" in body  # the curve's vertical axis is labelled
    # The tornado's rows are figures in words, with the result at each end of their range.
    assert "Deaths in 4 weeks after release, without OST" in body and "Result at low" in body
    assert "Rank correlation of each figure with the net present value" in body
    assert "govuk-table" in body
    assert "custody.weeks_served" in body  # an assumption is listed with its reason
    assert "Every figure used" in body and "govuk-tag--yellow" in body  # statuses are visible


def test_bad_scenario_is_explained_with_key_and_reason(client, analyst):
    shares = "{none: 2, diversion: 0, dtto: 0, cpo: 0, drug_court: 0, custody: 0}"
    bad = EDITED + f"disposal_mix:\n  source: x\n  shares: {shares}\n"
    response = client.post(URL, {"scenario_yaml": bad, "runs": "3"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert "disposal_mix.shares.none" in body and "between 0 and 1" in body


def test_scenario_cannot_read_other_files(client, analyst):
    response = client.post(URL, {"scenario_yaml": "extends: ../pyproject.toml\n", "runs": "3"})
    assert response.status_code == 400
    assert "must name a scenario file shipped in scenarios/" in response.content.decode()


def test_runs_out_of_range_is_refused(client, analyst):
    response = client.post(URL, {"scenario_yaml": EDITED, "runs": "100000"})
    assert response.status_code == 400
    assert "Runs must be between 1 and 300" in response.content.decode()


def test_csv_download_has_one_row_per_run(client, analyst):
    response = client.post(URL, {"scenario_yaml": EDITED, "runs": "4", "format": "csv"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 4
    assert rows[0]["scenario"] == "page_test"


def test_very_long_scenario_is_refused(client, analyst):
    response = client.post(URL, {"scenario_yaml": "#" * 100_001, "runs": "3"})
    assert response.status_code == 400
    assert "longer than 100,000 characters" in response.content.decode()
