from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Event registrations")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import RegistrationSettings
        from .signals import settings_changed

        # Whether an event takes registrations shows on its public page.
        post_save.connect(settings_changed, sender=RegistrationSettings)
        post_delete.connect(settings_changed, sender=RegistrationSettings)
