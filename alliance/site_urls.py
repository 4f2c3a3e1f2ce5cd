from django.urls import path

from . import views

app_name = "alliance"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:slug>/", views.PageDetailView.as_view(), name="page-detail"),
]
