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
"""

import gc

# Net new container objects between young collections: above the ~7,000 a 1,000-row list holds.
YOUNG_COLLECTION_THRESHOLD = 20_000


def settle() -> None:
    """Import every view the URL configuration names, freeze what is alive, and let a
    request's objects die young.

    Called by `turnpoint.wsgi` once the application is built (under `gunicorn --preload` that is
    in the parent, so the workers also share those pages after they fork) and by the benchmarks
    that call views in-process, so they measure what a server serves."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URL configuration and every view
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
