from django.urls import path

from . import views

app_name = "members"

# Mounted at the site root: these are full paths.
urlpatterns = [
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/export.csv", views.export_csv, name="export-csv"),
    path("members/join/", views.join, name="join"),
    path("members/join/thanks/", views.join_thanks, name="join-thanks"),
    path(
        "members/<slug:slug>/", views.MemberDetailView.as_view(), name="member-detail"
    ),
    path("embed/members/", views.embed, name="embed"),
]
