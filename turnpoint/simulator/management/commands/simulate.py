"""``turnpoint simulate SCENARIO.yaml [--runs N] [--seed S] [--json] [--csv F] [--parquet F]``."""

import json

from django.core.management.base import BaseCommand, CommandError

from turnpoint.simulator import cli
from turnpoint.simulator.errors import SimulatorInputError


class Command(BaseCommand):
    help = "Simulate a policy scenario (and its baseline) with Monte Carlo uncertainty."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        """Exit status 2 for refused input, 1 for another failure, never a traceback (see cli)."""
        try:
            text = cli.execute(options)
        except SimulatorInputError as exc:
            if options.get("json"):
                self.stdout.write(cli.error_json(exc))
            raise CommandError(str(exc), returncode=2) from exc
        except CommandError:
            raise
        except Exception as exc:
            message = cli.failure_message(exc)
            if options.get("json"):
                self.stdout.write(json.dumps({"error": {"reason": message}}))
            raise CommandError(message, returncode=1) from exc
        self.stdout.write(text)
