from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = _("Alliance")

    def ready(self):
        from . import api_schema, publishing, response_cache, tombstones  # noqa: F401 - api_schema registers itself

        publishing.connect()
        tombstones.connect()
        response_cache.connect()
