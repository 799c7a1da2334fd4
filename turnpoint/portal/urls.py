from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("set-up/", views.set_up, name="set_up"),
    path("who-has-seen-my-record/", views.disclosures, name="disclosures"),
    path("who-has-seen-my-record/pdf/", views.disclosures_pdf, name="disclosures_pdf"),
    path("my-record/<str:fmt>/", views.export, name="export"),
    path("sharing/", views.consents, name="consents"),
    path("sharing/<int:consent_pk>/pdf/", views.consent_pdf, name="consent_pdf"),
    path("sharing/<int:consent_pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("questions/", views.questions, name="questions"),
    path("questions/<int:administration_pk>/", views.question, name="question"),
]
