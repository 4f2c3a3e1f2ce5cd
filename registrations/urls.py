from django.urls import path

from . import views

app_name = "registrations"

urlpatterns = [
    path("events/<slug:slug>/register/", views.register, name="register"),
    path(
        "events/<slug:slug>/register/thanks/",
        views.register_thanks,
        name="register-thanks",
    ),
    path(
        "events/<slug:slug>/registration/<str:token>/",
        views.manage,
        name="manage",
    ),
    path("events/<slug:slug>/check-in/", views.check_in, name="check-in"),
    path(
        "events/<slug:slug>/check-in/counts/",
        views.check_in_counts,
        name="check-in-counts",
    ),
]
