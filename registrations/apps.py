from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Event registrations")
    # Whether an event takes registrations shows on its public page: saving
    # its settings makes cached pages stale. Registrants and questions are
    # private (see the models), so a rush of registrations leaves the cache be.
    public_content = True
