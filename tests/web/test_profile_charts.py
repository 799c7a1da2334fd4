"""The profile on the participant page and its charts (docs/assessments.md, "The profile"):
server-rendered SVG with a title, a description, labelled axes and a hidden table of the same
numbers; only what the reader may read is shown."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from turnpoint.assessments.services import administration_complete, administration_start
from turnpoint.web.charts import Series, line_chart

from .helpers import text


def test_a_chart_has_its_title_description_axes_and_a_table_of_the_same_numbers():
    chart = line_chart(
        chart_id="c", title="Recovery capital", description="BARC-10 total over time.",
        series=[Series("Total", ((date(2026, 1, 5), 30), (date(2026, 3, 2), 42)))],
        y_min=10, y_max=60, y_label="Total score",
    )  # fmt: skip
    assert '<title id="c-title">Recovery capital</title>' in chart
    assert '<desc id="c-desc">BARC-10 total over time.</desc>' in chart
    assert ">5 Jan 2026<" in chart and ">2 Mar 2026<" in chart  # dates along the bottom
    assert ">10<" in chart and ">60<" in chart and ">Total score<" in chart  # the scale's range
    assert '<div class="govuk-visually-hidden"><table class="govuk-table"' in chart
    table = chart.split("<table", 1)[1]
    assert ">30<" in table and ">42<" in table
    assert chart.count("<circle") == 2


def test_text_in_a_chart_is_escaped_and_an_empty_chart_says_so():
    chart = line_chart(chart_id="x", title="<b>", description="&", y_min=0, y_max=1,
                       y_label="y", series=[Series("<i>", ((date(2026, 1, 1), 1),))])  # fmt: skip
    assert "<b>" not in chart and "&lt;b&gt;" in chart and "<i>" not in chart
    empty = line_chart(chart_id="e", title="Readiness", description="", y_min=0, y_max=10,
                       y_label="Rating", series=[Series("Importance", ())])  # fmt: skip
    assert "nothing recorded yet" in empty and "<svg" not in empty


def barc(user, referral, on, value):
    a = administration_start(acting_user=user, participant=referral.participant,
                             referral=referral, instrument_id="barc-10", setting="review",
                             administered_on=on)  # fmt: skip
    return administration_complete(a, acting_user=user, expected_version=1,
                                   answers={f"barc_{n}": value for n in range(1, 11)})  # fmt: skip


def points(page: str, chart_id: str) -> int:
    """The points drawn in one chart of the page."""
    start = page.index(f'id="{chart_id}"')
    return page[start : page.index("</svg>", start)].count("<circle")


@pytest.mark.django_db
def test_the_recovery_capital_chart_gains_a_point_and_court_roles_see_none(
    page_as, users, make_referral
):
    referral = make_referral()
    person = referral.participant
    url = reverse("web:participant", args=[person.pk])
    barc(users["coordinator"], referral, date.today() - timedelta(days=60), 3)
    first = text(page_as("coordinator").get(url))
    assert 'id="chart-capital"' in first and points(first, "chart-capital") == 1
    # Turnpoint's grouping of the items: personal, social and community, labelled as such.
    groups = first[first.index('id="chart-capital-groups"') :]
    assert all(f"{kind} (Turnpoint" in groups for kind in ("Personal", "Social",
                                                                      "Community"))  # fmt: skip
    barc(users["coordinator"], referral, date.today(), 5)
    second = text(page_as("coordinator").get(url))
    assert points(second, "chart-capital") == 2 and "up 20 since the first" in second
    judge = text(page_as("judge").get(url))
    assert 'id="chart-capital"' not in judge and "No assessments you can see yet" in judge
