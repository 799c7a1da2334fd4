from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from turnpoint.api.urls import api

admin.site.site_header = "Turnpoint configuration"
admin.site.site_title = "Turnpoint configuration"

urlpatterns = [
    path("sign-in/", auth_views.LoginView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("portal/", include("turnpoint.portal.urls")),
    path("simulator/", include("turnpoint.simulator.urls")),
    path("", include("turnpoint.web.urls")),
]

handler400 = "turnpoint.web.error_views.bad_request"
handler500 = "turnpoint.web.error_views.server_error"
