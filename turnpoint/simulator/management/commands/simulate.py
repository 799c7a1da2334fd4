"""``turnpoint simulate SCENARIO.yaml [--runs N] [--seed S] [--json] [--csv F] [--parquet F]``."""

from django.core.management.base import BaseCommand, CommandError

from turnpoint.simulator import cli
from turnpoint.simulator.errors import SimulatorInputError


class Command(BaseCommand):
    help = "Simulate a policy scenario (and its baseline) with Monte Carlo uncertainty."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        try:
            text = cli.execute(options)
        except SimulatorInputError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(text)
