from django.urls import path

from alliance.content import views

app_name = "alliance"

urlpatterns = [
    path("", views.home, name="home"),
    path("scenarios/", views.ScenarioListView.as_view(), name="scenario-list"),
    path(
        "scenarios/<slug:slug>/",
        views.ScenarioDetailView.as_view(),
        name="scenario-detail",
    ),
    path("events/", views.EventListView.as_view(), name="event-list"),
    path("events/<slug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<slug:slug>/event.ics", views.event_ical, name="event-ical"),
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative-list"),
    path(
        "initiatives/<slug:slug>/",
        views.InitiativeDetailView.as_view(),
        name="initiative-detail",
    ),
    path("search/", views.search, name="search"),
    # Last: site pages such as /about/ take any remaining single segment.
    path("<slug:slug>/", views.PageDetailView.as_view(), name="page-detail"),
]
