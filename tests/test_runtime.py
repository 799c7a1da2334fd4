"""A server process settles after loading the application (turnpoint/runtime.py)."""

import json
import os
import subprocess
import sys


def _probe(code: str) -> dict:
    """Run `code` in a fresh interpreter with the settings and return the JSON it printed last."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "turnpoint.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_wsgi_application_imports_its_views_and_freezes_what_start_up_left():
    probe = (
        "import gc, json, sys\n"
        "before = gc.get_freeze_count()\n"
        "import turnpoint.wsgi\n"
        "print(json.dumps({'before': before, 'after': gc.get_freeze_count(),\n"
        "    'views': 'turnpoint.api.participants' in sys.modules\n"
        "             and 'turnpoint.web.records_views' in sys.modules}))\n"
    )
    found = _probe(probe)
    assert found["before"] == 0
    assert found["views"] is True
    # The loaded application: Django, the URL configuration and every view; far more than the
    # few thousand objects a bare interpreter holds.
    assert found["after"] > 50_000


def test_a_settled_process_lets_a_requests_objects_die_before_any_collection_sees_them():
    # As a 1,000-row list does (about 7,000 container objects alive at its peak, runtime.py):
    # build them, use them, drop them. With CPython's default thresholds the collector runs
    # about ten times over such a burst and promotes its objects towards full collections.
    probe = (
        "import gc, json\n"
        "import turnpoint.wsgi\n"
        "seen = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'stop' and seen.append(info))\n"
        "for _ in range(20):\n"
        "    rows = [{'id': i, 'names': [str(i)]} for i in range(3_500)]\n"
        "    del rows\n"
        "print(json.dumps({'collections': len(seen), 'threshold': gc.get_threshold()}))\n"
    )
    found = _probe(probe)
    assert found["collections"] == 0, found
