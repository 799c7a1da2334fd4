"""SEC-33 steps happen in order: a Hypothesis state machine drives random sequences of pathway
steps, participation-consent and share-consent actions and a judge's reads through the services,
against a model of the rules."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from turnpoint.accounts.models import Role
from turnpoint.errors import InvalidInput
from turnpoint.journeys import machine
from turnpoint.journeys.models import Episode, State
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create, share_consent_revoke
from turnpoint.sharing.models import Disclosure, LegalBasis
from turnpoint.sharing.participation import (
    participation_consent_current,
    participation_consent_record,
    participation_consent_withdraw,
)
from turnpoint.sharing.reach import decide_for
from turnpoint.sharing.record import read_recorded

CONSENT = dict(
    alternatives_explained="A short custodial sentence, or a fine with no treatment.",
    coercion="legal_pressure", agreed_max_weeks=30, custodial_weeks_replaced=36,
    non_completion_explained="The case goes back to the court, which decides as usual.",
    right_to_withdraw_explained=True, signed_by="Robin Example",
)  # fmt: skip


@pytest.mark.django_db
def test_sec_33_random_journeys_accept_only_legal_steps(
    make_referral, coordinator, programme, users
):
    exit_type = programme.exit_types[0]["code"]
    judge = users["judge"]
    reached, judge_read_clinical = set(), []

    class Journey(RuleBasedStateMachine):
        @initialize()
        def refer(self):
            self.referral = make_referral()
            self.state = State.REFERRAL
            self.consented = False
            self.episode_started_with_consent = None
            self.share = None  # the consent to share clinical information with the judge

        @rule(to_state=st.sampled_from(list(State)))
        def step(self, to_state):
            if to_state == self.state == State.EPISODE:
                return  # a phase change, not a pathway step
            legal = to_state in machine.allowed_next(self.state) and (
                to_state != State.EPISODE or self.consented
            )
            extra = {"decision": {"recommended_disposal": "programme"},
                     "episode": {"imposed_disposal": "programme"},
                     "exit": {"exit_type": exit_type, "reason": "Completed the programme.",
                              # the same day it started: before the phases' minimum lengths
                              "override_reason": "The court ended the programme early."},
                     "closed": {"reason": "No follow-up possible."},
                     "left": {"reason_code": "declined"}}.get(to_state, {})  # fmt: skip
            if (self.state, to_state) == (State.DECISION, State.LEFT):
                extra["imposed_disposal"] = "custody"  # the court imposed something else
            try:
                referral_transition(self.referral, acting_user=coordinator, to_state=to_state,
                                    occurred_on=date.today(), **extra)  # fmt: skip
            except InvalidInput as exc:
                assert not legal, (self.state, to_state, exc.problems)
                message = " ".join(p.reason for p in exc.problems)
                if to_state not in machine.allowed_next(self.state):
                    # The refusal names where the referral is and where it may go.
                    assert State(self.state).label in message
                    for allowed in machine.allowed_next(self.state):
                        assert State(allowed).label in message
                else:
                    assert "consent" in message
            else:
                assert legal, (self.state, to_state)
                if to_state == State.EPISODE:
                    self.episode_started_with_consent = self.consented

                self.state = State(to_state)
                reached.add(self.state)
            self.referral.refresh_from_db()
            assert self.referral.state == self.state

        @rule()
        def forward(self):
            """The usual next step, so random runs get deep into the pathway."""
            options = machine.allowed_next(self.state)
            if options and options[0] == State.EPISODE:
                self.record_consent()
            if options:
                self.step(options[0])

        @rule()
        def record_consent(self):
            if self.consented or self.state not in machine.PRE_EPISODE:
                return
            participation_consent_record(acting_user=coordinator, referral=self.referral,
                                         signed_on=date.today(), **CONSENT)  # fmt: skip
            self.consented = True

        @rule()
        def withdraw_consent(self):
            consent = participation_consent_current(self.referral)
            if consent is None:
                return
            participation_consent_withdraw(consent, acting_user=coordinator, how="said so")
            self.consented = False

        @rule()
        def consent_to_share_with_the_judge(self):
            if self.share is not None:
                return
            now = timezone.now()
            self.share = share_consent_create(
                acting_user=users["clinician"], participant=self.referral.participant,
                disclosing_agency=users["clinician"].agency, recipient_role=Role.JUDGE,
                recipient_agency=judge.agency, categories=[Category.CLINICAL],
                purposes=[Purpose.COURT_REVIEW], starts_at=now - timedelta(minutes=1),
                expires_at=now + timedelta(days=90),
                revocation_statement="You can withdraw this consent at any time.",
                revocation_method="Tell your key worker.", signature_method="written",
                signed_by="Robin Example", signed_on=date.today(),
            )  # fmt: skip

        @rule()
        def revoke_the_share(self):
            if self.share is None:
                return
            share_consent_revoke(self.share, acting_user=coordinator, how="said so")
            self.share = None

        @rule()
        def judge_reads_clinical(self):
            person = self.referral.participant
            allowed = decide_for(judge, Category.CLINICAL, person).allowed
            assert allowed == (self.share is not None)  # only an active consent opens it
            before = Disclosure.objects.count()
            if allowed:
                read_recorded(judge, participants=[person], categories=[Category.CLINICAL])
                judge_read_clinical.append(person.pk)
                assert Disclosure.objects.count() == before + 1

        @invariant()
        def no_episode_without_consent(self):
            if Episode.objects.filter(referral=self.referral).exists():
                assert self.episode_started_with_consent is True

        @invariant()
        def no_disclosure_without_legal_basis(self):
            for disclosure in Disclosure.objects.all():
                assert disclosure.legal_basis in LegalBasis.values
                assert disclosure.basis_reference  # which consent, statute, order or glass
                if Category.CLINICAL in disclosure.categories:
                    assert disclosure.legal_basis == LegalBasis.CONSENT

    run_state_machine_as_test(
        Journey,
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip
    # The runs went deep enough for the rules above to mean something.
    assert {State.EPISODE, State.EXIT} <= reached
    assert judge_read_clinical  # and consents were in force for some of the judge's reads
