from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The site as a whole: settings, URLs and the commands that span every app."""

    name = "alliance.project"
    label = "project"
