"""Locust users for bench/bench_pages.py: staff who sign in once, then open the caseload, a
participant's page and (the baseline) the Django admin changelist of participants.

Configured by bench_pages.py through the environment:
BENCH_USERNAME, BENCH_PASSWORD, BENCH_PARTICIPANT_IDS (comma-separated),
BENCH_WAIT_MIN / BENCH_WAIT_MAX (seconds between a user's requests).
"""

import os
import random

from locust import HttpUser, between, task

IDS = [int(x) for x in os.environ.get("BENCH_PARTICIPANT_IDS", "1").split(",")]
WAIT = (
    float(os.environ.get("BENCH_WAIT_MIN", "0.5")),
    float(os.environ.get("BENCH_WAIT_MAX", "1.5")),
)

CASELOAD = "caseload /"
PARTICIPANT = "participant /participants/<pk>/"
ADMIN = "admin changelist /admin/people/participant/ (baseline)"


class Staff(HttpUser):
    wait_time = between(*WAIT)

    def on_start(self):
        self.rng = random.Random(id(self))
        self.client.get("/sign-in/", name="sign-in form")
        response = self.client.post(
            "/sign-in/",
            {
                "username": os.environ["BENCH_USERNAME"],
                "password": os.environ["BENCH_PASSWORD"],
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{self.host}/sign-in/"},
            name="sign-in",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in failed with status {response.status_code}")

    @task
    def caseload(self):
        self.client.get("/", name=CASELOAD)

    @task
    def participant(self):
        self.client.get(f"/participants/{self.rng.choice(IDS)}/", name=PARTICIPANT)

    @task
    def admin_changelist(self):
        self.client.get("/admin/people/participant/", name=ADMIN)
