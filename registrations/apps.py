from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Event registrations")
    # Whether an event takes registrations shows on its public page: saving
    # its settings makes cached pages stale. Registrants and questions are
    # private (see the models), so a rush of registrations leaves the cache be.
    public_content = True
    # An event's page shows whether it takes registrations (the
    # `registration_box` tag): the content app reads these settings with the
    # event, in the same query, without knowing this app (see
    # `alliance.content.models.event_page_relations`).
    event_page_relations = ["registration_settings"]
