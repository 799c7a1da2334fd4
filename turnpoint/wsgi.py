"""The WSGI application: serve `turnpoint.wsgi` (e.g. `gunicorn turnpoint.wsgi -w 4`).

Once the application is built, every view the URL configuration names is imported and what is
alive is frozen out of the cyclic collector (`gc.freeze()`): start-up's objects are never walked
again by a full collection, and under `gunicorn --preload` the forked workers share those pages.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports the URL configuration and every view
gc.collect()
gc.freeze()
