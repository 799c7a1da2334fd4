"""Helpers shared by the benchmark scripts: fresh databases and measured child processes.

Benchmarks, not timed tests: they print figures (wall time, the child's peak memory, ratios to
a plain baseline measured in the same run) and never fail on a threshold.
"""

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TURNPOINT = [sys.executable, "-m", "turnpoint"]  # this checkout's code, whatever is installed
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")


@dataclass
class Measured:
    seconds: float
    cpu_seconds: float  # the child's own user + system time: robust to other load on the machine
    peak_mb: float
    stdout: str


def run_measured(args: list[str], *, env: dict, timeout: float = 1800) -> Measured:
    """Run a child process; its wall time and its own peak resident memory (wait4 rusage)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {proc.returncode}\n{out}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(seconds, cpu, usage.ru_maxrss / 1024, out)  # ru_maxrss is in KiB on Linux


def run(args: list[str], *, env: dict) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def load_average() -> float:
    """The machine's one-minute load average: other work competing for its cores."""
    return round(os.getloadavg()[0], 2)


def env_for(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "turnpoint.settings",
        "PYTHONPATH": str(ROOT),
    }


class SqliteDb:
    """A fresh SQLite file in a temporary directory, removed afterwards."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="turnpoint-bench-")
        self.url = f"sqlite:///{self._dir.name}/bench.sqlite3"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._dir.cleanup()


class PostgresDb:
    """A fresh PostgreSQL database on the local server, dropped afterwards unless `keep`."""

    def __init__(self, name: str, *, keep: bool = False):
        self.name, self.keep = name, keep
        parts = urlsplit(PG_SERVER)
        self.url = urlunsplit(parts._replace(path=f"/{name}"))
        self._admin = urlunsplit(parts._replace(path="/postgres"))

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self._admin.replace("postgres://", "postgresql://", 1)) as conn:
            conn.autocommit = True
            conn.execute(statement)

    def __enter__(self):
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        if not self.keep:
            self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def prepare(database_url: str) -> None:
    """Migrate and load the shipped programmes (not timed)."""
    env = env_for(database_url)
    run([*TURNPOINT, "migrate", "-v0"], env=env)
    run([*TURNPOINT, "programmes", "load", "--shipped"], env=env)
