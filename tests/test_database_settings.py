"""PostgreSQL connections bind parameters on the server and prepare the statements they send
often (README.md, Databases); DB_PREPARED_STATEMENTS=off turns both off for a pooler."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

SHOW_OPTIONS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))"
)


def options(**env):
    result = subprocess.run(
        [sys.executable, "-c", SHOW_OPTIONS],
        env={"DJANGO_SETTINGS_MODULE": "turnpoint.settings", "PATH": "/usr/bin:/bin", **env},
        cwd=settings.BASE_DIR, capture_output=True, text=True,
    )  # fmt: skip
    return result


def test_a_wrong_value_for_prepared_statements_is_refused_by_name():
    url = "postgres://someone@db.example.org:5432/turnpoint"
    wrong = options(DATABASE_URL=url, DB_PREPARED_STATEMENTS="sometimes")
    assert wrong.returncode != 0
    assert "DB_PREPARED_STATEMENTS='sometimes' is not a boolean" in wrong.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_statement_sent_more_than_five_times_is_prepared_on_the_server(db):
    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return {row[0] for row in cursor.fetchall()}

    sql = "SELECT count(*) FROM people_participant WHERE id = ANY(%s)"
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(sql, [[1, 2, 3]])
        assert not any("people_participant WHERE id = ANY($1)" in s for s in prepared())
        cursor.execute(sql, [[4, 5]])
        assert cursor.fetchone() == (0,)
    assert any("people_participant WHERE id = ANY($1)" in s for s in prepared())


def test_postgresql_connections_turn_jit_off_unless_asked_to_keep_it():
    url = "postgres://someone@db.example.org:5432/turnpoint"
    assert "('options', '-c jit=off')" in options(DATABASE_URL=url).stdout
    assert "jit" not in options(DATABASE_URL=url, DB_JIT="on").stdout
    assert "jit" not in options(DATABASE_URL="sqlite:///somewhere.sqlite3").stdout


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT: PostgreSQL")
def test_the_connection_runs_with_jit_off(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
