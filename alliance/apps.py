from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = _("Alliance")

    def ready(self):
        from . import (  # noqa: F401 - api_schema and checks register themselves
            api_schema,
            checks,
            history,
            models,
            proxy_cache,
            publishing,
            response_cache,
            tombstones,
        )

        publishing.connect()
        # Versions with who, when and each field's before and after. After
        # modeltranslation's ready(), so the per-language columns are versioned.
        history.track(models.Scenario, m2m_fields=["members"])
        history.track(models.Event, m2m_fields=["members"])
        history.track(models.Initiative, m2m_fields=["participants"])
        history.track(models.Page)
        tombstones.connect()
        response_cache.connect()
        proxy_cache.connect()
