"""The policy function: deny by default; treatment stays treatment (R18)."""

import pytest
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from turnpoint.accounts.models import Role, User
from turnpoint.sharing.categories import TREATMENT, Category, Purpose
from turnpoint.sharing.reach import (
    participant_for_user,
    participants_visible_to,
    readable_categories,
)
from turnpoint.sharing.rules import Openings, decide, readable

COURT_ROLES = [Role.JUDGE, Role.PROSECUTOR, Role.DEFENCE]


class FakeProgramme:
    def __init__(self, court_receives_test_results):
        self.court_receives_test_results = court_receives_test_results
        self.name = "Test programme"


def user_with(role):
    return User(username=f"u-{role}", role=role, is_active=True)


@given(
    role=st.sampled_from([*COURT_ROLES, Role.ANALYST, Role.ADMINISTRATOR]),
    category=st.sampled_from(sorted(TREATMENT)),
    switch=st.booleans(),
    purpose=st.sampled_from([None, *Purpose.values]),
    action=st.sampled_from(["read", "write"]),
)
def test_court_and_other_roles_never_reach_treatment_information(
    role, category, switch, purpose, action
):
    decision = decide(user_with(role), category, programme=FakeProgramme(switch), purpose=purpose,
                      action=action)  # fmt: skip
    assert not decision.allowed
    assert decision.reason


def test_denial_explains_where_to_ask():
    decision = decide(user_with(Role.JUDGE), Category.CLINICAL)
    assert decision.reason.startswith("you cannot see clinical treatment")
    assert "ask the treatment provider" in decision.reason


def test_clinician_reads_treatment_information():
    assert readable_categories(user_with(Role.CLINICIAN)) >= TREATMENT


def test_court_sees_test_results_only_where_the_programme_says_so():
    judge = user_with(Role.JUDGE)
    assert decide(judge, Category.DRUG_TESTS, programme=FakeProgramme(True)).allowed
    assert not decide(judge, Category.DRUG_TESTS, programme=FakeProgramme(False)).allowed


def test_purpose_must_belong_to_the_role():
    decision = decide(user_with(Role.JUDGE), Category.IDENTITY, purpose=Purpose.TREATMENT)
    assert not decision.allowed and "does not act for treatment" in decision.reason


def test_user_without_role_is_denied():
    assert not decide(User(username="x", is_active=True), Category.IDENTITY).allowed


@pytest.mark.django_db
def test_outsider_and_analyst_reach_no_participant_of_the_programme(make_referral, users, outsider):
    referral = make_referral()
    pk = referral.participant_id
    assert list(participants_visible_to(users["coordinator"]).values_list("pk", flat=True)) == [pk]
    for user in (outsider, users["analyst"], users["administrator"]):
        assert not participants_visible_to(user).exists()
        with pytest.raises(Http404):
            participant_for_user(user, pk)
    with pytest.raises(Http404):
        participant_for_user(users["coordinator"], pk + 1000)
    with pytest.raises(Http404):
        participant_for_user(users["coordinator"], "not-a-number")


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


@pytest.mark.django_db
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    role=st.sampled_from([*Role.values, ""]),
    active=st.booleans(),
    switch=st.sampled_from([None, True, False]),
    purpose=st.sampled_from([None, *Purpose.values]),
    consented=st.lists(
        st.tuples(st.sets(st.sampled_from(sorted(Category)), max_size=3), st.booleans()),
        max_size=2,
    ),
    ordered=st.lists(
        st.tuples(st.sets(st.sampled_from(sorted(Category)), max_size=3), st.booleans()),
        max_size=2,
    ),
)
def test_sec_05_readable_categories_answers_as_decide_does_for_each_category(
    users, participant, role, active, switch, purpose, consented, ordered
):
    """`rules.readable` and `rules.decide` asked once per category agree on every role, purpose,
    programme switch, and on what the participant's consents and court orders open."""
    from types import SimpleNamespace

    user = User(username="prop", role=role, is_active=active, agency=users["judge"].agency)
    user.pk = users["judge"].pk
    now = timezone.now()

    def covering(categories, applies, kind):
        """A consent or court order of these categories that does or does not name this
        user, purpose and time (`applies`), as the models define `covers` from the two."""
        return SimpleNamespace(
            pk=7, signed_on=now, expires_at=now, label=kind, range_text="all dates",
            categories=sorted(categories), applies=lambda user, purpose, at: applies,
            covers=lambda user, category, purpose, at: category in categories and applies,
        )  # fmt: skip

    openings = Openings(
        now=now,
        consents=tuple(covering(*c, "Consent") for c in consented),
        court_orders=tuple(covering(*o, "Court order") for o in ordered),
    )
    programme = None if switch is None else FakeProgramme(switch)
    for given_openings in (openings, None):
        asked = {"programme": programme, "purpose": purpose, "openings": given_openings}
        expected = {c for c in Category if decide(user, c, **asked)}
        assert readable(user, **asked) == expected


def test_sec_05_readable_categories_looks_a_participants_openings_up_once(
    users, participant, django_assert_num_queries
):
    """Asked without the participant's consents and court orders, `readable_categories` reads
    each once for all the categories the role denies (a consent, then a court order, may open
    each), not once per category; what they open still counts."""
    from test_share_consent import consent_values

    from turnpoint.sharing.consents import share_consent_create

    judge = users["judge"]
    with django_assert_num_queries(2):  # the participant's consents, then their court orders
        before = readable_categories(judge, participant=participant)
    assert Category.CLINICAL not in before
    share_consent_create(acting_user=users["clinician"], **consent_values(participant, users))
    with django_assert_num_queries(2):
        after = readable_categories(judge, participant=participant)
    assert after == before | {Category.CLINICAL}
