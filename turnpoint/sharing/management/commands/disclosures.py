"""`turnpoint disclosures index`: move the participants of recent disclosures into the index
the accounting reads (docs/sharing.md, "How disclosures are stored")."""

from django.core.management.base import BaseCommand

from turnpoint.cli import emit, fail
from turnpoint.sharing.record import DisclosureIndexError, disclosures_index


class Command(BaseCommand):
    help = "Index the participants of disclosures written since the last run (for cron)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        index = sub.add_parser(
            "index", help="move backlog participants into the (participant, act) index"
        )
        index.add_argument("--json", action="store_true")

    def handle(self, *args, action, json, **options):
        try:
            acts, participants = disclosures_index()
        except DisclosureIndexError as exc:
            fail(self, [str(exc)], as_json=json, headline="Indexing stopped.")
        emit(
            self,
            {"ok": True, "acts": acts, "participants": participants},
            as_json=json,
            text=f"Indexed {participants} participant(s) of {acts} disclosure act(s).",
        )
