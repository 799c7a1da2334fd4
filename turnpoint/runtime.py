"""What a server process does once it has loaded the application, before its first request.

A 1,000-row API list makes tens of thousands of short-lived objects, and CPython's cyclic
collector then runs a full (oldest-generation) collection every twenty or so such requests. A
full collection walks every object the process holds, and a loaded Turnpoint process holds about
160,000 (Django, the URL configuration, every view, form and schema): each one took 75 to 95 ms on
the shared 2-core machine, landing on about one list request in twenty, which is exactly the p95
(docs/benchmarks.md, "Policy and audit overhead"). `gc.freeze()` moves what is alive after
start-up to a generation the collector no longer walks, so a full collection sees only what
requests left behind (about 9 ms).

Even so, with CPython's default thresholds (a young collection every 700 net new container
objects, a full one every hundred young ones) a 1,000-row list, which holds about 7,000 such
objects at its peak (ten young collections a request, counted with `gc.callbacks`), promoted its
own rows towards the oldest generation while they were still in use, and a full collection of
about 6 ms ran on 8.5% of those requests: the p95 sat on them. Above that peak, a request's
objects are freed by reference counting before any collection sees them; collections then run
only for what requests leave behind (none in 4,000 list requests; the same peak memory, 186 MB).

What requests leave behind still added up: 100 to 330 container objects a request (a list, a
page), so every hundred or so requests one of them crossed the threshold while it held its own
objects, and the young collection it ran there walked 20,000 of them: about 11 ms, landing on
3-4% of one kind's requests, which is where a p95 sits (docs/benchmarks.md, "The twelfth
round"). So a settled process also collects after each response once what is left passes
`AFTER_RESPONSE_MARK`, when a request's objects are gone and the collection walks only what it
left (about 0.5 ms); a collection then never runs inside a request, whose peak stays below the
threshold above that mark. A server has sent the response by then: the WSGI server calls the
response's `close()`, which sends `request_finished`, after writing its last byte.
"""

import gc

from django.core.signals import request_finished

# Net new container objects between young collections: above the ~7,000 a 1,000-row list holds
# (and the ~15,000 a 1,000-row referrals list holds) with AFTER_RESPONSE_MARK left before it.
YOUNG_COLLECTION_THRESHOLD = 20_000
# What requests may leave before one is collected after its response: a few requests' worth.
AFTER_RESPONSE_MARK = 2_000


def settle() -> None:
    """Import every view the URL configuration names, freeze what is alive, let a request's
    objects die young, and collect what requests leave after their responses.

    Called by `turnpoint.wsgi` once the application is built (under `gunicorn --preload` that is
    in the parent, so the workers also share those pages after they fork) and by the benchmarks
    that call views in-process, so they measure what a server serves."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URL configuration and every view
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    request_finished.connect(collect_after_response, dispatch_uid="turnpoint.runtime")


def collect_after_response(**kwargs) -> int | None:
    """Once what requests left passes `AFTER_RESPONSE_MARK`, the collection the collector's
    own schedule would run next; returns its generation, or None when none was due.

    The schedule is CPython's: the oldest generation that has had more collections of the one
    below it than its threshold, the youngest otherwise (Modules/gcmodule.c,
    `collect_generations`; its extra condition for a full collection, a quarter of the
    long-lived objects new since the last, cannot be read from Python and is left out: a full
    collection here walks only what requests left, since start-up's heap is frozen). A young
    collection alone would never let the older generations' counts trigger theirs."""
    young, *older = gc.get_count()
    if young < AFTER_RESPONSE_MARK:
        return None
    thresholds = gc.get_threshold()
    generation = next((g for g in (2, 1) if older[g - 1] > thresholds[g]), 0)
    gc.collect(generation)
    return generation
