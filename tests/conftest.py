"""Shared fixtures: the shipped programmes, the named personas and a referral factory."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from turnpoint.accounts.mfa import MFA_SESSION_KEY
from turnpoint.accounts.personas import OUTSIDER, PERSONAS, persona_user
from turnpoint.journeys.services import referral_create
from turnpoint.people.services import participant_create
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme

_force_login = Client.force_login


@pytest.fixture(autouse=True)
def force_login_also_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` is the test-only way past the password step; here it also
    marks the session as past the security-code step, so tests about what a signed-in persona
    sees need no authenticator app. The gate itself stays on (MfaRequiredMiddleware is in the
    test settings like everywhere else): tests that sign in through the real form
    (tests/test_sign_in_with_security_code.py, tests/browser) meet the security-code pages."""

    def force_login(self, user, backend=None):
        _force_login(self, user, backend)
        session = self.session
        session[MFA_SESSION_KEY] = str(user.pk)
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def programmes(db):
    programme_load_files(sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml")))
    return {p.slug: p for p in Programme.objects.all()}


@pytest.fixture
def programme(programmes):
    return programmes["ghent-dtc"]


@pytest.fixture
def other_programme(db):
    """A second team's programme, which the personas are not members of."""
    programme_load_files([Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml"])
    other = Programme.objects.get(slug="ghent-dtc")
    other.pk = None
    other.slug = "other-area-dtc"
    other.name = "Another area's drug treatment court"
    other.save()
    return other


@pytest.fixture
def users(programme):
    """Every persona as a member of the Ghent team, keyed by username."""
    return {p.username: persona_user(p, programmes=[programme]) for p in PERSONAS}


@pytest.fixture
def outsider(other_programme):
    return persona_user(OUTSIDER, programmes=[other_programme])


@pytest.fixture
def coordinator(users):
    return users["coordinator"]


@pytest.fixture
def make_referral(coordinator, programme):
    def make(*, given_name="Robin", family_name="Example", by=None, on=None, **overrides):
        by = by or coordinator
        participant = participant_create(
            acting_user=by,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date(1990, 5, 17),
        )
        values = dict(
            participant=participant,
            programme=programme,
            source="police",
            offence_category="acquisitive",
            drug_related_type="economic_compulsive",
            offence_date=(on or date.today()) - timedelta(days=60),
            referral_date=(on or date.today()) - timedelta(days=30),
        )
        values.update(overrides)
        return referral_create(acting_user=by, **values)

    return make
