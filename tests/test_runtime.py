"""A server process settles after loading the application (turnpoint/runtime.py)."""

import gc
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


def test_a_settled_process_collects_what_requests_leave_after_their_responses_not_inside_them():
    # Fifty requests, each holding 7,000 container objects at its peak (a 1,000-row list) and
    # leaving 300 behind (as a participant page does: docs/benchmarks.md, "The thirteenth
    # round"), then closing its response as a WSGI server does, which sends request_finished.
    # Without the collection after the response, the leftovers reach the young threshold
    # inside a request, which then walks its own objects too.
    probe = (
        "import gc, json\n"
        "import turnpoint.wsgi\n"
        "from django.core.signals import request_finished\n"
        "from turnpoint import runtime\n"
        "inside, after, left, state = [], [], [], {'in': False}\n"
        "gc.callbacks.append(lambda phase, info: phase == 'stop'\n"
        "    and (inside if state['in'] else after).append(info['generation']))\n"
        "kept = []\n"
        "for _ in range(50):\n"
        "    state['in'] = True\n"
        "    rows = [{'id': i, 'names': [str(i)]} for i in range(3_500)]\n"
        "    kept.extend({'n': i} for i in range(300))\n"
        "    del rows\n"
        "    state['in'] = False\n"
        "    request_finished.send(sender=None)\n"
        "    left.append(gc.get_count()[0])\n"
        "print(json.dumps({'inside': len(inside), 'after': after, 'most_left': max(left),\n"
        "    'mark': runtime.AFTER_RESPONSE_MARK}))\n"
    )
    found = _probe(probe)
    assert found["inside"] == 0, found
    # 15,000 objects left over 50 requests: a young collection after every seventh or so.
    assert len(found["after"]) >= 5, found
    assert set(found["after"]) <= {0, 1}, found
    # What is left after a response never reaches far past the mark.
    assert found["most_left"] < found["mark"] + 300 + 100, found


def test_the_collection_after_a_response_follows_the_collectors_own_schedule():
    from turnpoint.runtime import AFTER_RESPONSE_MARK, collect_after_response

    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    gc.disable()  # no automatic collection moves the counts while this test sets them
    try:
        gc.set_threshold(20_000, 10, 10)
        gc.collect()  # all three counts at zero
        held = [[] for _ in range(AFTER_RESPONSE_MARK // 2)]
        assert collect_after_response() is None  # below the mark: nothing runs
        assert gc.get_count()[0] >= len(held)
        held += [[] for _ in range(AFTER_RESPONSE_MARK)]
        assert collect_after_response() == 0  # a young collection
        assert gc.get_count()[0] < 100 and gc.get_count()[1] == 1
        for _ in range(10):
            gc.collect(0)  # the middle generation's count is now past its threshold of 10
        held += [[] for _ in range(AFTER_RESPONSE_MARK)]
        assert collect_after_response() == 1
        assert gc.get_count()[1] == 0 and gc.get_count()[2] == 1
        for _ in range(10):
            gc.collect(1)  # and the oldest generation's
        held += [[] for _ in range(AFTER_RESPONSE_MARK)]
        assert collect_after_response() == 2
        assert gc.get_count()[2] == 0
    finally:
        gc.set_threshold(*thresholds)
        if was_enabled:
            gc.enable()
    assert held
