from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("participants/<int:pk>/", views.participant, name="participant"),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path(
        "referrals/<int:pk>/transition/",
        views.referral_transition_page,
        name="referral_transition",
    ),
]
