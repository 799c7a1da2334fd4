"""SEC-04 category-level minimum necessary and SEC-05 treatment stays treatment by default."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from turnpoint.accounts.models import STAFF_ROLES, Role
from turnpoint.api.consents import SHARE_CONSENT
from turnpoint.api.court_orders import COURT_ORDER
from turnpoint.api.episodes import EPISODE
from turnpoint.api.household import CHILD
from turnpoint.api.participants import PARTICIPANT
from turnpoint.api.participation_consents import PARTICIPATION_CONSENT
from turnpoint.api.referrals import REFERRAL
from turnpoint.api.transitions import TRANSITION
from turnpoint.api.urls import api
from turnpoint.people.services import household_child_add
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.court_orders import court_order_record
from turnpoint.sharing.reach import decide_for, readable_categories

from . import authorisation_matrix as matrix
from .helpers import all_keys

SHAPES = (PARTICIPANT, REFERRAL, EPISODE, TRANSITION)
# What staff record about a participant, listed with the Shape of the items: each checked
# against its own Shape, since a field one of them shows to every reader ("reference",
# "categories") can be a category's field in another. Consents to share are left out: their
# endpoint shows every field to whoever it lets read them (api/consents.py).
RECORDS = {
    "/api/referrals/{referral_id}/participation-consents": PARTICIPATION_CONSENT,
    "/api/participants/{participant_id}/court-orders": COURT_ORDER,
    "/api/participants/{participant_id}/household": CHILD,
}
TREATMENT = (Category.CLINICAL, Category.COUNSELLING_NOTES, Category.MENTAL_HEALTH)
# Values of the world's referral that belong to the legal category.
LEGAL_VALUES = ("bicycle", "acquisitive", "economic_compulsive")


def field_categories(shapes=SHAPES) -> dict[str, set[str]]:
    """Each output field of `shapes` and the categories it is shown under."""
    out: dict[str, set[str]] = {}
    for shape in shapes:
        for category, names in shape.by_category.items():
            for name in names:
                out.setdefault(name, set()).add(category)
    return out


def test_sec_04_every_field_the_api_returns_belongs_to_a_category():
    """A new output field that no Shape places in a category would escape the check below."""
    schemas = api.get_openapi_schema()["components"]["schemas"]
    shapes = (*SHAPES, *RECORDS.values(), SHARE_CONSENT)
    known = set().union(*(shape.field_names() for shape in shapes))
    containers = {
        "count",
        "limit",
        "offset",
        "items",
        "referrals",
        "transitions",
        "episode",
        "errors",
        "field",
        "reason",
        # Earlier values of edited fields: decided by each field's category (identity on a
        # participant, legal facts on a referral) by reads.field_history_read.
        "earlier_values",
        # Lists whose rows each carry their own category, decided row by row when read
        # (sharing.reads.participant_details_read; a judge gets no health number:
        # tests/api/test_likely_duplicate_participant_api.py).
        "identifiers",
        "contact_details",
        # The same, withdrawn as recorded in error (tests/api/test_withdraw_identifier_api.py).
        "withdrawn_identifiers",
        "withdrawn_contact_details",
    }
    records = ("ParticipationConsentOut", "CourtOrderOut", "ChildOut", "ShareConsentOut")
    for name in ("ParticipantOut", "ReferralOut", "EpisodeOut", "TransitionOut", *records):
        fields = set(schemas[name]["properties"]) - containers
        assert fields <= known, f"{name} fields in no category: {sorted(fields - known)}"


@pytest.mark.parametrize("key", [k for k in matrix.PERSONA_KEYS if k != "anonymous"])
def test_sec_04_api_json_holds_no_field_of_a_category_the_role_may_not_read(
    world, api_as, persona, coordinator, key
):
    user = persona(key)
    readable = readable_categories(user, programme=world["programme"])

    def forbidden(shapes) -> set[str]:
        return {name for name, cats in field_categories(shapes).items() if not cats & readable}

    # Something in each record list: a court order and a child (the world has a consent to
    # take part already).
    household_child_add(
        acting_user=coordinator, participant=world["participant"], first_name="Mia",
        year_of_birth=date.today().year - 6, relationship="daughter",
    )  # fmt: skip
    court_order_record(
        acting_user=coordinator, participant=world["participant"], kind="order",
        court="Ghent court of first instance", reference="ORD-2026-3", made_on=date.today(),
        categories=[Category.ATTENDANCE], covers_from=date.today() - timedelta(days=90),
        covers_to=date.today(), recipient_role=Role.JUDGE, purposes=[Purpose.COURT_REVIEW],
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    ids = {
        "participant_id": world["participant"].pk,
        "referral_id": world["referral"].pk,
        "episode_id": world["episode"].pk,
    }
    client = api_as(key)
    urls = {
        url: SHAPES
        for url in (
            "/api/participants",
            "/api/referrals",
            "/api/episodes",
            "/api/participants/{participant_id}",
            "/api/referrals/{referral_id}",
            "/api/referrals/{referral_id}/transitions",
            "/api/episodes/{episode_id}",
        )
    }
    urls.update({url: (shape,) for url, shape in RECORDS.items()})
    for url, shapes in urls.items():
        response = client.get(url.format(**ids))
        if response.status_code == 404 or (key == Role.PARTICIPANT and response.status_code == 401):
            continue  # not reached; the API signs in no participant (docs/portal.md)
        body = response.json()
        leaked = all_keys(body) & forbidden(shapes)
        assert not leaked, (key, url, sorted(leaked))
        if Category.LEGAL not in readable:
            text = json.dumps(body)
            assert not [v for v in LEGAL_VALUES if v in text], (key, url)


@pytest.mark.parametrize("key", [k for k in matrix.PERSONA_KEYS if k != "anonymous"])
def test_sec_04_participant_page_shows_nothing_of_a_category_the_role_may_not_read(
    world, page_as, persona, key
):
    user = persona(key)
    response = page_as(key).get(f"/participants/{world['participant'].pk}/")
    if response.status_code == 404:
        return
    page = response.content.decode()
    readable = readable_categories(user, programme=world["programme"])
    if Category.LEGAL in readable:
        assert "bicycle" in page  # the check below would notice the summary if it leaked
    else:
        assert "bicycle" not in page and "Acquisitive" not in page, key
    for category in TREATMENT:
        if category not in readable:
            assert f">{category.label}<" not in page, (key, category)


NOT_TREATMENT = [r for r in STAFF_ROLES if r not in (Role.CLINICIAN,)]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    role=st.sampled_from(STAFF_ROLES),
    category=st.sampled_from(TREATMENT),
    slug=st.sampled_from(
        ["ghent-dtc", "england-drr", "scotland-dtto", "scotland-cpo-dtr", "us-adult-drug-court"]
    ),
    purpose=st.sampled_from(list(Purpose)),
)
def test_sec_05_no_court_role_reads_treatment_without_consent(
    world, users, programmes, role, category, slug, purpose
):
    """Over every role x treatment category x programme x purpose, with no consent in force."""
    from .conftest import ROLE_USERNAME

    user = users[ROLE_USERNAME[role]]
    decision = decide_for(
        user, category, world["participant"], programme=programmes[slug], purpose=purpose
    )
    if role == Role.CLINICIAN and purpose == Purpose.TREATMENT:
        assert decision.allowed, decision.reason
    else:
        assert not decision.allowed, (role, category, slug, purpose, decision.reason)
