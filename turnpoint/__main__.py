"""The `turnpoint` command: Django's management commands plus Turnpoint's own subcommands."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["turnpoint", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
