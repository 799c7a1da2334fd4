"""SEC-46 Nobody can lock out someone else, and answers take the same time: failed sign-ins make
the account and the address wait longer each time, for a limited time; every refused sign-in or
portal set-up runs the password hasher exactly once, whether or not the account or code exists.

(The simulator's bounds are in tests/simulator/test_sec_46_simulator_limits.py.)"""

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from turnpoint.accounts.backends import wait_after
from turnpoint.errors import InvalidInput
from turnpoint.portal.models import PortalAccount
from turnpoint.portal.services import SETUP_REFUSED, portal_set_up, portal_setup_code_issue
from turnpoint.sharing.models import AuditEntry

PASSWORD = "a long and memorable sentence"
WRONG = "not the password at all"


@pytest.fixture
def coordinator(users):
    user = users["coordinator"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


_client = Client()  # one handler for the module (each new one scans the static files)


def sign_in(username, password, address="127.0.0.1"):
    _client.cookies.clear()
    form = {"username": username, "password": password}
    return _client.post("/sign-in/", form, REMOTE_ADDR=address).status_code == 302


def waits_recorded():
    return [e.detail["wait_seconds"] for e in AuditEntry.objects.filter(action="denied")]


def test_sec_46_each_failure_past_the_allowance_doubles_the_accounts_wait(coordinator):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert not sign_in("coordinator", WRONG)
        assert not sign_in("coordinator", PASSWORD)  # waiting: the right password too
        assert waits_recorded() == [60]
        clock.shift(timedelta(seconds=61))
        assert not sign_in("coordinator", WRONG)  # the sixth failure: two minutes
        clock.shift(timedelta(seconds=119))
        assert not sign_in("coordinator", PASSWORD)
        assert waits_recorded() == [60, 1]
        clock.shift(timedelta(seconds=2))
        assert not sign_in("coordinator", WRONG)  # the seventh: four minutes
        clock.shift(timedelta(seconds=239))
        assert not sign_in("coordinator", PASSWORD)
        clock.shift(timedelta(seconds=2))
        assert sign_in("coordinator", PASSWORD)
    failed = AuditEntry.objects.filter(action="sign_in_failed").count()
    assert failed == 7  # the refusals for waiting are audited as denials, not failures


def test_sec_46_hammering_a_waiting_account_does_not_keep_it_locked(coordinator):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            sign_in("coordinator", WRONG)
        for _ in range(20):  # someone else keeps trying during the wait
            clock.shift(timedelta(seconds=2))
            assert not sign_in("coordinator", WRONG)
        assert AuditEntry.objects.filter(action="sign_in_failed").count() == 5
        clock.shift(timedelta(seconds=21))  # a minute after the fifth failure
        assert sign_in("coordinator", PASSWORD)


def test_sec_46_the_wait_never_grows_past_its_cap():
    now = timezone.now()
    assert wait_after(4, now, allowed=5, now=now) == 0
    assert wait_after(5, now, allowed=5, now=now) == 60
    assert wait_after(8, now, allowed=5, now=now) == 480
    assert wait_after(9, now, allowed=5, now=now) == 900
    assert wait_after(10_000, now, allowed=5, now=now) == 900
    assert wait_after(10_000, now - timedelta(minutes=15), allowed=5, now=now) == 0


@override_settings(SIGN_IN_ADDRESS_MAX_FAILURES=3)  # 20 by default; fewer Argon2 runs here
def test_sec_46_one_address_trying_many_usernames_waits_and_others_do_not(coordinator):
    attacker, colleague = "203.0.113.7", "198.51.100.2"
    for n in range(3):
        assert not sign_in(f"someone-{n}", WRONG, address=attacker)
    assert not sign_in("coordinator", PASSWORD, address=attacker)
    [denied] = AuditEntry.objects.filter(action="denied")
    assert denied.detail == {"username": "coordinator", "reason": "locked", "by": "address",
                             "wait_seconds": 60}  # fmt: skip
    assert sign_in("coordinator", PASSWORD, address=colleague)


def test_sec_46_unlock_lets_a_waiting_account_in_at_once(coordinator):
    for _ in range(9):
        sign_in("coordinator", WRONG)
    assert not sign_in("coordinator", PASSWORD)
    call_command(
        "unlock", "coordinator", "--reason", "locked out at a hearing", stdout=io.StringIO()
    )
    assert sign_in("coordinator", PASSWORD)


@pytest.fixture
def hashes(monkeypatch):
    """How many times the password hasher ran (each run costs the same Argon2 work)."""
    runs = []
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counted_encode(self, *args, **kwargs):
        runs.append("encode")
        return encode(self, *args, **kwargs)

    def counted_verify(self, *args, **kwargs):
        runs.append("verify")
        return verify(self, *args, **kwargs)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counted_verify)
    return runs


def test_sec_46_a_refused_sign_in_runs_the_hasher_once_whether_or_not_the_user_exists(
    coordinator, make_referral, hashes
):
    robin = make_referral().participant
    portal_setup_code_issue(acting_user=coordinator, participant=robin)  # no password chosen yet
    for username in ("coordinator", "nobody-here", robin.reference):
        hashes.clear()
        assert not sign_in(username, WRONG)
        assert len(hashes) == 1, (username, hashes)


def test_sec_46_a_refused_portal_set_up_runs_the_hasher_once_with_or_without_a_code(
    users, make_referral, hashes
):
    robin = make_referral().participant
    kim = make_referral(given_name="Kim", family_name="Example").participant
    portal_setup_code_issue(acting_user=users["coordinator"], participant=robin)
    account, _ = portal_setup_code_issue(acting_user=users["coordinator"], participant=kim)
    PortalAccount.objects.filter(pk=account.pk).update(
        setup_expires_at=timezone.now() - timedelta(days=1)
    )
    cases = {
        "wrong code": robin.reference,
        "no account": "TP-999999",
        "expired code": kim.reference,
    }
    for case, reference in cases.items():
        hashes.clear()
        with pytest.raises(InvalidInput) as refused:
            portal_set_up(reference=reference, code="abcd-efgh-jkmn", password=PASSWORD,
                          password_again=PASSWORD)  # fmt: skip
        assert refused.value.problems[0].reason == SETUP_REFUSED, case
        assert len(hashes) == 1, (case, hashes)
