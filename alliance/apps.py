from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = _("Alliance")

    def ready(self):
        from . import (  # noqa: F401 - api_schema and checks register themselves
            api_schema,
            checks,
            publishing,
            response_cache,
            tombstones,
        )

        publishing.connect()
        tombstones.connect()
        response_cache.connect()
