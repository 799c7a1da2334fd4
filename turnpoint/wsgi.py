import os

from django.core.wsgi import get_wsgi_application

from turnpoint.runtime import settle

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnpoint.settings")
application = get_wsgi_application()
settle()
