from django.conf import settings


def service(request):
    return {"service_name": settings.TURNPOINT_SERVICE_NAME}
