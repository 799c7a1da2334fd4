"""Locust users for bench/bench_pages.py: signed-in staff who open the caseload, a participant's
page and (the baseline) the Django admin changelist of participants, in random order.

Configured by bench_pages.py through the environment: BENCH_PAGES (caseload, participant, admin
or mixed: which page every user requests in this phase), BENCH_SESSIONS (one session key per
user, signed in beforehand and already past the security-code step, so no request is sent to
/security-code/), BENCH_PARTICIPANT_IDS (pages to open), BENCH_WAIT_MIN /
BENCH_WAIT_MAX (seconds a user pauses between requests).
"""

import itertools
import os
import random

from locust import HttpUser, between

SESSIONS = os.environ.get("BENCH_SESSIONS", "").split(",")
IDS = [int(x) for x in os.environ.get("BENCH_PARTICIPANT_IDS", "1").split(",")]
WAIT = (
    float(os.environ.get("BENCH_WAIT_MIN", "0.5")),
    float(os.environ.get("BENCH_WAIT_MAX", "1.5")),
)
_numbers = itertools.count()

CASELOAD = "caseload /"
PARTICIPANT = "participant /participants/<pk>/"
ADMIN = "admin changelist /admin/people/participant/ (baseline)"


class Staff(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        number = next(_numbers)
        self.rng = random.Random(number)
        self.client.cookies.set("sessionid", SESSIONS[number % len(SESSIONS)])

    def open(self, url: str, name: str) -> None:
        """A page counts only if it rendered for the signed-in user (no redirect to sign in)."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")

    def caseload(self):
        self.open("/", CASELOAD)

    def participant(self):
        self.open(f"/participants/{self.rng.choice(IDS)}/", PARTICIPANT)

    def admin_changelist(self):
        self.open("/admin/people/participant/", ADMIN)


_PHASES = {
    "caseload": [Staff.caseload],
    "participant": [Staff.participant],
    "admin": [Staff.admin_changelist],
    "mixed": [Staff.caseload, Staff.participant, Staff.admin_changelist],
}
Staff.tasks = _PHASES[os.environ.get("BENCH_PAGES", "mixed")]
