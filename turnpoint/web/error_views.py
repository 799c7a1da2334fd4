"""The page shown for an unexpected error (security.md SEC-23): generic, with the request id
that finds the logged traceback, and nothing of the error itself."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError
from django.template import loader
from django.views import defaults

from turnpoint.request_limits import too_large
from turnpoint.sharing import context


def server_error(request):
    request_id = getattr(request, "request_id", "") or context.current().request_id
    # No request in the template context: context processors may touch the session or the
    # database, which may be what failed.
    html = loader.get_template("500.html").render({"request_id": request_id})
    return HttpResponseServerError(html)


def bad_request(request, exception):
    """A body Django found too large while reading it is a 413, not a 400 (SEC-45)."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    return defaults.bad_request(request, exception)
