"""The WSGI application bench/bench_server.py serves: `turnpoint.wsgi` as a server loads it, in
one of four variants chosen through the environment, with the collector's work counted.

- BENCH_SERVER_POLICY: `policy` (the real sharing policy) or `permissive` (bench_policy's
  stand-ins installed in every module that holds the policy's functions, as its in-process
  permissive mode does).
- BENCH_SERVER_COLLECT: `after` (as shipped: `turnpoint.runtime.settle` collects what requests
  left after each response) or `inside` (that receiver disconnected, so a collection runs inside
  whichever request crosses the collector's young threshold, as before the thirteenth round).

Every collection is counted with its time, as inside a request (from the call into the
application to the response's `close()`, which the server calls after writing its last byte)
or after one. `GET /__bench/gc` answers those counts as JSON without reaching Django, with the
stand-ins installed and the variant's settings, so the client can check what it measured.
"""

import gc
import json
import os
import sys
import time
from pathlib import Path

from django.core.signals import request_finished

from turnpoint.wsgi import application as turnpoint_application  # built and settled

POLICY = os.environ.get("BENCH_SERVER_POLICY", "policy")
COLLECT = os.environ.get("BENCH_SERVER_COLLECT", "after")
if POLICY not in ("policy", "permissive"):
    raise SystemExit(f"BENCH_SERVER_POLICY: '{POLICY}' is neither policy nor permissive")
if COLLECT not in ("after", "inside"):
    raise SystemExit(f"BENCH_SERVER_COLLECT: '{COLLECT}' is neither after nor inside")

if COLLECT == "inside" and not request_finished.disconnect(dispatch_uid="turnpoint.runtime"):
    raise SystemExit("turnpoint.runtime's after-response collection was not connected")

patched: dict[str, list[str]] = {}
if POLICY == "permissive":
    from django.template import engines

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_policy import Permissive

    engines.all()  # imports every template tag library, which may hold a policy function
    permissive = Permissive()
    permissive.enter()
    patched = permissive.patched


class Counted:
    """The application, with the collector's collections counted inside and after requests."""

    def __init__(self, application):
        self.application = application
        self.inside = False
        self.started = 0.0
        self.counts = {"inside": [0, 0.0], "after": [0, 0.0]}  # collections, milliseconds
        self.requests = 0
        gc.callbacks.append(self.collected)

    def collected(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        count = self.counts["inside" if self.inside else "after"]
        count[0] += 1
        count[1] += (time.perf_counter() - self.started) * 1000

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/__bench/gc":
            body = json.dumps({
                "policy": POLICY, "collect": COLLECT, "pid": os.getpid(),
                "requests": self.requests, "threshold": gc.get_threshold(),
                "collections": self.counts, "patched": patched,
            }).encode()  # fmt: skip
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        self.requests += 1
        self.inside = True
        try:
            return Closing(self.application(environ, start_response), self)
        except BaseException:
            self.inside = False
            raise


class Closing:
    """The response's iterable; its `close()` ends the request before the application's own
    `close()` sends `request_finished`, where a settled process collects."""

    def __init__(self, result, counted: Counted):
        self.result, self.counted = result, counted

    def __iter__(self):
        return iter(self.result)

    def close(self):
        self.counted.inside = False
        close = getattr(self.result, "close", None)
        if close is not None:
            close()


application = Counted(turnpoint_application)
